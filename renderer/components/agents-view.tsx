import { useEffect, useMemo, useState } from 'react';
import type { BrokerTokenView, SkillView } from '../../main/api/contract.ts';
import { countdown, shortDate } from '../format.ts';
import { grantDiff, grantSentence } from '../grant-text.ts';
import { forWindow } from '../humanize.ts';
import { Icon } from '../icons.tsx';
import { useActions, useSophon } from '../store-context.tsx';
import { StateBadge } from './state-badge.tsx';

/** Agents: the skills that may use connections (in words), approvals with what changed, live broker tokens and the kill switch. */
export function AgentsView() {
  const agents = useSophon((s) => s.agents);
  const catalog = useSophon((s) => s.catalog);
  const bridgeKind = useSophon((s) => s.bridgeKind);
  const names = useMemo(() => new Map(catalog.map((s) => [s.id, s.name])), [catalog]);
  const name = (id: string) => names.get(id) ?? id;
  const waiting = agents.skills.filter((s) => s.status === 'pending' || s.status === 'changed');
  const approved = agents.skills.filter((s) => s.status === 'approved');
  const invalid = agents.skills.filter((s) => s.status === 'invalid');

  return (
    <div className="agents" data-testid="agents-view">
      <div className="page-head">
        <h2>Agents</h2>
        <p className="muted">A skill says which connections an agent may use. Nothing is lent until you approve it, and agents only ever hold a short-lived token, never your credentials.</p>
      </div>
      {agents.error && (
        <p className="field-error" role="alert">
          {forWindow(agents.error)}
        </p>
      )}
      <LiveTokens tokens={agents.broker?.live ?? []} running={agents.broker?.running ?? false} skills={agents.skills} name={name} />
      {waiting.length > 0 && (
        <section aria-labelledby="waiting-title" data-testid="skills-waiting">
          <h3 id="waiting-title" className="section-title">
            Waiting for you
          </h3>
          {waiting.map((s) => (
            <ApprovalCard key={`${s.id}-${s.grantHash}`} skill={s} name={name} />
          ))}
          {bridgeKind === 'dashboard' && <NotifyOffer />}
        </section>
      )}
      <section aria-labelledby="approved-title">
        <h3 id="approved-title" className="section-title">
          Approved skills
        </h3>
        {approved.length === 0 ? (
          <p className="muted card empty-line">{agents.loaded ? (agents.skills.length === 0 ? 'No skills yet. An agent’s skill shows here when it asks for access.' : 'None approved yet.') : 'Loading…'}</p>
        ) : (
          <ul className="card list-card rows">
            {approved.map((s) => (
              <SkillRow key={s.id} skill={s} name={name} />
            ))}
          </ul>
        )}
      </section>
      {invalid.length > 0 && (
        <section aria-labelledby="invalid-title">
          <h3 id="invalid-title" className="section-title">
            Could not be read
          </h3>
          <ul className="card list-card rows">
            {invalid.map((s) => (
              <li key={s.file} className="row">
                <div className="row-main">
                  <div className="row-title">
                    <span className="label">{s.id}</span>
                    <StateBadge tone="bad" icon="xCircle" word="Invalid" />
                  </div>
                  <p className="row-reason tone-text-bad">{s.problem}</p>
                  <p className="row-meta muted">
                    <code>{s.file}</code>
                  </p>
                </div>
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

function Grants({ skill, name }: { readonly skill: SkillView; readonly name: (id: string) => string }) {
  return (
    <ul className="grants">
      {skill.grants.map((g) => {
        const s = grantSentence(g, name);
        return (
          <li key={g.ref}>
            {s.verb} <strong>{s.what}</strong>
            <span className="muted">: </span>
            <code className="grant-detail">{s.detail}</code>
          </li>
        );
      })}
      <li className="muted">{skill.tools === null ? 'For any tool' : `For the tools ${skill.tools.join(', ')}`}</li>
    </ul>
  );
}

function ApprovalCard({ skill, name }: { readonly skill: SkillView; readonly name: (id: string) => string }) {
  const { approveSkill } = useActions();
  const [busy, setBusy] = useState(false);
  const changed = skill.status === 'changed';
  const diff = changed ? grantDiff(skill.approved, { grants: skill.grants, tools: skill.tools }, name) : [];
  const title = skill.name ?? skill.id;
  return (
    <article className="card approval" aria-labelledby={`skill-${skill.id}`} data-skill={skill.id} data-status={skill.status}>
      <div className="row-title">
        <h4 id={`skill-${skill.id}`}>{title}</h4>
        <StateBadge tone="warn" icon={changed ? 'alert' : 'bell'} word={changed ? 'Asks for more' : 'New'} />
      </div>
      {skill.description && <p className="muted">{skill.description}</p>}
      {changed ? (
        <>
          <p className="small">
            Approved {skill.approvedAt ? shortDate(skill.approvedAt) : 'before'}; it now asks for more. Until you approve again, its agents get no new tokens.
          </p>
          <ul className="diff" aria-label="What changed">
            {diff.map((d) => (
              <li key={`${d.kind}-${d.text}`} className={`diff-${d.kind}`}>
                <span className="diff-mark" aria-hidden="true">
                  {d.kind === 'added' ? '+' : d.kind === 'removed' ? '−' : ' '}
                </span>
                <span className="visually-hidden">{d.kind === 'added' ? 'Added: ' : d.kind === 'removed' ? 'Removed: ' : 'Unchanged: '}</span>
                {d.text}
              </li>
            ))}
          </ul>
        </>
      ) : (
        <>
          <p className="small">It asks for:</p>
          <Grants skill={skill} name={name} />
        </>
      )}
      <div className="card-actions">
        <button
          type="button"
          className="primary"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            await approveSkill(skill);
            setBusy(false);
          }}
        >
          <Icon name="check" /> {changed ? 'Approve the changes' : 'Approve'}
        </button>
        <span className="muted small">Approves exactly what is shown here.</span>
      </div>
    </article>
  );
}

function SkillRow({ skill, name }: { readonly skill: SkillView; readonly name: (id: string) => string }) {
  const { revokeSkill } = useActions();
  return (
    <li className="row" data-skill={skill.id} data-status={skill.status}>
      <span className="logo logo-monogram tint-0" aria-hidden="true" style={{ width: 32, height: 32 }}>
        <Icon name="bot" size={18} />
      </span>
      <div className="row-main">
        <div className="row-title">
          <span className="label">{skill.name ?? skill.id}</span>
          <StateBadge tone="ok" icon="checkCircle" word="Approved" />
        </div>
        <Grants skill={skill} name={name} />
        {skill.approvedAt && <p className="row-meta muted">Approved {shortDate(skill.approvedAt)}</p>}
      </div>
      <div className="row-actions">
        <button type="button" className="quiet" aria-label={`Withdraw the approval of ${skill.name ?? skill.id}`} onClick={() => void revokeSkill(skill.id)}>
          Withdraw
        </button>
      </div>
    </li>
  );
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

/** Live broker tokens with their skill, tool and time left, and the kill switch that ends them all. */
function LiveTokens({ tokens, running, skills, name }: { readonly tokens: readonly BrokerTokenView[]; readonly running: boolean; readonly skills: readonly SkillView[]; readonly name: (id: string) => string }) {
  const { endToken, endAllTokens } = useActions();
  const now = useNow(tokens.length > 0);
  const live = tokens.filter((t) => t.expiresAt > now);
  const skillName = (id: string) => skills.find((s) => s.id === id)?.name ?? id;
  return (
    <section className="card list-card" aria-labelledby="live-title" data-testid="live-tokens">
      <div className="list-card-head">
        <h3 id="live-title" className="list-card-title">
          <Icon name="key" /> {live.length === 0 ? 'No agent holds a token' : live.length === 1 ? 'One live token' : `${live.length} live tokens`}
        </h3>
        <button type="button" className="danger" disabled={live.length === 0} onClick={() => void endAllTokens()}>
          <Icon name="power" /> End all
        </button>
      </div>
      {live.length === 0 ? (
        <p className="muted small pad">{running ? 'The broker is running. Tokens an agent gets show here while they last.' : 'The broker is not running in this Sophon, so no agent can get a token.'}</p>
      ) : (
        <ul className="rows">
          {live.map((t) => (
            <li key={t.id} className="row" data-token={t.id}>
              <div className="row-main">
                <div className="row-title">
                  <span className="label">{skillName(t.skill)}</span>
                  <span className="muted">· {t.tool}</span>
                </div>
                <p className="row-meta muted">
                  {t.connections.map((c) => `${name(c.service)} · ${c.label}`).join(', ') || 'no connection yet'} · <span className="tabular">{countdown(t.expiresAt - now)}</span> left
                </p>
              </div>
              <div className="row-actions">
                <button type="button" className="quiet" aria-label={`End the token of ${skillName(t.skill)} for ${t.tool}`} onClick={() => void endToken(t.id)}>
                  End
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** In a browser tab, notifications need the person's yes; the desktop app notifies by itself. */
function NotifyOffer() {
  const [permission, setPermission] = useState(() => (typeof Notification === 'undefined' ? 'unsupported' : Notification.permission));
  if (permission !== 'default') return null;
  return (
    <p className="small muted">
      <button type="button" className="link-button" onClick={() => void Notification.requestPermission().then(setPermission)}>
        Tell me on this computer
      </button>{' '}
      when a skill asks for approval.
    </p>
  );
}
