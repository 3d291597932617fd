import type { ConnectionState, ConnectionView } from '../api/contract.ts';

/** What the tray icon shows: everything fine, something needs a sign-in, or something failed. */
export type TrayState = 'ok' | 'needs_reauth' | 'error';

export type TrayItem =
  | { readonly type: 'connection'; readonly id: string; readonly label: string; readonly state: ConnectionState }
  | { readonly type: 'reconnect'; readonly id: string; readonly label: string }
  | { readonly type: 'more'; readonly label: string }
  | { readonly type: 'separator' }
  | { readonly type: 'open'; readonly label: string }
  | { readonly type: 'revoke-agents'; readonly label: string }
  | { readonly type: 'quit'; readonly label: string };

export interface TrayModel {
  readonly state: TrayState;
  readonly tooltip: string;
  readonly items: readonly TrayItem[];
}

export const STATE_TEXT: Readonly<Record<ConnectionState, string>> = {
  active: 'Active',
  expiring: 'Expiring soon',
  needs_reauth: 'Needs re-auth',
  error: 'Error',
};

/** The menu stays usable with many connections: the rest are in the window. */
export const MAX_TRAY_CONNECTIONS = 15;

export interface TrayModelOptions {
  /** Service id → display name (from the catalog); falls back to the id. */
  readonly serviceNames?: ReadonlyMap<string, string>;
  /** Live broker tokens held by agents: the kill switch is shown while there are any. */
  readonly liveAgentTokens?: number;
  readonly max?: number;
}

export function trayState(connections: readonly Pick<ConnectionView, 'state'>[]): TrayState {
  if (connections.some((c) => c.state === 'needs_reauth')) return 'needs_reauth';
  if (connections.some((c) => c.state === 'error')) return 'error';
  return 'ok';
}

const SEVERITY: Readonly<Record<ConnectionState, number>> = { needs_reauth: 0, error: 1, expiring: 2, active: 3 };

/**
 * The tray's icon state, tooltip and context menu (Linux AppIndicator trays never fire
 * click, so the menu always has Open). Connections that need attention come first.
 */
export function trayModel(connections: readonly ConnectionView[], options: TrayModelOptions = {}): TrayModel {
  const max = options.max ?? MAX_TRAY_CONNECTIONS;
  const name = (c: ConnectionView) => `${options.serviceNames?.get(c.service) ?? c.service} · ${c.label}`;
  const sorted = [...connections].sort((a, b) => SEVERITY[a.state] - SEVERITY[b.state] || name(a).localeCompare(name(b)));
  const state = trayState(connections);
  const needing = sorted.filter((c) => c.state === 'needs_reauth');
  const errors = sorted.filter((c) => c.state === 'error');

  const items: TrayItem[] = [];
  for (const c of sorted.slice(0, max)) items.push({ type: 'connection', id: c.id, label: `${name(c)} — ${STATE_TEXT[c.state]}`, state: c.state });
  if (sorted.length > max) items.push({ type: 'more', label: `${sorted.length - max} more in the window…` });
  if (connections.length === 0) items.push({ type: 'more', label: 'No connections yet' });
  if (needing.length > 0) {
    items.push({ type: 'separator' });
    for (const c of needing.slice(0, max)) items.push({ type: 'reconnect', id: c.id, label: `Reconnect ${name(c)}…` });
    if (needing.length > max) items.push({ type: 'more', label: `${needing.length - max} more to reconnect in the window…` });
  }
  items.push({ type: 'separator' });
  const live = options.liveAgentTokens ?? 0;
  if (live > 0) items.push({ type: 'revoke-agents', label: `Revoke all agent access (${live} live token${live === 1 ? '' : 's'})` });
  items.push({ type: 'open', label: 'Open Sophon' }, { type: 'quit', label: 'Quit Sophon' });

  const tooltip =
    state === 'needs_reauth'
      ? `Sophon — ${needing.length} connection${needing.length === 1 ? '' : 's'} need${needing.length === 1 ? 's' : ''} re-auth`
      : state === 'error'
        ? `Sophon — ${errors.length} connection${errors.length === 1 ? '' : 's'} failing`
        : `Sophon — ${connections.length === 0 ? 'no connections' : 'all connections fine'}`;
  return { state, tooltip, items };
}
