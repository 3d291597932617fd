import { useId, useMemo, useRef, useState } from 'react';
import type { AuthOrderView, ModelsStatusView, ProfileView, ServiceSummary } from '../../main/api/contract.ts';
import { SOURCE_TEXT, relative } from '../format.ts';
import { presentProfile, type Presented } from '../connection-state.ts';
import { forWindow } from '../humanize.ts';
import { Icon } from '../icons.tsx';
import { PROVIDER_SERVICES, type ProfileTest } from '../models-store.ts';
import { useActions, useSophon } from '../store-context.tsx';
import { ProviderSignIns, useModelsLoaded } from './provider-cards.tsx';
import { ServiceLogo } from './service-logo.tsx';
import { StateBadge } from './state-badge.tsx';

const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  anthropic: 'Claude (Anthropic)',
  'openai-codex': 'ChatGPT plan (Codex)',
  'github-copilot': 'GitHub Copilot',
  openai: 'OpenAI',
  openrouter: 'OpenRouter',
  gemini: 'Gemini',
  ollama: 'Ollama',
};

/** The subscription providers come first and always show: they are what this page is for. */
const SUBSCRIPTION_SIGNIN: Readonly<Record<string, string>> = {
  anthropic: 'anthropic-subscription',
  'openai-codex': 'openai-codex',
  'github-copilot': 'github-copilot',
};

const BILLING_TEXT: Readonly<Record<ModelsStatusView['providers'][number]['billing'], string>> = {
  subscription: 'Subscription',
  'per-token': 'Billed per token',
  mixed: 'Subscription and per token',
};

/** Model providers: one section each, its profiles in the order they are tried, then "Add a sign-in". */
export function ModelsView() {
  useModelsLoaded();
  const models = useSophon((s) => s.models);
  const catalog = useSophon((s) => s.catalog);
  const connections = useSophon((s) => s.connections);
  const { loadModels } = useActions();
  const status = models.status;
  // One "Add a sign-in" open at a time: opening another provider's closes the first.
  const [adding, setAdding] = useState<string | undefined>();
  const services = useMemo(() => new Map(catalog.map((s) => [s.id, s])), [catalog]);
  // Each profile read as the Connections view reads its connection (one state, one reason, both pages).
  const looks = useMemo(() => {
    const now = Date.now();
    const out = new Map<string, Presented>();
    for (const p of status?.profiles ?? []) {
      const connection = p.connectionId ? connections[p.connectionId] : undefined;
      out.set(p.id, presentProfile(p, connection, services.get(p.service)?.name ?? p.service, now));
    }
    return out;
  }, [status, connections, services]);
  const providers = useMemo(() => {
    if (!status) return { shown: [], rest: [] };
    const has = (id: string) => status.profiles.some((p) => p.provider === id);
    const shown = status.providers.filter((p) => SUBSCRIPTION_SIGNIN[p.id] || has(p.id)).sort((a, b) => rankOf(a.id) - rankOf(b.id));
    return { shown, rest: status.providers.filter((p) => !shown.includes(p)) };
  }, [status]);

  return (
    <div className="models" data-testid="models-view">
      <div className="page-head">
        {/* The button shares the title's row at every width: on its own line at 420 px it read as stray. */}
        <div className="title-row">
          <h2 id="profiles-title">Model profiles</h2>
          <button type="button" disabled={models.loading} onClick={() => void loadModels()}>
            Check again
          </button>
        </div>
        <p className="muted">Agents use these for model calls, trying each provider’s profiles from the top. A plan costs nothing per token.</p>
      </div>
      {models.error && (
        <p className="field-error" role="alert">
          Sophon could not read the model profiles: {forWindow(models.error)}
        </p>
      )}
      {!status ? (
        <p className="muted" role="status">
          {models.loading ? 'Loading…' : ''}
        </p>
      ) : (
        <>
          {status.profiles.length > 0 && <CheckLine profiles={status.profiles} looks={looks} />}
          {providers.shown.map((p) => (
            <ProviderSection
              key={p.id}
              provider={p.id}
              billing={BILLING_TEXT[p.billing]}
              order={models.orders[p.id]}
              fallbackOrder={p.order}
              profiles={status.profiles.filter((profile) => profile.provider === p.id)}
              tests={models.tests}
              looks={looks}
              services={services}
              apiServices={p.services}
              adding={adding === p.id}
              onAdding={(open) => setAdding(open ? p.id : undefined)}
            />
          ))}
          {providers.rest.length > 0 && <MoreProviders providers={providers.rest} services={services} />}
        </>
      )}
    </div>
  );
}

