import { memo, startTransition, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import type { ConnectionView, ServiceSummary } from '../../main/api/contract.ts';
import { presentConnection } from '../connection-state.ts';
import { METHOD_TEXT, relative, shortDay } from '../format.ts';
import { forWindow } from '../humanize.ts';
import { Icon } from '../icons.tsx';
import { useActions, useSophon } from '../store-context.tsx';
import type { TestState } from '../store.ts';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { ServiceLogo } from './service-logo.tsx';
import { StateBadge } from './state-badge.tsx';

/** Rows are drawn in blocks the browser may skip while off screen (content-visibility). */
const BLOCK = 40;
const FIRST_DRAW = 2 * BLOCK;
let drawnMarked = false;

interface Item {
  readonly connection: ConnectionView;
  readonly service: ServiceSummary | undefined;
  readonly name: string;
}

export function ConnectionsView() {
  const connections = useSophon((s) => s.connections);
  const catalog = useSophon((s) => s.catalog);
  const highlight = useSophon((s) => s.highlight);
  const tests = useSophon((s) => s.tests);
  const { setView } = useActions();
  const [filter, setFilter] = useState('');
  const deferredFilter = useDeferredValue(filter);
  const [removing, setRemoving] = useState<Item | undefined>();
  const listRef = useRef<HTMLDivElement>(null);

  const services = useMemo(() => new Map(catalog.map((s) => [s.id, s])), [catalog]);
  const all = useMemo(
    () =>
      Object.values(connections)
        .map((c): Item => ({ connection: c, service: services.get(c.service), name: services.get(c.service)?.name ?? c.service }))
        .sort((a, b) => a.name.localeCompare(b.name) || a.connection.label.localeCompare(b.connection.label)),
    [connections, services],
  );
  const shown = useMemo(() => {
    const needle = deferredFilter.trim().toLowerCase();
    return needle ? all.filter((i) => `${i.name} ${i.connection.service} ${i.connection.label} ${i.connection.account ?? ''}`.toLowerCase().includes(needle)) : all;
  }, [all, deferredFilter]);
  const attentionAll = useMemo(() => shown.filter((i) => i.connection.state === 'needs_reauth'), [shown]);
  const restAll = useMemo(() => shown.filter((i) => i.connection.state !== 'needs_reauth'), [shown]);
  const total = all.length;
  // The first screenful is drawn at once; a long list's remainder follows in a transition
  // right after, so a thousand connections do not hold up the first frame.
  // The limit covers both groups: a hundred connections needing sign-in do not all draw first either.
  const [limit, setLimit] = useState(FIRST_DRAW);
  useEffect(() => {
    if (limit >= shown.length) return;
    const frame = requestAnimationFrame(() => startTransition(() => setLimit(Number.POSITIVE_INFINITY)));
    return () => cancelAnimationFrame(frame);
  }, [limit, shown.length]);
  const attention = limit >= attentionAll.length ? attentionAll : attentionAll.slice(0, limit);
  const restRoom = Math.max(0, limit - attention.length);
  const rest = restRoom >= restAll.length ? restAll : restAll.slice(0, restRoom);

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
      <section className="empty card" aria-labelledby="empty-title" data-testid="connection-list" data-count={0}>
        <span className="empty-mark" aria-hidden="true">
          <Icon name="plug" size={28} />
        </span>
        <h2 id="empty-title">No connections yet</h2>
        <p className="muted">Connect a service or a model provider. Sophon keeps it signed in, encrypted on this machine, and lends it only to agents you approve.</p>
        <button type="button" className="primary" onClick={() => setView('add')}>
          <Icon name="plus" /> Add a connection
        </button>
      </section>
    );
  }

  return (
    <div className="connections" ref={listRef} data-testid="connection-list" data-count={total}>
      <div className="page-head row-between">
        <h2 id="connections-title">
          Connections <span className="count">{total.toLocaleString()}</span>
        </h2>
        {total > 3 && (
          <div className="search-field compact">
            <Icon name="search" />
            <label className="visually-hidden" htmlFor="connections-filter">
              Filter connections
            </label>
            <input id="connections-filter" type="search" placeholder="Filter" value={filter} onChange={(e) => setFilter(e.target.value)} />
          </div>
        )}
      </div>
      {deferredFilter && (
        <p className="muted small" role="status">
          {shown.length} of {total} shown
        </p>
      )}
      {attentionAll.length > 0 && (
        <section className="card list-card attention" aria-labelledby="attention-title" data-testid="needs-reauth">
          <h3 id="attention-title" className="list-card-title tone-text-bad">
            <Icon name="alert" /> {attentionAll.length === 1 ? 'One connection needs you to sign in again' : `${attentionAll.length} connections need you to sign in again`}
          </h3>
          <Rows items={attention} tests={tests} highlight={highlight} onRemove={setRemoving} />
        </section>
      )}
      {rest.length > 0 && (
        <section className="card list-card" aria-labelledby="connections-title">
          <Rows items={rest} tests={tests} highlight={highlight} onRemove={setRemoving} />
        </section>
      )}
      {removing && <RemoveDialog item={removing} onClose={() => setRemoving(undefined)} />}
    </div>
  );
}

