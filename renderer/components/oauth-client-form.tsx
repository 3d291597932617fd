import { useId, useState, type FormEvent } from 'react';
import type { AuthMethodView, ServiceSummary } from '../../main/api/contract.ts';
import { hostOf } from '../format.ts';
import { forWindow } from '../humanize.ts';
import { useActions } from '../store-context.tsx';

/** A service whose sign-in needs the person's own OAuth client: register it, paste its id here. */
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
      setError('Paste the client id of the OAuth app you registered.');
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

  return (
    <form noValidate onSubmit={(e) => void submit(e)} className="client-form" aria-labelledby={`${id}-title`}>
      <h4 id={`${id}-title`}>First, your own app at {service.name}</h4>
      <p className="muted">
        {service.name} has no sign-in app for desktop programs, so Sophon signs in through one you register.{' '}
        {method.clientRegistrationUrl && (
          <>
            Register one at{' '}
            <a href={method.clientRegistrationUrl} target="_blank" rel="noopener noreferrer">
              {hostOf(method.clientRegistrationUrl)}
            </a>
            , then paste its client id.
          </>
        )}
      </p>
      {method.redirectUris && method.redirectUris.length > 0 && (
        <div className="redirect-uris">
          <p className="muted">Add {method.redirectUris.length > 1 ? 'these redirect URIs' : 'this redirect URI'} to the app, exactly as written:</p>
          <ul aria-label="Redirect URIs to register">
            {method.redirectUris.map((r) => (
              <li key={r.uri}>
                <code>{r.uri}</code>
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="field">
        <label htmlFor={`${id}-client`}>Client id</label>
        <input id={`${id}-client`} value={clientId} autoComplete="off" spellCheck={false} onChange={(e) => setClientId(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-secret`}>{method.clientKind === 'confidential' ? `Client secret (${service.name} requires it)` : 'Client secret (only if the app has one)'}</label>
        <input id={`${id}-secret`} type="password" value={clientSecret} autoComplete="off" onChange={(e) => setClientSecret(e.target.value)} />
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy}>
        Save client
      </button>
    </form>
  );
}
