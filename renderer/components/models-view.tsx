import { useMemo } from 'react';
import type { AuthOrderView, ModelsStatusView, ProfileView } from '../../main/api/contract.ts';
import { PROFILE_STATE_TEXT, SOURCE_TEXT, relative, stateBadge, withCode } from '../format.ts';
import type { ProfileTest } from '../models-store.ts';
import { useActions, useSophon } from '../store-context.tsx';
import { ClaudeCard, CodexCard, CopilotCard, useModelsLoaded } from './provider-cards.tsx';

const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  anthropic: 'Claude (Anthropic)',
  'openai-codex': 'ChatGPT plan (Codex)',
  'github-copilot': 'GitHub Copilot',
  openai: 'OpenAI',
  openrouter: 'OpenRouter',
  gemini: 'Gemini',
  ollama: 'Ollama',
};

const BILLING_TEXT: Readonly<Record<ModelsStatusView['providers'][number]['billing'], string>> = {
  subscription: 'subscription',
  'per-token': 'billed per token',
  mixed: 'subscription and per-token',
};

/** Model providers: the profiles agents can use (source, state, expiry, cost), the order each provider tries them in, and the sign-in cards. */
export function ModelsView() {
  useModelsLoaded();
  const models = useSophon((s) => s.models);
  const { loadModels } = useActions();
  const status = models.status;
  const shown = useMemo(() => (status ? status.providers.filter((p) => status.profiles.some((profile) => profile.provider === p.id)) : []), [status]);

  return (
    <div className="models" data-testid="models-view">
      <section aria-labelledby="profiles-title">
        <div className="list-toolbar">
          <h2 id="profiles-title">
            Model profiles {status && <span className="count">({status.profiles.length})</span>}
          </h2>
          <button type="button" disabled={models.loading} onClick={() => void loadModels()}>
            Check again
          </button>
        </div>
        {models.error && (
          <p className="field-error" role="alert">
            Sophon could not read the model profiles: {models.error}
          </p>
        )}
        {!status ? (
          <p className="muted" role="status">
            {models.loading ? 'Loading…' : ''}
          </p>
        ) : status.profiles.length === 0 ? (
          <p className="muted" role="status">
            No model profiles yet. Sign in with one of the providers below; agents then use your plan instead of pay-per-token keys.
          </p>
        ) : (
          <>
            <CheckLine check={status.check} />
            {shown.map((p) => (
              <ProviderProfiles
                key={p.id}
                provider={p.id}
                billing={BILLING_TEXT[p.billing]}
                order={models.orders[p.id]}
                fallbackOrder={p.order}
                profiles={status.profiles.filter((profile) => profile.provider === p.id)}
                tests={models.tests}
              />
            ))}
          </>
        )}
      </section>
      <section aria-labelledby="providers-title" className="provider-cards">
        <h2 id="providers-title">Sign in to a model provider</h2>
        <ClaudeCard />
        <CodexCard />
        <CopilotCard />
      </section>
    </div>
  );
}

/** What `sophon models status --check` would say. */
function CheckLine({ check }: { readonly check: ModelsStatusView['check'] }) {
  if (check.exitCode === 0) {
    return (
      <p className="test-result ok" data-testid="models-check">
        Every profile is usable.
      </p>
    );
  }
  return (
    <div className="check-problems" data-testid="models-check">
      <p className={check.exitCode === 1 ? 'test-result fail' : 'field-warning'}>{check.exitCode === 1 ? 'Some profiles cannot be used:' : 'A profile expires within 24 hours:'}</p>
      <ul className="small">
        {check.problems.map((problem) => (
          <li key={problem}>{withCode(problem)}</li>
        ))}
      </ul>
    </div>
  );
}

interface ProviderProfilesProps {
  readonly provider: string;
  readonly billing: string;
  readonly order: AuthOrderView | undefined;
  readonly fallbackOrder: readonly string[];
  readonly profiles: readonly ProfileView[];
  readonly tests: Readonly<Record<string, ProfileTest>>;
}

function ProviderProfiles({ provider, billing, order, fallbackOrder, profiles, tests }: ProviderProfilesProps) {
  const { resetOrder } = useActions();
  const name = PROVIDER_NAMES[provider] ?? provider;
  const effective = order?.effective ?? fallbackOrder;
  // In the order they are tried; any the order does not name (it skips them) after.
  const ordered = [...effective.map((id) => profiles.find((p) => p.id === id)).filter((p): p is ProfileView => p !== undefined), ...profiles.filter((p) => !effective.includes(p.id))];
  const headingId = `provider-${provider}`;
  const movable = effective.length > 1;
  return (
    <section className="group" aria-labelledby={headingId} data-provider={provider}>
      <h3 id={headingId} className="group-title">
        {name} <span className="count">{billing}</span>
      </h3>
      <p className="muted small">
        {order?.scope === 'provider' || order?.scope === 'agent' ? 'Tried in the order you set:' : 'Tried in this order (the default):'} {effective.join(' → ') || 'none usable'}
        {order?.scope === 'provider' && (
          <>
            {' '}
            <button type="button" className="link-button" aria-label={`Reset the order of ${name}`} onClick={() => void resetOrder(provider)}>
              Reset
            </button>
          </>
        )}
      </p>
      <ol className="rows" aria-label={`${name} profiles, in the order they are tried`}>
        {ordered.map((p) => (
          <ProfileRow key={p.id} profile={p} position={effective.indexOf(p.id)} count={effective.length} movable={movable} test={tests[p.id]} />
        ))}
      </ol>
    </section>
  );
}

function ProfileRow({ profile: p, position, count, movable, test }: { readonly profile: ProfileView; readonly position: number; readonly count: number; readonly movable: boolean; readonly test: ProfileTest | undefined }) {
  const { moveProfile, testProfile } = useActions();
  const now = Date.now();
  return (
    <li className="row" data-profile={p.id} data-state={p.state}>
      <div className="row-main">
        <div className="row-title">
          <span className="label">{p.id}</span>
          {p.account && <span className="muted account">{p.account}</span>}
          <span className={`badge badge-${stateBadge(p.state)}`}>{PROFILE_STATE_TEXT[p.state]}</span>
        </div>
        <p className="row-meta muted">
          {SOURCE_TEXT[p.source]}
          {p.connectionId ? ' · linked' : p.source === 'cli-sync' ? ' · found on this machine, not linked' : ''}
          {p.plan && ` · plan ${p.plan}`}
          {p.expiresAt !== undefined && (p.expiresAt > now ? ` · token expires ${relative(p.expiresAt, now)}` : ` · token expired ${relative(p.expiresAt, now)}`)}
          {p.refreshable && ' · renewed by Sophon'}
          {p.cost ? ` · cost per token $${p.cost.input} (covered by the plan)` : ' · billed per token'}
        </p>
        {p.reason && <p className="test-result fail">{withCode(p.reason)}</p>}
        {test && (
          <p className={`test-result ${test.running ? '' : test.ok ? 'ok' : 'fail'}`} role="status">
            {test.running ? 'Testing…' : `${test.ok ? 'Test passed' : 'Test failed'}: ${test.message ?? ''}`}
          </p>
        )}
      </div>
      <div className="row-actions">
        {movable && position >= 0 && (
          <>
            <button type="button" disabled={position === 0} aria-label={`Try ${p.id} earlier`} onClick={() => void moveProfile(p.provider, p.id, -1)}>
              Earlier
            </button>
            <button type="button" disabled={position === count - 1} aria-label={`Try ${p.id} later`} onClick={() => void moveProfile(p.provider, p.id, 1)}>
              Later
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
