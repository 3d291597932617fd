import { useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import type { AuthMethodView, ServiceSummary } from '../../main/api/contract.ts';
import { useActions, useSophon } from '../store-context.tsx';
import { SecretForm } from './secret-form.tsx';
import { MailForm } from './mail-form.tsx';
import { OAuthClientForm } from './oauth-client-form.tsx';
import { ProviderCard } from './provider-cards.tsx';
import { PROVIDER_SERVICES } from '../models-store.ts';
import { labelProblem, labelRequired } from '../validation.ts';

/** Add a connection: pick a service from the searchable catalog, then one of its ways to sign in. */
export function AddConnection() {
  const catalog = useSophon((s) => s.catalog);
  const chosen = useSophon((s) => s.addService);
  const { chooseService } = useActions();
  const service = catalog.find((s) => s.id === chosen);
  if (service && PROVIDER_SERVICES.has(service.id)) return <ProviderDetail service={service} onBack={() => chooseService(undefined)} />;
  if (service) return <ServiceDetail service={service} onBack={() => chooseService(undefined)} />;
  return <CatalogPicker catalog={catalog} onPick={(id) => chooseService(id)} />;
}

function CatalogPicker({ catalog, onPick }: { readonly catalog: readonly ServiceSummary[]; readonly onPick: (id: string) => void }) {
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query);
  const searchRef = useRef<HTMLInputElement>(null);
  useEffect(() => searchRef.current?.focus(), []);
  const matches = useMemo(() => {
    const needle = deferred.trim().toLowerCase();
    return catalog
      .filter((s) => !needle || `${s.name} ${s.id} ${s.category} ${s.description ?? ''}`.toLowerCase().includes(needle))
      .sort((a, b) => a.name.localeCompare(b.name));
  }, [catalog, deferred]);

  return (
    <section aria-labelledby="catalog-title" className="catalog">
      <h2 id="catalog-title">Add a connection</h2>
      <label className="field">
        <span>Search services</span>
        <input ref={searchRef} type="search" value={query} placeholder="GitHub, Slack, OpenRouter…" onChange={(e) => setQuery(e.target.value)} aria-describedby="catalog-count" />
      </label>
      <p id="catalog-count" className="muted" role="status">
        {matches.length === catalog.length ? `${catalog.length} service${catalog.length === 1 ? '' : 's'}` : `${matches.length} of ${catalog.length} services match`}
      </p>
      <ul className="catalog-list">
        {matches.map((s) => (
          <li key={s.id}>
            <button type="button" className="catalog-item" onClick={() => onPick(s.id)}>
              <span className="catalog-name">{s.name}</span>
              <span className="muted catalog-meta">
                {s.category}
                {s.custom ? ' · custom' : ''} · {s.auth.map((m) => methodName(m)).join(', ')}
              </span>
              {s.description && <span className="muted catalog-desc">{s.description}</span>}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function methodName(method: AuthMethodView): string {
  switch (method.type) {
    case 'oauth2':
      return 'browser sign-in';
    case 'device':
      return 'sign-in with a code';
    case 'api_key':
      return method.label ?? 'API key';
    case 'bearer':
      return method.label ?? 'token';
    case 'basic':
      return 'username and password';
    case 'smtp_imap':
      return 'mail server';
    case 'cli_reader':
      return `${method.cli ?? 'CLI'} login`;
  }
}

/** The way back to the catalog and the service's heading, focused on arrival for keyboard and screen-reader users. */
function DetailHeading({ name, onBack, verb = 'Connect' }: { readonly name: string; readonly onBack: () => void; readonly verb?: string }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
  return (
    <>
      <button type="button" className="link-button" onClick={onBack}>
        ← All services
      </button>
      <h2 id="service-title" ref={headingRef} tabIndex={-1}>
        {verb} {name}
      </h2>
    </>
  );
}

/** A model provider picked from the catalog: its card (the same as in the Models view). */
function ProviderDetail({ service, onBack }: { readonly service: ServiceSummary; readonly onBack: () => void }) {
  const { setView } = useActions();
  return (
    <section aria-labelledby="service-title" className="service-detail">
      <DetailHeading name={service.name} onBack={onBack} />
      <ProviderCard service={service.id} />
      <p>
        <button type="button" className="link-button" onClick={() => setView('models')}>
          See all model profiles
        </button>
      </p>
    </section>
  );
}

function ServiceDetail({ service, onBack }: { readonly service: ServiceSummary; readonly onBack: () => void }) {
  const connections = useSophon((s) => s.connections);
  const signinError = useSophon((s) => s.signinError);
  const signingIn = useSophon((s) => s.signin !== undefined);
  const mailReauth = useSophon((s) => (s.mailReauth ? s.connections[s.mailReauth] : undefined));
  const { startSignIn } = useActions();
  const taken = useMemo(() => Object.values(connections).filter((c) => c.service === service.id).map((c) => c.label), [connections, service.id]);
  const [label, setLabel] = useState('');
  const oauth = service.auth.filter((m) => m.type === 'oauth2' || m.type === 'device');
  const secrets = service.auth.filter((m) => m.type === 'api_key' || m.type === 'bearer' || m.type === 'basic');
  const other = service.auth.filter((m) => m.type === 'smtp_imap' || m.type === 'cli_reader');
  const labelInput = label === '' ? undefined : label;
  const labelError = labelProblem(label, taken) ?? labelRequired(label, taken);
  const mailMethod = service.auth.find((m) => m.type === 'smtp_imap');
  if (mailReauth && mailMethod && mailReauth.service === service.id) {
    // Reconnecting a mailbox: only its new-password form.
    return (
      <section aria-labelledby="service-title" className="service-detail">
        <DetailHeading name={`${service.name} · ${mailReauth.label}`} verb="Reconnect" onBack={onBack} />
        <div className="method-card">
          <MailForm service={service} method={mailMethod} taken={[]} reauth={mailReauth} />
        </div>
      </section>
    );
  }

  return (
    <section aria-labelledby="service-title" className="service-detail">
      <DetailHeading name={service.name} onBack={onBack} />
      {service.description && <p className="muted">{service.description}</p>}
      {taken.length > 0 && (
        <p className="muted">
          Already connected as: {taken.join(', ')}. Give each account its own label.
        </p>
      )}
      {oauth.length > 0 && (
        <div className="method-card">
          <h3>Sign in with {service.name}</h3>
          <label className="field">
            <span>{taken.length > 0 ? 'Label' : 'Label (optional)'}</span>
            <input
              value={label}
              maxLength={80}
              onChange={(e) => setLabel(e.target.value)}
              placeholder={taken.length === 0 ? 'default' : 'work, personal…'}
              aria-invalid={Boolean(labelError && label !== '')}
              aria-describedby={labelError ? 'oauth-label-error' : undefined}
            />
          </label>
          {labelError && (
            <p id="oauth-label-error" className="field-error">
              {labelError}
            </p>
          )}
          {oauth.map((m) =>
            m.clientConfigured === false ? (
              <OAuthClientForm key={m.type} service={service} method={m} />
            ) : (
              <button
                key={m.type}
                type="button"
                className="primary"
                disabled={signingIn || labelError !== undefined}
                onClick={() => void startSignIn({ service: service.id, method: m.type as 'oauth2' | 'device', ...(labelInput ? { label: labelInput } : {}) })}
              >
                {m.type === 'oauth2' ? `Sign in with ${service.name} in your browser` : `Sign in with a code`}
              </button>
            ),
          )}
          {signinError && (
            <p className="field-error" role="alert">
              {signinError}
            </p>
          )}
        </div>
      )}
      {secrets.map((m) => (
        <div className="method-card" key={m.type}>
          <SecretForm service={service} method={m} taken={taken} />
        </div>
      ))}
      {other.map((m) =>
        m.type === 'smtp_imap' ? (
          <div className="method-card" key={m.type}>
            <MailForm service={service} method={m} taken={taken} />
          </div>
        ) : (
          <div className="method-card" key={m.type}>
            <h3>{methodName(m)}</h3>
            <p>
              Add this one from a terminal: <code>sophon connect add {service.id}</code>
            </p>
          </div>
        ),
      )}
    </section>
  );
}
