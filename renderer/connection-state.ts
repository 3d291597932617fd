import type { ConnectionView, ProfileState, ProfileView } from '../main/api/contract.ts';
import type { IconName } from './icon-names.ts';
import { forWindow } from './humanize.ts';
import { relative } from './format.ts';

export type Tone = 'ok' | 'warn' | 'bad' | 'neutral';

/** What a connection's row says about it: one state (icon, word, tone), why, and what to do. */
export interface Presented {
  readonly tone: Tone;
  readonly icon: IconName;
  readonly word: string;
  /** The reason in words, as a sentence; absent when all is well. */
  readonly reason?: string;
  /** The button that fixes it, if one on the row does. */
  readonly fix?: 'reconnect' | 'replace' | 'test';
  /** "Expires in 3 h" only for a token nobody renews and a grant that is still alive. */
  readonly expiry?: string;
}

const SIGN_IN = new Set(['oauth2', 'device']);

/**
 * One consistent reading of a connection's state, its reason and its last test: a failed test
 * never sits beside "Connected", and a dead grant shows no expiry. The reasons read apart: a
 * refused refresh token, a revoked grant, a missing permission, a rate limit, an outage.
 */
export function presentConnection(c: ConnectionView, service: string, now: number): Presented {
  const reconnectable = SIGN_IN.has(c.authMethod);
  // A mailbox reconnects with a new password on its own form (Reconnect opens it).
  const mailbox = c.authMethod === 'smtp_imap';
  const again = reconnectable ? 'sign in again' : mailbox ? 'give it a new password' : 'replace the credential';
  const fix = reconnectable || mailbox ? 'reconnect' : 'replace';
  const why = c.stateReason ?? '';

  if (c.state === 'needs_reauth') {
    if (/revok/i.test(why)) return { tone: 'bad', icon: 'ban', word: 'Access revoked', reason: `Access was withdrawn at ${service} — ${again}.`, fix };
    if (/refresh token|invalid_grant/i.test(why)) return { tone: 'bad', icon: 'alert', word: 'Sign in again', reason: `${service} refused the refresh token — ${again}.`, fix };
    if (/expired/i.test(why)) return { tone: 'bad', icon: 'clock', word: 'Expired', reason: `The sign-in expired and cannot be renewed — ${again}.`, fix };
    return { tone: 'bad', icon: 'alert', word: 'Sign in again', reason: why ? `${forWindow(why).replace(/\.$/, '')} — ${again}.` : `${service} needs you to ${again}.`, fix };
  }

  const test = c.lastTest;
  const failed = test && !test.ok ? test : undefined;
  if (c.state === 'error' || failed) {
    const status = failed?.status;
    const text = `${failed?.message ?? ''} ${why}`;
    if (status === 429 || /rate.?limit|too many requests/i.test(text)) {
      return { tone: 'warn', icon: 'clock', word: 'Rate limited', reason: `${service} is limiting requests for now — test again in a while.`, fix: 'test' };
    }
    if (/scope|permission|insufficient|not allowed/i.test(text) && status !== 401) {
      return { tone: 'warn', icon: 'lock', word: 'Missing permission', reason: `${service} says this ${reconnectable ? 'sign-in' : 'credential'} lacks a permission — ${reconnectable ? 'sign in again and allow it' : 'give it that permission or use another one'}.`, fix };
    }
    if (status === 401 || status === 403) {
      return { tone: 'bad', icon: 'xCircle', word: 'Refused', reason: `${service} refused the ${reconnectable ? 'sign-in' : 'credential'} (HTTP ${status}) — ${again}.`, fix };
    }
    if (status !== undefined && status >= 500) {
      return { tone: 'warn', icon: 'alert', word: 'Service trouble', reason: `${service} had a problem of its own (HTTP ${status}) — test again later.`, fix: 'test' };
    }
    if (failed && status === undefined && /fetch|network|ENOTFOUND|ECONN|timed? ?out|unreachable|certificate/i.test(text)) {
      return { tone: 'warn', icon: 'alert', word: 'Unreachable', reason: `Sophon could not reach ${service} — check the network, then test again.`, fix: 'test' };
    }
    const said = failed?.message ?? why;
    return { tone: 'bad', icon: 'xCircle', word: 'Not working', ...(said ? { reason: forWindow(said) } : {}), fix: 'test' };
  }

  const expiry = c.expiresAt !== undefined && !c.refreshable ? (c.expiresAt > now ? `expires ${relative(c.expiresAt, now)}` : undefined) : undefined;
  if (c.expiresAt !== undefined && !c.refreshable && c.expiresAt <= now) {
    return { tone: 'bad', icon: 'clock', word: 'Expired', reason: `The token ran out ${relative(c.expiresAt, now)} and nobody renews it — ${again}.`, fix };
  }
  if (c.state === 'expiring') {
    return { tone: 'warn', icon: 'clock', word: 'Expires soon', reason: `The token cannot be renewed by Sophon — ${again} before it runs out.`, fix, ...(expiry ? { expiry } : {}) };
  }
  return { tone: 'ok', icon: 'checkCircle', word: 'Connected', ...(expiry ? { expiry } : {}) };
}

const PROFILE_LOOK: Readonly<Record<ProfileState, { readonly tone: Tone; readonly icon: IconName; readonly word: string }>> = {
  usable: { tone: 'ok', icon: 'checkCircle', word: 'Usable' },
  expiring: { tone: 'warn', icon: 'clock', word: 'Expires soon' },
  expired: { tone: 'bad', icon: 'clock', word: 'Expired' },
  missing: { tone: 'bad', icon: 'xCircle', word: 'Missing' },
  needs_reauth: { tone: 'bad', icon: 'alert', word: 'Sign in again' },
  error: { tone: 'bad', icon: 'xCircle', word: 'Not working' },
};

/**
 * A model profile's state, read the way the Connections view reads the connection behind it:
 * a key whose last test got HTTP 429 is "Rate limited" on both pages, never "Usable" on one.
 * A CLI sign-in read in place keeps its own live state when that is the worse news.
 */
export function presentProfile(p: ProfileView, connection: ConnectionView | undefined, service: string, now: number): Presented {
  const own = PROFILE_LOOK[p.state];
  const ownReason = p.reason ? forWindow(p.reason) : undefined;
  const mine: Presented = { ...own, ...(ownReason ? { reason: ownReason } : {}) };
  if (!connection || (p.source === 'cli-sync' && own.tone !== 'ok')) return mine;
  const linked = presentConnection(connection, service, now);
  return linked.tone === 'ok' ? mine : linked;
}
