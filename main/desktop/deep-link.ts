/**
 * `sophon://` links, parsed at the edge into a tagged union. Anything that is not
 * exactly a link we issued becomes `unknown` with a reason, and is never acted on.
 * Links arrive from other programs (a browser, a second instance's argv), so they are
 * hostile input: no credentials, no port, no fragment, no control characters, bounded size.
 */

export const DEEP_LINK_SCHEME = 'sophon';
/** Same bound as the contract's `signin.complete.redirectUrl`. */
export const MAX_DEEP_LINK_LENGTH = 8192;

export type DeepLink =
  /** The OAuth redirect (RFC 8252 §7.1, private-use URI scheme): handed to `signin.complete`. */
  | { readonly kind: 'oauth-callback'; readonly url: string }
  /** `sophon://open`: bring the window forward. */
  | { readonly kind: 'open' }
  | { readonly kind: 'unknown'; readonly reason: string };

const unknown = (reason: string): DeepLink => ({ kind: 'unknown', reason });

export function parseDeepLink(raw: unknown): DeepLink {
  if (typeof raw !== 'string') return unknown('not a string');
  if (raw.length === 0) return unknown('empty');
  if (raw.length > MAX_DEEP_LINK_LENGTH) return unknown(`longer than ${MAX_DEEP_LINK_LENGTH} characters`);
  // WHATWG URL parsing silently strips tabs and newlines, and trims C0 controls and spaces: refuse them first.
  if (hasUnsafeCharacter(raw)) return unknown('contains spaces, control characters or backslashes');
  if (!/^sophon:\/\//i.test(raw)) return unknown('not a sophon:// link');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return unknown('not a URL');
  }
  if (url.protocol !== `${DEEP_LINK_SCHEME}:`) return unknown('not a sophon:// link');
  if (url.username !== '' || url.password !== '') return unknown('carries credentials');
  if (url.port !== '') return unknown('carries a port');
  if (url.hash !== '' || raw.includes('#')) return unknown('carries a fragment');
  // Compare the raw text too: the URL parser resolves "..", "%2e" and case differences we refuse.
  const afterScheme = raw.slice(`${DEEP_LINK_SCHEME}://`.length);
  const queryAt = afterScheme.indexOf('?');
  const authorityAndPath = queryAt >= 0 ? afterScheme.slice(0, queryAt) : afterScheme;
  const query = queryAt >= 0 ? afterScheme.slice(queryAt + 1) : '';
  switch (authorityAndPath) {
    case 'oauth/callback':
      return parseCallback(url, query);
    case 'open':
    case 'open/':
      return query === '' ? { kind: 'open' } : unknown('sophon://open takes no query');
    default:
      return unknown(`unrecognised link target "${truncate(authorityAndPath)}"`);
  }
}

function parseCallback(url: URL, query: string): DeepLink {
  if (query === '') return unknown('oauth callback without a query');
  const params = url.searchParams;
  for (const name of ['state', 'code', 'error', 'iss']) {
    if (params.getAll(name).length > 1) return unknown(`oauth callback repeats "${name}"`);
  }
  const state = params.get('state');
  if (!state) return unknown('oauth callback without state');
  if (!params.get('code') && !params.get('error')) return unknown('oauth callback without code or error');
  return { kind: 'oauth-callback', url: `${DEEP_LINK_SCHEME}://oauth/callback?${query}` };
}

/**
 * The deep link in a process's command line (a cold start or a second instance on
 * Windows and Linux). Only an argument that is a whole `sophon:` URL counts — never a
 * flag's value such as `--foo=sophon://…`.
 */
export function deepLinkFromArgv(argv: readonly string[]): string | undefined {
  return argv.find((arg) => typeof arg === 'string' && /^sophon:/i.test(arg));
}

function hasUnsafeCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x5c || code === 0x2028 || code === 0x2029) return true;
  }
  return false;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
