import { useId, useState, type FormEvent } from 'react';
import type { AuthMethodView, ConnectionView, MailServerView, MailTlsMode, ServiceSummary, TestResultView } from '../../main/api/contract.ts';
import { useActions } from '../store-context.tsx';
import { labelProblem, labelRequired } from '../validation.ts';
import { Field } from './secret-form.tsx';

type Side = 'imap' | 'smtp';
const SIDE: Record<Side, string> = { imap: 'Incoming (IMAP)', smtp: 'Outgoing (SMTP)' };
const USUAL_PORT: Record<Side, Record<MailTlsMode, number>> = { imap: { implicit: 993, starttls: 143, plain: 143 }, smtp: { implicit: 465, starttls: 587, plain: 587 } };
const TLS_TEXT: Record<MailTlsMode, string> = { implicit: 'TLS (SSL)', starttls: 'STARTTLS', plain: 'None — this computer only' };
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/i;

interface ServerFields {
  readonly host: string;
  readonly port: string;
  readonly tls: MailTlsMode;
}

const fieldsOf = (server: MailServerView | undefined, side: Side): ServerFields => ({ host: server?.host ?? '', port: String(server?.port ?? USUAL_PORT[side].implicit), tls: server?.tls ?? 'implicit' });

function serverProblem(fields: ServerFields, side: Side): string | undefined {
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(fields.host.trim())) return `Enter the ${side.toUpperCase()} server's host name.`;
  const port = Number(fields.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return 'Enter a port from 1 to 65535.';
  if (fields.tls === 'plain' && !LOOPBACK.test(fields.host.trim())) return 'Without TLS the password would cross the network in plain text: only a server on this computer may do that.';
  return undefined;
}

/**
 * Connect a mailbox (IMAP + SMTP with one login), or give one that needs re-auth a new
 * password. A preset's servers are shown and can be changed; the generic service asks for
 * them. Nothing is stored until both servers accepted the login; each side's answer is shown.
 */
export function MailForm({ service, method, taken, reauth }: { readonly service: ServiceSummary; readonly method: AuthMethodView; readonly taken: readonly string[]; readonly reauth?: ConnectionView }) {
  const { addMail, updateMail } = useActions();
  const id = useId();
  const preset = Boolean(method.imap && method.smtp);
  const [label, setLabel] = useState('');
  const [address, setAddress] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [custom, setCustom] = useState(!preset);
  const [servers, setServers] = useState<Record<Side, ServerFields>>({ imap: fieldsOf(method.imap, 'imap'), smtp: fieldsOf(method.smtp, 'smtp') });
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ result?: TestResultView; problem?: string } | undefined>();

  const errors = {
    label: reauth ? undefined : (labelProblem(label, taken) ?? labelRequired(label, taken)),
    address: reauth || /^[^\s@<>"]+@[^\s@<>"]+$/.test(address.trim()) ? undefined : 'Enter the email address, e.g. name@example.com.',
    password: password === '' ? 'Enter the password (an app password where the provider has them).' : /[\r\n]/.test(password) ? 'The password cannot contain a line break.' : undefined,
    imap: custom && !reauth ? serverProblem(servers.imap, 'imap') : undefined,
    smtp: custom && !reauth ? serverProblem(servers.smtp, 'smtp') : undefined,
  };
  const invalid = Object.values(errors).some(Boolean);
  const show = (problem: string | undefined) => (touched ? problem : undefined);

  const setServer = (side: Side, patch: Partial<ServerFields>) =>
    setServers((old) => {
      const next = { ...old[side], ...patch };
      // Switching the TLS mode moves the port along while it still holds the usual one.
      if (patch.tls && old[side].port === String(USUAL_PORT[side][old[side].tls])) next.port = String(USUAL_PORT[side][patch.tls]);
      return { ...old, [side]: next };
    });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    setOutcome(undefined);
    if (invalid) return;
    setBusy(true);
    const server = (side: Side) => ({ host: servers[side].host.trim(), port: Number(servers[side].port), tls: servers[side].tls });
    const result = reauth
      ? await updateMail({ ref: reauth.id, secret: password })
      : await addMail({
          service: service.id,
          address: address.trim(),
          secret: password,
          ...(label ? { label } : {}),
          ...(username.trim() ? { username: username.trim() } : {}),
          ...(custom ? { imap: server('imap'), smtp: server('smtp') } : {}),
        });
    setBusy(false);
    if (!result.ok) setOutcome({ problem: result.error.message });
    else {
      setOutcome({ ...(result.data.result ? { result: result.data.result } : {}), ...(result.data.problem ? { problem: result.data.problem } : {}) });
      if (result.data.connection) setPassword('');
    }
  };

  return (
    <form noValidate onSubmit={(e) => void submit(e)} aria-labelledby={`${id}-title`} className="mail-form">
      <h3 id={`${id}-title`}>{reauth ? `New password for ${reauth.account ?? reauth.label}` : 'Mail account (IMAP and SMTP)'}</h3>
      {reauth?.stateReason && <p className="field-error mail-reason">{reauth.stateReason}</p>}
      {method.note && !reauth && <p className="muted">{method.note}</p>}
      {!reauth && (
        <>
          <Field id={`${id}-address`} label="Email address" error={show(errors.address)}>
            <input id={`${id}-address`} type="email" value={address} autoComplete="email" placeholder="name@example.com" aria-invalid={Boolean(show(errors.address))} onChange={(e) => setAddress(e.target.value)} />
          </Field>
          <Field id={`${id}-username`} label="Username (if not the address)">
            <input id={`${id}-username`} value={username} autoComplete="username" placeholder={address.trim() || 'the email address'} onChange={(e) => setUsername(e.target.value)} />
          </Field>
          <Field id={`${id}-label`} label={taken.length > 0 ? 'Label' : 'Label (optional)'} error={show(errors.label)}>
            <input id={`${id}-label`} value={label} maxLength={80} placeholder={taken.length === 0 ? 'default' : 'work, personal…'} aria-invalid={Boolean(show(errors.label))} onChange={(e) => setLabel(e.target.value)} />
          </Field>
        </>
      )}
      <Field id={`${id}-password`} label="Password" error={show(errors.password)}>
        <input id={`${id}-password`} type="password" value={password} autoComplete="off" spellCheck={false} aria-invalid={Boolean(show(errors.password))} onChange={(e) => setPassword(e.target.value)} />
      </Field>
      {method.help && (
        <p className="muted">
          Make an app password at{' '}
          <a href={method.help} target="_blank" rel="noopener noreferrer">
            {method.help}
          </a>
        </p>
      )}
      {!reauth && preset && (
        <p className="muted">
          Servers: {method.imap?.host}:{method.imap?.port} and {method.smtp?.host}:{method.smtp?.port}{' '}
          <button type="button" className="link-button" aria-expanded={custom} onClick={() => setCustom(!custom)}>
            {custom ? 'Use these' : 'Use other servers'}
          </button>
        </p>
      )}
      {!reauth && custom && (['imap', 'smtp'] as const).map((side) => <ServerFieldset key={side} id={`${id}-${side}`} side={side} value={servers[side]} error={show(errors[side])} onChange={(patch) => setServer(side, patch)} />)}
      {outcome && <MailOutcome result={outcome.result} problem={outcome.problem} />}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Signing in to both servers…' : reauth ? 'Save the new password' : `Connect ${service.name}`}
      </button>
    </form>
  );
}

