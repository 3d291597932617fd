import { useId, useState, type FormEvent } from 'react';
import type { AuthMethodView, ServiceSummary } from '../../main/api/contract.ts';
import { hostOf } from '../format.ts';
import { forWindow } from '../humanize.ts';
import { useActions } from '../store-context.tsx';

/**
 * A service whose sign-in needs the person's own OAuth client: in plain words what to register
 * and where, then its id (and secret). The redirect addresses to give it are under Details, once.
 */
export function OAuthClientForm({ service, method }: { readonly service: ServiceSummary; readonly method: AuthMethodView }) {
  const { configureClient } = useActions();
  const id = useId();
  const [clientId, setClientId] = useState('');
  const [clientSecret, setClientSecret] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (clientId.trim() === '') {
      setError(`Paste the client ID of the app you registered at ${service.name}.`);
      return;
    }
    if (method.clientKind === 'confidential' && clientSecret.trim() === '') {
      setError(`${service.name} requires the client secret too: paste it from the provider console.`);
      return;
    }
    setBusy(true);
    const result = await configureClient({ service: service.id, clientId: clientId.trim(), ...(clientSecret.trim() ? { clientSecret: clientSecret.trim() } : {}) });
    setBusy(false);
    setError(result.ok ? undefined : forWindow(result.error.message));
  };

  const secretRequired = method.clientKind === 'confidential';
  return (
    <form noValidate onSubmit={(e) => void submit(e)} className="client-form" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Sign in with {service.name}</h3>
      <p>
        {service.name} signs desktop apps in only through an app you register there yourself
        {method.clientRegistrationUrl ? (
          <>
            {' '}
            — create one at{' '}
            <a href={method.clientRegistrationUrl} target="_blank" rel="noopener noreferrer">
              {hostOf(method.clientRegistrationUrl)}
            </a>
            , then paste its client ID here.
          </>
        ) : (
          <>: paste its client ID here.</>
        )}
      </p>
      {method.redirectUris && method.redirectUris.length > 0 && (
        <p className="muted small">
          {service.name} asks where sign-in returns: copy {method.redirectUris.length > 1 ? 'the addresses' : 'the address'} from Details below.
        </p>
      )}
      <div className="field">
        <label htmlFor={`${id}-client`}>Client ID</label>
        <input id={`${id}-client`} value={clientId} autoComplete="off" spellCheck={false} onChange={(e) => setClientId(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-secret`}>{secretRequired ? `Client secret (${service.name} requires it)` : 'Client secret (only if the app has one)'}</label>
        <input id={`${id}-secret`} type="password" value={clientSecret} autoComplete="off" onChange={(e) => setClientSecret(e.target.value)} />
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy}>
        Save client
      </button>
    </form>
  );
}
