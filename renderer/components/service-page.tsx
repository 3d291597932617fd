import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { AuthMethodView, ServiceSummary } from '../../main/api/contract.ts';
import { CATEGORY_TEXT, hostOf } from '../format.ts';
import { forWindow } from '../humanize.ts';
import { withCode } from '../with-code.ts';
import { Icon } from '../icons.tsx';
import { PROVIDER_SERVICES } from '../models-store.ts';
import { useActions, useSophon } from '../store-context.tsx';
import { labelProblem, labelRequired } from '../validation.ts';
import { methodName, summaryOf } from './add-connection.tsx';
import { OAuthClientForm } from './oauth-client-form.tsx';
import { ProviderSignIns } from './provider-cards.tsx';
import { SecretForm } from './secret-form.tsx';
import { MailForm } from './mail-form.tsx';
import { ServiceLogo } from './service-logo.tsx';

/** The ways the window can carry out itself (a CLI reader is linked from Models; a mail server has its own form). */
const WINDOW_WAYS = new Set(['oauth2', 'device', 'api_key', 'bearer', 'basic', 'smtp_imap']);

/** A service's own page: what it gives, how to set it up in plain words, one way to connect at a time, the technical part under Details. */
export function ServicePage({ service, onBack }: { readonly service: ServiceSummary; readonly onBack: () => void }) {
  const connections = useSophon((s) => s.connections);
  const { setView } = useActions();
  const taken = useMemo(() => Object.values(connections).filter((c) => c.service === service.id).map((c) => c.label), [connections, service.id]);
  const provider = PROVIDER_SERVICES.has(service.id);
  const ways = service.auth.filter((m) => WINDOW_WAYS.has(m.type));
  const [chosen, setChosen] = useState(0);
  const way = ways[Math.min(chosen, ways.length - 1)];
  const groupName = useId();
  const mailReauth = useSophon((s) => (s.mailReauth ? s.connections[s.mailReauth] : undefined));
  const mailMethod = service.auth.find((m) => m.type === 'smtp_imap');

  if (mailReauth && mailMethod && mailReauth.service === service.id) {
    // Reconnecting a mailbox: only its new-password form.
    return (
      <section aria-labelledby="service-title" className="service-page">
        <ServiceHeading service={service} onBack={onBack} verb="Reconnect" suffix={` · ${mailReauth.label}`} />
        <div className="card method-card">
          <MailForm service={service} method={mailMethod} taken={[]} reauth={mailReauth} />
        </div>
      </section>
    );
  }

  return (
    <section aria-labelledby="service-title" className="service-page">
      <ServiceHeading service={service} onBack={onBack} />
      {taken.length > 0 && (
        <p className="muted small">
          Already connected as {taken.join(', ')}. Give each account its own label.
        </p>
      )}
      {service.setup && service.setup.length > 0 && (
        <div className="card steps-card">
          <h3>How to set it up</h3>
          {service.setup.length === 1 ? (
            <p className="steps-one">{service.setup[0]}</p>
          ) : (
            <ol className="steps">
              {service.setup.map((step) => (
                <li key={step}>{step}</li>
              ))}
            </ol>
          )}
        </div>
      )}
      {provider ? (
        <>
          <ProviderSignIns service={service.id} />
          <p>
            <button type="button" className="link-button" onClick={() => setView('models')}>
              See all model profiles
            </button>
          </p>
        </>
      ) : (
        <>
          {ways.length > 1 && (
            <fieldset className="segmented">
              <legend className="visually-hidden">Connect with</legend>
              {ways.map((m, i) => (
                <label key={`${m.type}-${i}`} className="segment">
                  <input type="radio" name={groupName} checked={way === m} onChange={() => setChosen(i)} />
                  <span>{methodName(m)}</span>
                </label>
              ))}
            </fieldset>
          )}
          {way && (
            <div className="card method-card" key={`${way.type}-${chosen}`}>
              <WayForm service={service} method={way} taken={taken} />
            </div>
          )}
        </>
      )}
      <ServiceDetails service={service} />
    </section>
  );
}

function ServiceHeading({ service, onBack, verb = 'Connect', suffix = '' }: { readonly service: ServiceSummary; readonly onBack: () => void; readonly verb?: string; readonly suffix?: string }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    window.scrollTo(0, 0);
    headingRef.current?.focus({ preventScroll: true });
  }, []);
  return (
    <>
      <button type="button" className="back-button" onClick={onBack}>
        <Icon name="chevronLeft" /> All services
      </button>
      <div className="service-head">
        <ServiceLogo icon={service.icon} name={service.name} size={48} />
        <div>
          <h2 id="service-title" ref={headingRef} tabIndex={-1}>
            {verb} {service.name}
            {suffix}
          </h2>
          <p className="muted">
            {summaryOf(service)}
            {CATEGORY_TEXT[service.category] && service.category !== 'other' && <span className="tag tag-quiet">{CATEGORY_TEXT[service.category]}</span>}
          </p>
        </div>
      </div>
    </>
  );
}

function WayForm({ service, method, taken }: { readonly service: ServiceSummary; readonly method: AuthMethodView; readonly taken: readonly string[] }) {
  switch (method.type) {
    case 'oauth2':
    case 'device':
      return <SignInForm service={service} method={method} taken={taken} />;
    case 'api_key':
    case 'bearer':
    case 'basic':
      return <SecretForm service={service} method={method} taken={taken} />;
    case 'smtp_imap':
      return <MailForm service={service} method={method} taken={taken} />;
    case 'cli_reader':
      return null;
  }
}

