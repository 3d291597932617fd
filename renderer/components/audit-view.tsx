import { useMemo } from 'react';
import type { AuditEntryView } from '../../main/api/contract.ts';
import { entryFacts, groupAudit, type AuditGroup, type AuditNames } from '../audit-text.ts';
import { relative, shortDate } from '../format.ts';
import { Icon } from '../icons.tsx';
import { useSophon, useActions } from '../store-context.tsx';
import { AUDIT_PAGE, type AuditFilter } from '../audit-store.ts';

/** Who used, changed or removed which credential, as sentences and groups, newest first; the raw lines on demand. */
export function AuditView() {
  const audit = useSophon((s) => s.audit);
  const connections = useSophon((s) => s.connections);
  const catalog = useSophon((s) => s.catalog);
  const skills = useSophon((s) => s.agents.skills);
  const { loadAudit } = useActions();
  const names = useMemo<AuditNames>(() => {
    const services = new Map(catalog.map((s) => [s.id, s.name]));
    const service = (id: string) => services.get(id) ?? id;
    return {
      service,
      connection: (id) => {
        const c = connections[id];
        return c ? `${service(c.service)} · ${c.label}` : undefined;
      },
      skill: (id) => skills.find((s) => s.id === id)?.name ?? id,
    };
  }, [catalog, connections, skills]);
  const groups = useMemo(() => groupAudit(audit.entries, names), [audit.entries, names]);
  const byDay = useMemo(() => days(groups), [groups]);
  const connectionOptions = useMemo(() => Object.values(connections).map((c) => ({ id: c.id, label: names.connection(c.id) ?? c.id })).sort((a, b) => a.label.localeCompare(b.label)), [connections, names]);
  const setFilter = (change: Partial<AuditFilter>) => {
    const next: Record<string, string> = { ...audit.filter, ...change } as Record<string, string>;
    for (const k of Object.keys(next)) if (!next[k]) delete next[k];
    void loadAudit(0, next as AuditFilter);
  };
  const now = Date.now();
  const filtered = Object.keys(audit.filter).length > 0;

  return (
    <section aria-labelledby="audit-title" className="audit" data-testid="audit-view">
      <div className="page-head row-between">
        <div>
          <h2 id="audit-title">Audit</h2>
          <p className="muted">Every use of a credential, by you, Sophon or an agent. Nothing here holds a secret.</p>
        </div>
        <button type="button" onClick={() => void loadAudit(0)} disabled={audit.loading}>
          Refresh
        </button>
      </div>
      <div className="filters" role="group" aria-label="Filter the audit">
        <label className="filter-field">
          <span>Connection</span>
          <select value={audit.filter.connection ?? ''} onChange={(e) => setFilter({ connection: e.target.value || undefined })}>
            <option value="">All</option>
            {connectionOptions.map((c) => (
              <option key={c.id} value={c.id}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <label className="filter-field">
          <span>Skill</span>
          <select value={audit.filter.skill ?? ''} onChange={(e) => setFilter({ skill: e.target.value || undefined })}>
            <option value="">All</option>
            {skills.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name ?? s.id}
              </option>
            ))}
          </select>
        </label>
        <label className="filter-field">
          <span>Outcome</span>
          <select value={audit.filter.outcome ?? ''} onChange={(e) => setFilter({ outcome: (e.target.value || undefined) as AuditFilter['outcome'] })}>
            <option value="">All</option>
            <option value="ok">Succeeded</option>
            <option value="failed">Failed or refused</option>
          </select>
        </label>
      </div>
      {audit.error && (
        <p className="field-error" role="alert">
          {audit.error}
        </p>
      )}
      <p className="muted small" role="status">
        {audit.loading
          ? 'Loading…'
          : audit.total === 0
            ? filtered
              ? 'Nothing matches these filters.'
              : 'Nothing recorded yet.'
            : audit.complete === false
              ? `At least ${audit.total.toLocaleString()} events${filtered ? ' match' : ''}, newest first`
              : `${audit.total === 1 ? 'One event' : `${audit.total.toLocaleString()} events`}${filtered ? ' match' : ''}, newest first`}
      </p>
      {byDay.map((day) => (
        <section key={day.title} className="card list-card" aria-label={day.title}>
          <h3 className="list-card-title day-title">{day.title}</h3>
          <ul className="rows audit-rows">
            {day.groups.map((g) => (
              <GroupRow key={g.key} group={g} now={now} />
            ))}
          </ul>
        </section>
      ))}
      {audit.offset + audit.entries.length < audit.total && (
        <div className="pager">
          <button type="button" disabled={audit.loading} onClick={() => void loadAudit(audit.offset + AUDIT_PAGE)}>
            Older
          </button>
          {audit.offset > 0 && (
            <button type="button" disabled={audit.loading} onClick={() => void loadAudit(Math.max(0, audit.offset - AUDIT_PAGE))}>
              Newer
            </button>
          )}
        </div>
      )}
    </section>
  );
}

function GroupRow({ group: g, now }: { readonly group: AuditGroup; readonly now: number }) {
  const span = g.entries.length > 1 && g.newest - g.oldest > 60_000 ? `${time(g.oldest)}–${time(g.newest)}` : time(g.newest);
  return (
    <li className={`row audit-row ${g.ok ? '' : 'audit-failed'}`} data-outcome={g.outcome}>
      <span className={`audit-icon tone-text-${g.ok ? 'ok' : g.outcome === 'denied' ? 'warn' : 'bad'}`} aria-hidden="true">
        <Icon name={g.ok ? 'check' : g.outcome === 'denied' ? 'ban' : 'x'} size={14} />
      </span>
      <details className="audit-details">
        <summary>
          <span className="audit-sentence">
            {g.sentence}
            {!g.ok && <span className="visually-hidden"> ({g.outcome})</span>}
          </span>
          <time className="audit-time muted" dateTime={new Date(g.newest).toISOString()} title={shortDate(new Date(g.newest).toISOString())}>
            {now - g.newest < 3_600_000 ? relative(g.newest, now) : span}
          </time>
        </summary>
        <ol className="audit-lines">
          {g.entries.slice(0, 50).map((e) => (
            <li key={e.seq}>
              <span className="muted tabular">{shortDate(e.ts)}</span>
              <Facts entry={e} />
            </li>
          ))}
          {g.entries.length > 50 && <li className="muted">…and {g.entries.length - 50} more like these.</li>}
        </ol>
      </details>
    </li>
  );
}

function Facts({ entry }: { readonly entry: AuditEntryView }) {
  return (
    <dl className="facts small">
      {entryFacts(entry).map(([k, v]) => (
        <div key={k} className="fact">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

let timeFormat: Intl.DateTimeFormat | undefined;
function time(ms: number): string {
  timeFormat ??= new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
  return timeFormat.format(new Date(ms));
}

let dayFormat: Intl.DateTimeFormat | undefined;
function days(groups: readonly AuditGroup[]): Array<{ title: string; groups: AuditGroup[] }> {
  dayFormat ??= new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' });
  const today = new Date().toDateString();
  const yesterday = new Date(Date.now() - 86_400_000).toDateString();
  const out: Array<{ title: string; groups: AuditGroup[] }> = [];
  for (const g of groups) {
    const d = new Date(g.newest);
    const title = d.toDateString() === today ? 'Today' : d.toDateString() === yesterday ? 'Yesterday' : dayFormat.format(d);
    const last = out.at(-1);
    if (last && last.title === title) last.groups.push(g);
    else out.push({ title, groups: [g] });
  }
  return out;
}
