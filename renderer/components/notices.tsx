import { Icon } from '../icons.tsx';
import { useSophon, useActions } from '../store-context.tsx';

/** The result of the last action (added, removed, failed): one at a time, announced politely. */
export function Notices() {
  const notices = useSophon((s) => s.notices);
  const { dismissNotice } = useActions();
  return (
    <div className="notices" role="status" aria-live="polite">
      {notices.slice(-1).map((n) => (
        <p key={n.id} className={`notice notice-${n.kind}`}>
          <Icon name={n.kind === 'error' ? 'alert' : 'checkCircle'} />
          <span className="notice-text">{n.text}</span>
          <button type="button" className="icon-button" aria-label={`Dismiss: ${n.text}`} onClick={() => dismissNotice(n.id)}>
            <Icon name="x" />
          </button>
        </p>
      ))}
    </div>
  );
}