function SignInForm({ service, method, taken }: { readonly service: ServiceSummary; readonly method: AuthMethodView; readonly taken: readonly string[] }) {
  const signinError = useSophon((s) => (s.signinErrorFor === service.id ? s.signinError : undefined));
  const signingIn = useSophon((s) => s.signin !== undefined);
  const { startSignIn } = useActions();
  const [label, setLabel] = useState('');
  const id = useId();
  const labelError = labelProblem(label, taken) ?? labelRequired(label, taken);
  if (method.clientConfigured === false) return <OAuthClientForm service={service} method={method} />;
  const device = method.type === 'device';
  return (
    <div>
      <h3>{device ? 'Sign in with a code' : `Sign in with ${service.name}`}</h3>
      <p className="muted small">
        {device
          ? `Sophon shows a short code; enter it on ${service.name}’s page in any browser, on any device.`
          : `${service.name}’s sign-in page opens in your browser. Allow access there, and this window updates by itself.`}
      </p>
      <div className="field">
        <label htmlFor={`${id}-label`}>{taken.length > 0 ? 'Label' : 'Label (optional)'}</label>
        <input
          id={`${id}-label`}
          value={label}
          maxLength={80}
          onChange={(e) => setLabel(e.target.value)}
          placeholder={taken.length === 0 ? 'default' : 'work, personal…'}
          aria-invalid={Boolean(labelError && label !== '')}
          aria-describedby={labelError ? `${id}-label-error` : undefined}
        />
        {labelError && (
          <p id={`${id}-label-error`} className="field-error">
            {labelError}
          </p>
        )}
      </div>
      <button
        type="button"
        className="primary"
        disabled={signingIn || labelError !== undefined}
        onClick={() => void startSignIn({ service: service.id, method: method.type as 'oauth2' | 'device', ...(label ? { label } : {}) })}
      >
        {device ? 'Sign in with a code' : `Sign in with ${service.name} in your browser`}
      </button>
      {signinError && (
        <p className="field-error" role="alert">
          {forWindow(signinError)}
        </p>
      )}
    </div>
  );
}

const REDIRECT_TEXT: Readonly<Record<string, string>> = {
  deeplink: 'back to this app (sophon://oauth/callback)',
  loopback: 'to a one-time address on this machine (http://127.0.0.1, any port)',
  paste: 'to any page, whose address you paste back',
};

/** The technical part, folded: what the service's page says for developers, scopes, redirects, endpoints. */
function ServiceDetails({ service }: { readonly service: ServiceSummary }) {
  const oauth = service.auth.filter((m) => m.type === 'oauth2' || m.type === 'device');
  const scopes = [...new Set(oauth.flatMap((m) => m.scopes ?? []))];
  const registration = oauth.find((m) => m.clientRegistrationUrl)?.clientRegistrationUrl;
  const redirects = [...new Set(oauth.flatMap((m) => m.redirects ?? []))];
  // Issue 9: the exact addresses to add to the app registration, as the provider compares them.
  const redirectUris = [...new Set(oauth.flatMap((m) => (m.redirectUris ?? []).map((r) => r.uri)))];
  return (
    <details className="details card" data-testid="service-details">
      <summary>
        <Icon name="chevronRight" className="disclosure" /> Details
      </summary>
      <div className="details-body">
        {redirectUris.length > 0 && (
          <div className="redirect-uris">
            <h4>{redirectUris.length > 1 ? 'Redirect URIs to register' : 'Redirect URI to register'}</h4>
            <p className="muted small">Give {redirectUris.length > 1 ? 'these' : 'this'} to the app at {service.name}, exactly as written.</p>
            <ul className="plain copy-list" aria-label="Redirect URIs to register">
              {redirectUris.map((uri) => (
                <li key={uri}>
                  <code>{uri}</code>
                  <CopyButton text={uri} what={uri} />
                </li>
              ))}
            </ul>
          </div>
        )}
        {service.description && <p>{withCode(service.description)}</p>}
        <dl className="facts small">
          <dt>Service id</dt>
          <dd>
            <code>{service.id}</code>
          </dd>
          <dt>API</dt>
          <dd>
            <code>{service.baseUrl}</code>
          </dd>
          {scopes.length > 0 && (
            <>
              <dt>Scopes</dt>
              <dd>
                {scopes.map((s) => (
                  <code key={s} className="scope">
                    {s}
                  </code>
                ))}
              </dd>
            </>
          )}
          {redirectUris.length === 0 && redirects.length > 0 && (
            <>
              <dt>Sign-in returns</dt>
              <dd>
                <ul className="plain">
                  {redirects.map((r) => (
                    <li key={r}>{REDIRECT_TEXT[r] ?? r}</li>
                  ))}
                </ul>
              </dd>
            </>
          )}
          {registration && (
            <>
              <dt>Register an app</dt>
              <dd>
                <a href={registration} target="_blank" rel="noopener noreferrer">
                  {hostOf(registration)}
                </a>
              </dd>
            </>
          )}
          {service.docsUrl && (
            <>
              <dt>API reference</dt>
              <dd>
                <a href={service.docsUrl} target="_blank" rel="noopener noreferrer">
                  {hostOf(service.docsUrl)}
                </a>
              </dd>
            </>
          )}
        </dl>
      </div>
    </details>
  );
}

/** Copies one value (a redirect URI) and says so where a screen reader hears it. */
function CopyButton({ text, what }: { readonly text: string; readonly what: string }) {
  const [said, setSaid] = useState<string | undefined>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setSaid('Copied');
    } catch {
      setSaid('Select it and copy it yourself');
    }
  };
  return (
    <>
      <button type="button" className="copy-button" aria-label={`Copy ${what}`} onClick={() => void copy()}>
        <Icon name="copy" size={14} /> Copy
      </button>
      <span className="muted small" aria-live="polite">
        {said}
      </span>
    </>
  );
}