function ServerFieldset({ id, side, value, error, onChange }: { readonly id: string; readonly side: Side; readonly value: ServerFields; readonly error: string | undefined; readonly onChange: (patch: Partial<ServerFields>) => void }) {
  return (
    <fieldset className="mail-server" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>{SIDE[side]}</legend>
      <div className="mail-server-row">
        <Field id={`${id}-host`} label="Server">
          <input id={`${id}-host`} value={value.host} placeholder={side === 'imap' ? 'imap.example.com' : 'smtp.example.com'} aria-invalid={Boolean(error)} onChange={(e) => onChange({ host: e.target.value })} />
        </Field>
        <Field id={`${id}-tls`} label="Security">
          <select id={`${id}-tls`} value={value.tls} onChange={(e) => onChange({ tls: e.target.value as MailTlsMode })}>
            {(['implicit', 'starttls', 'plain'] as const).map((mode) => (
              <option key={mode} value={mode}>
                {TLS_TEXT[mode]}
              </option>
            ))}
          </select>
        </Field>
        <Field id={`${id}-port`} label="Port">
          <input id={`${id}-port`} inputMode="numeric" value={value.port} onChange={(e) => onChange({ port: e.target.value.replace(/\D/g, '') })} />
        </Field>
      </div>
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </fieldset>
  );
}

/** What each server answered, one line each, and what to do when nothing was stored. */
export function MailOutcome({ result, problem }: { readonly result: TestResultView | undefined; readonly problem: string | undefined }) {
  return (
    <div className="mail-outcome" role="status">
      {result?.parts && (
        <ul className="test-parts">
          {result.parts.map((part) => (
            <li key={part.name} className={`test-result ${part.ok ? 'ok' : 'fail'}`}>
              <span aria-hidden="true">{part.ok ? '✓' : '✗'}</span> {part.message}
            </li>
          ))}
        </ul>
      )}
      {problem && <p className="field-error">{problem}</p>}
    </div>
  );
}
