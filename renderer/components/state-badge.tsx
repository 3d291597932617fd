import type { ProfileState, CliStatusView } from '../../main/api/contract.ts';
import type { Tone } from '../connection-state.ts';
import { Icon, type IconName } from '../icons.tsx';

/** A state as an icon and a word (never colour alone). */
export function StateBadge({ tone, icon, word }: { readonly tone: Tone; readonly icon: IconName; readonly word: string }) {
  return (
    <span className={`badge tone-${tone}`} data-tone={tone}>
      <Icon name={icon} size={14} />
      <span>{word}</span>
    </span>
  );
}

/** The tone and icon of a profile's or a CLI sign-in's state. */
export function profileLook(state: ProfileState | CliStatusView['state']): { readonly tone: Tone; readonly icon: IconName } {
  switch (state) {
    case 'usable':
      return { tone: 'ok', icon: 'checkCircle' };
    case 'expiring':
      return { tone: 'warn', icon: 'clock' };
    case 'expired':
      return { tone: 'bad', icon: 'clock' };
    case 'needs_reauth':
      return { tone: 'bad', icon: 'alert' };
    case 'not_signed_in':
      return { tone: 'neutral', icon: 'pause' };
    case 'missing':
    case 'error':
      return { tone: 'bad', icon: 'xCircle' };
  }
}
