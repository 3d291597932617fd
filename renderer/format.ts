import type { AuthMethodType, CliStatusView, ConnectionState, ProfileSource, ProfileState } from '../main/api/contract.ts';

export const STATE_TEXT: Readonly<Record<ConnectionState, string>> = {
  active: 'Active',
  expiring: 'Expiring soon',
  needs_reauth: 'Needs re-auth',
  error: 'Error',
};

export const METHOD_TEXT: Readonly<Record<AuthMethodType, string>> = {
  oauth2: 'Signed in with browser',
  device: 'Signed in with a code',
  api_key: 'API key',
  bearer: 'Token',
  basic: 'Username and password',
  smtp_imap: 'Mail server login',
  cli_reader: 'Read from a CLI',
};

export const CLI_STATE_TEXT: Readonly<Record<CliStatusView['state'], string>> = {
  usable: 'Signed in',
  expiring: 'Signed in · expires soon',
  expired: 'Sign-in expired',
  missing: 'Not signed in',
  not_signed_in: 'Not signed in',
  needs_reauth: 'Needs sign-in again',
  error: 'Could not be read',
};

/** The badge colour (a connection state's, or neutral) that fits a profile's or CLI sign-in's state. */
export function stateBadge(state: ProfileState | CliStatusView['state']): ConnectionState | 'neutral' {
  switch (state) {
    case 'usable':
      return 'active';
    case 'expiring':
      return 'expiring';
    case 'expired':
    case 'needs_reauth':
      return 'needs_reauth';
    case 'not_signed_in':
      return 'neutral';
    case 'missing':
    case 'error':
      return 'error';
  }
}

export const SOURCE_TEXT: Readonly<Record<ProfileSource, string>> = {
  'cli-sync': 'CLI sign-in, read in place',
  oauth: 'Signed in through Sophon',
  token: 'Pasted token',
  'api-key': 'API key',
};


/** "4:05" for a countdown; "0:00" once past. */
export function countdown(msLeft: number): string {
  const total = Math.max(0, Math.ceil(msLeft / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${String(seconds).padStart(2, '0')}`;
}

/** "in 3 h", "5 min ago": coarse, for expiry and last-used hints. */
export function relative(target: number, now: number): string {
  const diff = target - now;
  const abs = Math.abs(diff);
  const unit = abs < 60_000 ? [Math.round(abs / 1000), 's'] : abs < 3_600_000 ? [Math.round(abs / 60_000), 'min'] : abs < 172_800_000 ? [Math.round(abs / 3_600_000), 'h'] : [Math.round(abs / 86_400_000), 'days'];
  const text = `${unit[0]} ${unit[1]}`;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

// One formatter for the whole list: toLocaleString with options builds a new one per call.
let dateFormat: Intl.DateTimeFormat | undefined;

export function shortDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  dateFormat ??= new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  return dateFormat.format(date);
}

/** The catalog's categories in words, in the order the catalog shows them. */
export const CATEGORY_TEXT: Readonly<Record<string, string>> = {
  email: 'Mail',
  calendar: 'Calendar',
  chat: 'Chat',
  docs: 'Documents',
  storage: 'Files',
  project: 'Projects and tasks',
  developer: 'Developer',
  ai: 'AI models',
  automation: 'Automation',
  telephony: 'Phone and SMS',
  other: 'Other',
};

/** The short labels a catalog card shows for each way to sign in. */
export const METHOD_TAG: Readonly<Record<AuthMethodType, string>> = {
  oauth2: 'Browser',
  device: 'Code',
  api_key: 'API key',
  bearer: 'Token',
  basic: 'Password',
  smtp_imap: 'Mail server',
  cli_reader: 'CLI',
};

/** "3 connections", "1 connection": never "1 records". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}

let dayFormat: Intl.DateTimeFormat | undefined;

/** "Nov 30, 2026": for things older than a day or two, where the hour is noise. */
export function shortDay(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  dayFormat ??= new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
  return dayFormat.format(date);
}

/** "openrouter.ai" for a link's text; the address itself when it does not parse. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
