import { useSophon, useActions } from '../store-context.tsx';

/** Results of actions (added, removed, failed), announced politely to screen readers. */
export function Notices() {
  const notices = useSophon((s) => s.notices);
  const { dismissNotice } = useActions();
  return (
    <div className="notices" role="status" aria-live="polite">
      {notices.map((n) => (
        <p key={n.id} className={`notice notice-${n.kind}`}>
          <span>{n.text}</span>
          <button type="button" className="link-button" aria-label={`Dismiss: ${n.text}`} onClick={() => dismissNotice(n.id)}>
            Dismiss
          </button>
        </p>
      ))}
    </div>
  );
}