function Rows({ items, tests, highlight, onRemove }: { readonly items: readonly Item[]; readonly tests: Readonly<Record<string, TestState>>; readonly highlight: string | undefined; readonly onRemove: (item: Item) => void }) {
  const blocks: Item[][] = [];
  for (let i = 0; i < items.length; i += BLOCK) blocks.push(items.slice(i, i + BLOCK));
  return (
    <>
      {blocks.map((block, i) => (
        // The first blocks are always drawn; later ones may be skipped while off screen.
        <ul className={`rows${i >= 2 ? ' block' : ''}`} key={block[0]?.connection.id} style={i >= 2 ? { containIntrinsicSize: `auto ${block.length * 64}px` } : undefined}>
          {block.map((item) => (
            <Row key={item.connection.id} item={item} test={tests[item.connection.id]} highlighted={highlight === item.connection.id} onRemove={onRemove} />
          ))}
        </ul>
      ))}
    </>
  );
}

interface RowProps {
  readonly item: Item;
  readonly test: TestState | undefined;
  readonly highlighted: boolean;
  readonly onRemove: (item: Item) => void;
}

const Row = memo(function Row({ item, test, highlighted, onRemove }: RowProps) {
  const { test: runTest, reconnect, openService } = useActions();
  const { connection: c, service, name } = item;
  const full = `${name} · ${c.label}`;
  const now = Date.now();
  const look = presentConnection(c, name, now);
  const testable = service?.hasTest ?? false;
  const what = [METHOD_TEXT[c.authMethod], c.account, look.expiry, c.lastUsedAt ? `last used ${when(c.lastUsedAt, now)}` : `added ${when(c.createdAt, now)}`].filter(Boolean).join(' · ');
  return (
    <li className={`row${highlighted ? ' row-highlight' : ''}`} data-id={c.id} data-state={c.state} data-tone={look.tone}>
      <ServiceLogo icon={service?.icon} name={name} size={32} />
      <div className="row-main">
        <div className="row-title">
          <span className="label">
            {name} <span className="label-sep">·</span> {c.label}
          </span>
          <StateBadge tone={look.tone} icon={look.icon} word={look.word} />
        </div>
        <p className="row-meta muted">{what}</p>
        {look.reason && <p className={`row-reason tone-text-${look.tone}`}>{look.reason}</p>}
        {/* A mailbox that needs re-auth already says what each server answered, in its reason. */}
        {!(c.state === 'needs_reauth' && test?.result?.parts) && <TestLine test={test} />}
      </div>
      <div className="row-actions">
        {look.fix === 'reconnect' && (
          <button type="button" className={c.state === 'needs_reauth' ? 'primary' : ''} aria-label={`Reconnect ${full}`} onClick={() => void reconnect(c.id)}>
            Reconnect
          </button>
        )}
        {look.fix === 'replace' && service && (
          <button
            type="button"
            className={look.tone === 'bad' ? 'primary' : ''}
            aria-label={`Replace the credential of ${full}`}
            onClick={() => openService(service.id)}
          >
            Replace
          </button>
        )}
        {testable && c.state !== 'needs_reauth' && (
          <button type="button" disabled={test?.running} aria-label={`Test ${full}`} onClick={() => void runTest(c.id)}>
            {test?.running ? 'Testing…' : 'Test'}
          </button>
        )}
        <button type="button" className="quiet" aria-label={`Remove ${full}`} onClick={() => onRemove(item)}>
          Remove
        </button>
      </div>
    </li>
  );
});

function when(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return now - t < 2 * 86_400_000 ? relative(t, now) : shortDay(iso);
}

/** The outcome of a test run just now (a failure also shows as the row's state and reason). */
function TestLine({ test }: { readonly test: TestState | undefined }) {
  if (!test || test.running) return null;
  if (test.error) {
    return (
      <p className="test-result fail" role="status">
        The test could not run: {forWindow(test.error)}
      </p>
    );
  }
  if (!test.result) return null;
  if (test.result.parts) {
    // A mailbox: IMAP and SMTP each on their own line.
    return (
      <ul className="test-parts" role="status" aria-label={test.result.ok ? 'Test passed' : 'Test failed'}>
        {test.result.parts.map((part) => (
          <li key={part.name} className={`test-result ${part.ok ? 'ok' : 'fail'}`}>
            <Icon name={part.ok ? 'check' : 'x'} size={14} /> {forWindow(part.message)}
          </li>
        ))}
      </ul>
    );
  }
  return (
    <p className={`test-result ${test.result.ok ? 'ok' : 'fail'}`} role="status">
      <Icon name={test.result.ok ? 'check' : 'x'} size={14} /> {test.result.live === false && test.result.ok ? 'Not checked live' : test.result.ok ? 'Test passed' : 'Test failed'}: {forWindow(test.result.message)}
    </p>
  );
}

function RemoveDialog({ item, onClose }: { readonly item: Item; readonly onClose: () => void }) {
  const { remove } = useActions();
  return (
    <ConfirmDialog
      title={`Remove ${item.name} · ${item.connection.label}?`}
      body="Sophon deletes the stored credential from this machine (and withdraws it at the service where it can). Agents and skills using it lose access. This cannot be undone."
      confirmLabel="Remove"
      onConfirm={() => remove(item.connection.id)}
      onClose={onClose}
    />
  );
}
