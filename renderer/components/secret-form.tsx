import { useId, useState, type FormEvent, type ReactNode } from 'react';
import type { AuthMethodView, SecretInput, ServiceSummary } from '../../main/api/contract.ts';
import { hostOf } from '../format.ts';
import { forWindow } from '../humanize.ts';
import { useActions } from '../store-context.tsx';
import { labelProblem, labelRequired, paramProblem, patternWarning, secretProblem } from '../validation.ts';

interface Props {
  readonly service: ServiceSummary;
  readonly method: AuthMethodView;
  readonly taken: readonly string[];
}

/** API key, token or username/password. The secret goes to the core once and is never shown again. */
export function SecretForm({ service, method, taken }: Props) {
  const { addSecret } = useActions();
  const id = useId();
  const [label, setLabel] = useState('');
  const [secret, setSecret] = useState('');
  const [username, setUsername] = useState('');
  const [params, setParams] = useState<Record<string, string>>({});
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState<string | undefined>();

  const isBasic = method.type === 'basic';
  const what = isBasic ? (method.passwordLabel ?? 'password').toLowerCase() : (method.label ?? (method.type === 'bearer' ? 'token' : 'API key'));
  const title = isBasic ? `${method.usernameLabel ?? 'Username'} and ${method.passwordLabel ?? 'password'}` : (method.label ?? (method.type === 'bearer' ? 'Token' : 'API key'));

  const errors = {
    label: labelProblem(label, taken) ?? labelRequired(label, taken),
    secret: secretProblem(secret, what),
    username: isBasic && username.trim() === '' ? `Enter the ${(method.usernameLabel ?? 'username').toLowerCase()}.` : undefined,
    params: Object.fromEntries(service.params.map((p) => [p.name, paramProblem(params[p.name] ?? '', p.label, p.pattern, p.example)])),
  };
  const warning = patternWarning(secret.trim(), method.pattern, what);
  const invalid = errors.label || errors.secret || errors.username || Object.values(errors.params).some(Boolean);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    setServerError(undefined);
    if (invalid) return;
    const value: SecretInput =
      method.type === 'basic'
        ? { type: 'basic', username: username.trim(), password: secret.trim() }
        : method.type === 'bearer'
          ? { type: 'bearer', token: secret.trim() }
          : { type: 'api_key', key: secret.trim() };
    setBusy(true);
    const result = await addSecret({ service: service.id, ...(label ? { label } : {}), secret: value, ...(service.params.length ? { params } : {}) });
    setBusy(false);
    if (!result.ok) setServerError(result.error.message);
    else setSecret('');
  };

  const show = (problem: string | undefined) => (touched ? problem : undefined);
  const describe = (field: string, problem: string | undefined, extra?: string) => [problem ? `${id}-${field}-error` : '', extra ?? ''].filter(Boolean).join(' ') || undefined;

  return (
    <form noValidate onSubmit={(e) => void submit(e)} aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Add with {isBasic ? 'a username and password' : `a${/^[aeiou]/i.test(title) ? 'n' : ''} ${title}`}</h3>
      <Field id={`${id}-label`} label={taken.length > 0 ? 'Label' : 'Label (optional)'} error={show(errors.label)}>
        <input id={`${id}-label`} value={label} maxLength={80} placeholder={taken.length === 0 ? 'default' : 'work, personal…'} aria-invalid={Boolean(show(errors.label))} aria-describedby={describe('label', show(errors.label))} onChange={(e) => setLabel(e.target.value)} />
      </Field>
      {service.params.map((p) => (
        <Field key={p.name} id={`${id}-param-${p.name}`} label={p.label} error={show(errors.params[p.name])}>
          <input
            id={`${id}-param-${p.name}`}
            value={params[p.name] ?? ''}
            placeholder={p.example}
            aria-invalid={Boolean(show(errors.params[p.name]))}
            aria-describedby={describe(`param-${p.name}`, show(errors.params[p.name]))}
            onChange={(e) => setParams((old) => ({ ...old, [p.name]: e.target.value }))}
          />
        </Field>
      ))}
      {isBasic && (
        <Field id={`${id}-username`} label={method.usernameLabel ?? 'Username'} error={show(errors.username)}>
          <input id={`${id}-username`} value={username} autoComplete="off" aria-invalid={Boolean(show(errors.username))} aria-describedby={describe('username', show(errors.username))} onChange={(e) => setUsername(e.target.value)} />
        </Field>
      )}
      <Field id={`${id}-secret`} label={isBasic ? (method.passwordLabel ?? 'Password') : title} error={show(errors.secret)}>
        <input
          id={`${id}-secret`}
          type="password"
          value={secret}
          autoComplete="off"
          spellCheck={false}
          aria-invalid={Boolean(show(errors.secret))}
          aria-describedby={describe('secret', show(errors.secret), warning ? `${id}-warning` : undefined)}
          onChange={(e) => setSecret(e.target.value)}
        />
      </Field>
      {warning && (
        <p id={`${id}-warning`} className="field-warning">
          {warning}
        </p>
      )}
      {method.help && (
        <p className="muted">
          Get one at{' '}
          <a href={method.help} target="_blank" rel="noopener noreferrer">
            {hostOf(method.help)}
          </a>
        </p>
      )}
      {serverError && (
        <p className="field-error" role="alert">
          {forWindow(serverError)}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Adding…' : `Add ${service.name}`}
      </button>
    </form>
  );
}

export function Field({ id, label, error, children }: { readonly id: string; readonly label: string; readonly error?: string | undefined; readonly children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}