function rankOf(provider: string): number {
  const order = ['anthropic', 'openai-codex', 'github-copilot'];
  const i = order.indexOf(provider);
  return i < 0 ? order.length : i;
}

/** Every profile at a glance, in the words its row (and its connection's row) uses; the row says why. */
function CheckLine({ profiles, looks }: { readonly profiles: readonly ProfileView[]; readonly looks: ReadonlyMap<string, Presented> }) {
  const problems = profiles.map((p) => ({ p, look: looks.get(p.id) })).filter((x): x is { p: ProfileView; look: Presented } => x.look !== undefined && x.look.tone !== 'ok');
  if (problems.length === 0) {
    return (
      <p className="status-line tone-ok" data-testid="models-check">
        <Icon name="checkCircle" /> Every profile is usable.
      </p>
    );
  }
  const bad = problems.some((x) => x.look.tone === 'bad');
  return (
    <div className={`status-line tone-${bad ? 'bad' : 'warn'}`} data-testid="models-check">
      <Icon name={bad ? 'alert' : 'clock'} />
      <div>
        <p>{bad ? 'Some profiles cannot be used.' : problems.length === 1 ? 'One profile needs a look.' : 'Some profiles need a look.'}</p>
        <ul className="small plain">
          {problems.map(({ p, look }) => (
            <li key={p.id}>
              {PROVIDER_NAMES[p.provider] ?? p.provider} · {p.name}: {look.word}
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

interface ProviderSectionProps {
  readonly provider: string;
  readonly billing: string;
  readonly order: AuthOrderView | undefined;
  readonly fallbackOrder: readonly string[];
  readonly profiles: readonly ProfileView[];
  readonly tests: Readonly<Record<string, ProfileTest>>;
  readonly looks: ReadonlyMap<string, Presented>;
  readonly services: ReadonlyMap<string, ServiceSummary>;
  readonly apiServices: readonly string[];
  readonly adding: boolean;
  readonly onAdding: (open: boolean) => void;
}

function ProviderSection({ provider, billing, order, fallbackOrder, profiles, tests, looks, services, apiServices, adding, onAdding }: ProviderSectionProps) {
  const { resetOrder, openService } = useActions();
  const name = PROVIDER_NAMES[provider] ?? provider;
  const signInService = SUBSCRIPTION_SIGNIN[provider];
  const face = services.get(signInService ?? apiServices[0] ?? '') ?? services.get(apiServices[0] ?? '');
  const keyService = apiServices.map((id) => services.get(id)).find((s) => s && !PROVIDER_SERVICES.has(s.id) && s.auth.some((m) => m.type === 'api_key'));
  const panelId = useId();
  const toggle = useRef<HTMLButtonElement>(null);
  // Escape and Cancel close the form and give the keyboard back to the button that opened it.
  const close = () => {
    onAdding(false);
    toggle.current?.focus();
  };
  const effective = order?.effective ?? fallbackOrder;
  // In the order they are tried; any the order does not name (it skips them) after.
  const ordered = [...effective.map((id) => profiles.find((p) => p.id === id)).filter((p): p is ProfileView => p !== undefined), ...profiles.filter((p) => !effective.includes(p.id))];
  const headingId = `provider-${provider}`;
  const purpose = services.get(signInService ?? '')?.summary;
  const movable = effective.length > 1;
  return (
    <section className="card provider-section" aria-labelledby={headingId} data-provider={provider}>
      <div className="section-head">
        <ServiceLogo icon={face?.icon} name={name} size={32} />
        <div className="section-head-text">
          <h3 id={headingId}>{name}</h3>
          <p className="muted small">
            {billing}
            {profiles.length > 0 && ` · ${profiles.length === 1 ? 'one profile' : `${profiles.length} profiles`}`}
          </p>
        </div>
      </div>
      {profiles.length > 0 ? (
        <>
          {profiles.length > 1 && (
          <p className="muted small order-line">
            {order?.scope === 'provider' || order?.scope === 'agent' ? 'Tried in the order you set' : 'Tried in this order (the default)'}
            {order?.scope === 'provider' && (
              <>
                {' · '}
                <button type="button" className="link-button" aria-label={`Reset the order of ${name}`} onClick={() => void resetOrder(provider)}>
                  Reset
                </button>
              </>
            )}
          </p>
          )}
          <ol className="rows" aria-label={`${name} profiles, in the order they are tried`}>
            {ordered.map((p) => (
              <ProfileRow key={p.id} profile={p} look={looks.get(p.id)} position={effective.indexOf(p.id)} count={effective.length} movable={movable} test={tests[p.id]} />
            ))}
          </ol>
        </>
      ) : (
        <p className="muted small no-profile">
          No sign-in yet.{purpose && ` ${sentence(purpose)}`}
        </p>
      )}
      <div className="section-foot">
        {signInService && (
          <button ref={toggle} type="button" className="add-toggle" aria-expanded={adding} aria-controls={adding ? panelId : undefined} onClick={() => onAdding(!adding)}>
            <Icon name="plus" /> Add a sign-in
          </button>
        )}
        {keyService && (
          <button
            type="button"
            className="quiet-button"
            onClick={() => openService(keyService.id)}
          >
            <Icon name="key" /> Add an API key
          </button>
        )}
      </div>
      {signInService && adding && (
        <div
          id={panelId}
          className="add-panel"
          onKeyDown={(e) => {
            if (e.key !== 'Escape') return;
            e.stopPropagation();
            close();
          }}
        >
          <ProviderSignIns service={signInService} heading="Choose how to sign in" focusOnOpen onCancel={close} />
        </div>
      )}
    </section>
  );
}

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** Pay-per-token APIs with no profile yet: one calm list, each a way to its page. */
function MoreProviders({ providers, services }: { readonly providers: ModelsStatusView['providers']; readonly services: ReadonlyMap<string, ServiceSummary> }) {
  const { openService } = useActions();
  const items = providers.map((p) => ({ provider: p, service: services.get(p.services[0] ?? '') })).filter((i): i is { provider: (typeof providers)[number]; service: ServiceSummary } => i.service !== undefined);
  if (items.length === 0) return null;
  return (
    <section className="card" aria-labelledby="more-providers">
      <h3 id="more-providers">More model providers</h3>
      <ul className="link-list">
        {items.map(({ provider, service }) => (
          <li key={provider.id}>
            <button
              type="button"
              className="link-row"
              onClick={() => openService(service.id)}
            >
              <ServiceLogo icon={service.icon} name={service.name} size={24} />
              <span className="link-row-name">{service.name}</span>
              <span className="muted small">{service.summary ?? BILLING_TEXT[provider.billing]}</span>
              <Icon name="chevronRight" className="chevron" />
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function ProfileRow({ profile: p, look, position, count, movable, test }: { readonly profile: ProfileView; readonly look: Presented | undefined; readonly position: number; readonly count: number; readonly movable: boolean; readonly test: ProfileTest | undefined }) {
  const { moveProfile, testProfile } = useActions();
  const now = Date.now();
  const dead = p.state === 'expired' || p.state === 'needs_reauth' || p.state === 'missing' || look?.tone === 'bad';
  const meta = [
    SOURCE_TEXT[p.source] + (p.connectionId ? ' · linked' : p.source === 'cli-sync' ? ' · found on this machine, not linked' : ''),
    p.plan && `plan ${p.plan}`,
    !dead && p.expiresAt !== undefined && !p.refreshable && p.expiresAt > now ? `expires ${relative(p.expiresAt, now)}` : undefined,
    p.refreshable && !dead ? 'renewed by Sophon' : undefined,
    p.cost ? 'no cost per token' : 'billed per token',
  ].filter(Boolean);
  return (
    <li className="row" data-profile={p.id} data-state={p.state} data-tone={look?.tone}>
      {position >= 0 && count > 1 && (
        <span className="position" aria-hidden="true">
          {position + 1}
        </span>
      )}
      <div className="row-main">
        <div className="row-title">
          <span className="label">{p.name}</span>
          {p.account && <span className="muted account">{p.account}</span>}
          {look && <StateBadge tone={look.tone} icon={look.icon} word={look.word} />}
        </div>
        <p className="row-meta muted">{meta.join(' · ')}</p>
        {look?.reason && <p className={`row-reason tone-text-${look.tone}`}>{look.reason}</p>}
        {test && (
          <p className={`test-result ${test.running ? '' : test.ok ? 'ok' : 'fail'}`} role="status">
            {test.running ? 'Testing…' : `${test.ok ? 'Test passed' : 'Test failed'}: ${forWindow(test.message ?? '')}`}
          </p>
        )}
      </div>
      <div className="row-actions">
        {movable && position >= 0 && (
          <>
            <button type="button" className="icon-button" disabled={position === 0} aria-label={`Try ${p.id} earlier`} onClick={() => void moveProfile(p.provider, p.id, -1)}>
              <Icon name="arrowUp" />
            </button>
            <button type="button" className="icon-button" disabled={position === count - 1} aria-label={`Try ${p.id} later`} onClick={() => void moveProfile(p.provider, p.id, 1)}>
              <Icon name="arrowDown" />
            </button>
          </>
        )}
        <button type="button" disabled={test?.running} aria-label={`Test ${p.id}`} onClick={() => void testProfile(p.id)}>
          Test
        </button>
      </div>
    </li>
  );
}
