import { memo, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import type { ConnectionView, ServiceSummary } from '../../main/api/contract.ts';
import { METHOD_TEXT, STATE_TEXT, relative, shortDate } from '../format.ts';
import { useActions, useSophon } from '../store-context.tsx';
import type { TestState } from '../store.ts';
import { ConfirmDialog } from './confirm-dialog.tsx';

interface Group {
  readonly service: string;
  readonly name: string;
  readonly connections: readonly ConnectionView[];
}

const REAUTHABLE = new Set(['oauth2', 'device', 'smtp_imap']);
let drawnMarked = false;

function groupConnections(connections: Readonly<Record<string, ConnectionView>>, names: ReadonlyMap<string, string>, filter: string): Group[] {
  const needle = filter.trim().toLowerCase();
  const groups = new Map<string, ConnectionView[]>();
  for (const c of Object.values(connections)) {
    const name = names.get(c.service) ?? c.service;
    if (needle && !`${name} ${c.service} ${c.label} ${c.account ?? ''} ${STATE_TEXT[c.state]}`.toLowerCase().includes(needle)) continue;
    let list = groups.get(c.service);
    if (!list) groups.set(c.service, (list = []));
    list.push(c);
  }
  return [...groups.entries()]
    .map(([service, list]) => ({ service, name: names.get(service) ?? service, connections: list.sort((a, b) => a.label.localeCompare(b.label)) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function ConnectionsView() {
  const connections = useSophon((s) => s.connections);
  const catalog = useSophon((s) => s.catalog);
  const highlight = useSophon((s) => s.highlight);
  const { setView } = useActions();
  const [filter, setFilter] = useState('');
  const deferredFilter = useDeferredValue(filter);
  const [removing, setRemoving] = useState<ConnectionView | undefined>();
  const listRef = useRef<HTMLDivElement>(null);

  const names = useMemo(() => new Map(catalog.map((s: ServiceSummary) => [s.id, s.name])), [catalog]);
  const testable = useMemo(() => new Set(catalog.filter((s) => s.hasTest).map((s) => s.id)), [catalog]);
  const groups = useMemo(() => groupConnections(connections, names, deferredFilter), [connections, names, deferredFilter]);
  const total = Object.keys(connections).length;
  const needing = useMemo(() => Object.values(connections).filter((c) => c.state === 'needs_reauth'), [connections]);
  const shown = groups.reduce((n, g) => n + g.connections.length, 0);

  // The benchmark's finish line: the first time the list is on screen.
  useEffect(() => {
    if (drawnMarked) return;
    drawnMarked = true;
    requestAnimationFrame(() => performance.mark('sophon:list-drawn'));
  }, []);

  useEffect(() => {
    if (!highlight) return;
    listRef.current?.querySelector(`[data-id="${CSS.escape(highlight)}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [highlight]);

  if (total === 0) {
    return (
      <section className="empty" aria-labelledby="empty-title" data-testid="connection-list" data-count={0}>
        <h2 id="empty-title">No connections yet</h2>
        <p>Connect a service or a model provider: Sophon keeps it signed in, encrypted on this machine.</p>
        <button type="button" className="primary" onClick={() => setView('add')}>
          Add a connection
        </button>
      </section>
    );
  }

  return (
    <div className="connections" ref={listRef}>
      {needing.length > 0 && <NeedsAttention connections={needing} names={names} />}
      <div className="list-toolbar">
        <h2 id="connections-title">
          Connections <span className="count">({total})</span>
        </h2>
        <label className="filter">
          <span className="visually-hidden">Filter connections</span>
          <input type="search" placeholder="Filter connections" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </label>
      </div>
      {deferredFilter && (
        <p className="muted" role="status">
          {shown} of {total} shown
        </p>
      )}
      <div data-testid="connection-list" data-count={total} aria-labelledby="connections-title">
        {groups.map((group) => (
          <ServiceGroup key={group.service} group={group} testable={testable.has(group.service)} highlight={highlight} onRemove={setRemoving} />
        ))}
      </div>
      {removing && (
        <RemoveDialog connection={removing} name={names.get(removing.service) ?? removing.service} onClose={() => setRemoving(undefined)} />
      )}
    </div>
  );
}

function NeedsAttention({ connections, names }: { readonly connections: readonly ConnectionView[]; readonly names: ReadonlyMap<string, string> }) {
  const { reconnect } = useActions();
  const busy = useSophon((s) => s.signin !== undefined);
  return (
    <section className="attention" aria-labelledby="attention-title" data-testid="needs-reauth">
      <h2 id="attention-title">
        <span className="badge badge-needs_reauth">Needs re-auth</span> {connections.length === 1 ? 'One connection needs you to sign in again' : `${connections.length} connections need you to sign in again`}
      </h2>
      <ul className="attention-list">
        {connections.slice(0, 20).map((c) => {
          const name = `${names.get(c.service) ?? c.service} · ${c.label}`;
          return (
            <li key={c.id}>
              <span>
                <strong>{name}</strong>
                {c.stateReason && <span className="muted"> — {c.stateReason}</span>}
              </span>
              {REAUTHABLE.has(c.authMethod) ? (
                <button type="button" className="primary" disabled={busy} aria-label={`Reconnect ${name}`} onClick={() => void reconnect(c.id)}>
                  Reconnect
                </button>
              ) : (
                <span className="muted">Remove it and add a new {METHOD_TEXT[c.authMethod].toLowerCase()}.</span>
              )}
            </li>
          );
        })}
      </ul>
      {connections.length > 20 && <p className="muted">…and {connections.length - 20} more, marked below.</p>}
    </section>
  );
}

interface GroupProps {
  readonly group: Group;
  readonly testable: boolean;
  readonly highlight: string | undefined;
  readonly onRemove: (connection: ConnectionView) => void;
}

const ServiceGroup = memo(function ServiceGroup({ group, testable, highlight, onRemove }: GroupProps) {
  const tests = useSophon((s) => s.tests);
  const headingId = `group-${group.service}`;
  return (
    <section className="group" aria-labelledby={headingId}>
      <h3 id={headingId} className="group-title">
        {group.name} <span className="count">{group.connections.length === 1 ? '1 account' : `${group.connections.length} accounts`}</span>
      </h3>
      <ul className="rows">
        {group.connections.map((c) => (
          <Row key={c.id} connection={c} serviceName={group.name} testable={testable} test={tests[c.id]} highlighted={highlight === c.id} onRemove={onRemove} />
        ))}
      </ul>
    </section>
  );
});

interface RowProps {
  readonly connection: ConnectionView;
  readonly serviceName: string;
  readonly testable: boolean;
  readonly test: TestState | undefined;
  readonly highlighted: boolean;
  readonly onRemove: (connection: ConnectionView) => void;
}

const Row = memo(function Row({ connection: c, serviceName, testable, test, highlighted, onRemove }: RowProps) {
  const { test: runTest, reconnect } = useActions();
  const name = `${serviceName} · ${c.label}`;
  const now = Date.now();
  return (
    <li className={`row${highlighted ? ' row-highlight' : ''}`} data-id={c.id} data-state={c.state}>
      <div className="row-main">
        <div className="row-title">
          <span className="label">{c.label}</span>
          {c.account && <span className="muted account">{c.account}</span>}
          <span className={`badge badge-${c.state}`}>{STATE_TEXT[c.state]}</span>
        </div>
        <p className="row-meta muted">
          {METHOD_TEXT[c.authMethod]}
          {c.expiresAt !== undefined && (c.expiresAt > now ? ` · token expires ${relative(c.expiresAt, now)}` : ` · token expired ${relative(c.expiresAt, now)}`)}
          {c.lastUsedAt ? ` · last used ${shortDate(c.lastUsedAt)}` : ` · added ${shortDate(c.createdAt)}`}
          {c.state !== 'active' && c.stateReason && c.stateReason !== c.lastTest?.message && ` · ${c.stateReason}`}
        </p>
        <TestLine test={test} last={c.lastTest} />
      </div>
      <div className="row-actions">
        {REAUTHABLE.has(c.authMethod) && c.state !== 'active' && (
          <button type="button" className={c.state === 'needs_reauth' ? 'primary' : ''} aria-label={`Reconnect ${name}`} onClick={() => void reconnect(c.id)}>
            Reconnect
          </button>
        )}
        {testable && (
          <button type="button" disabled={test?.running} aria-label={`Test ${name}`} onClick={() => void runTest(c.id)}>
            Test
          </button>
        )}
        <button type="button" className="quiet" aria-label={`Remove ${name}`} onClick={() => onRemove(c)}>
          Remove
        </button>
      </div>
    </li>
  );
});

/** The result of a test run now, or the last one the core recorded. */
function TestLine({ test, last }: { readonly test: TestState | undefined; readonly last: ConnectionView['lastTest'] }) {
  if (test?.running) {
    return (
      <p className="test-result" role="status">
        Testing…
      </p>
    );
  }
  if (test?.error) {
    return (
      <p className="test-result fail" role="status">
        Test failed: {test.error}
      </p>
    );
  }
  const result = test?.result ?? last;
  if (!result) return null;
  if (result.parts) {
    // A mailbox: IMAP and SMTP each on their own line.
    return (
      <ul className="test-parts" role={test?.result ? 'status' : undefined} aria-label={result.ok ? 'Test passed' : 'Test failed'}>
        {result.parts.map((part) => (
          <li key={part.name} className={`test-result ${part.ok ? 'ok' : 'fail'}`}>
            {part.message}
          </li>
        ))}
      </ul>
    );
  }
  return (
    <p className={`test-result ${result.ok ? 'ok' : 'fail'}`} role={test?.result ? 'status' : undefined}>
      {result.ok ? 'Test passed' : 'Test failed'}: {result.message}
      {!test?.result && <span className="muted"> ({shortDate(result.at)})</span>}
    </p>
  );
}

function RemoveDialog({ connection, name, onClose }: { readonly connection: ConnectionView; readonly name: string; readonly onClose: () => void }) {
  const { remove } = useActions();
  return (
    <ConfirmDialog
      title={`Remove ${name} · ${connection.label}?`}
      body="Sophon deletes the stored credential from this machine. Agents and skills using it lose access. This cannot be undone."
      confirmLabel="Remove"
      onConfirm={() => remove(connection.id)}
      onClose={onClose}
    />
  );
}
