import { useSophon, useActions } from '../store-context.tsx';
import { AUDIT_PAGE } from '../store.ts';
import { shortDate } from '../format.ts';

/** Who read, wrote or deleted which credential, newest first (the audit trail; never a secret). */
export function AuditView() {
  const audit = useSophon((s) => s.audit);
  const connections = useSophon((s) => s.connections);
  const { loadAudit } = useActions();
  const from = audit.total === 0 ? 0 : audit.offset + 1;
  const to = audit.offset + audit.entries.length;
  return (
    <section aria-labelledby="audit-title" className="audit">
      <div className="list-toolbar">
        <h2 id="audit-title">Audit trail</h2>
        <button type="button" onClick={() => void loadAudit(audit.offset)} disabled={audit.loading}>
          Refresh
        </button>
      </div>
      {audit.error && (
        <p className="field-error" role="alert">
          {audit.error}
        </p>
      )}
      <p className="muted" role="status">
        {audit.loading ? 'Loading…' : audit.total === 0 ? 'Nothing recorded yet.' : `Entries ${from}–${to} of ${audit.total}, newest first`}
      </p>
      {audit.entries.length > 0 && (
        <div className="table-wrap">
          <table className="audit-table">
            <caption className="visually-hidden">Audit entries</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Connection</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {audit.entries.map((e) => {
                const c = e.connection ? connections[e.connection] : undefined;
                return (
                  <tr key={e.seq}>
                    <td>{shortDate(e.ts)}</td>
                    <td>
                      {e.actor}
                      {e.skill ? ` (${e.skill})` : ''}
                    </td>
                    <td>
                      {e.action}
                      {e.tool ? ` · ${e.tool}` : ''}
                    </td>
                    <td>{c ? `${c.service} · ${c.label}` : (e.connection ?? e.service ?? '—')}</td>
                    <td className={e.outcome && e.outcome !== 'ok' ? 'fail' : ''}>
                      {e.outcome ?? '—'}
                      {e.reason ? ` — ${e.reason}` : ''}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <div className="pager">
        <button type="button" disabled={audit.offset === 0 || audit.loading} onClick={() => void loadAudit(Math.max(0, audit.offset - AUDIT_PAGE))}>
          Newer
        </button>
        <button type="button" disabled={to >= audit.total || audit.loading} onClick={() => void loadAudit(audit.offset + AUDIT_PAGE)}>
          Older
        </button>
      </div>
    </section>
  );
}
