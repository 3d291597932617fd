/**
 * Turns a skill's request target (`/proxy/<connection>/<path>?<query>`) into a path under
 * one of the service's base URLs, refusing anything that could leave the base: absolute
 * URLs, dot segments in any encoding (`..`, `%2e%2e`, `%252e%252e`, `..%2f`, `..;`), backslashes,
 * control characters and malformed escapes. The upstream origin never comes from the
 * request; only the path and query do. RFC 3986 §3.3, §5.2.4, §6.2.2.
 */

export interface ProxyTarget {
  /** The connection as the skill named it: an id, a service, or service:label. */
  readonly connection: string;
  /** `~host` as the first path segment selects one of the service's additional base URLs. */
  readonly baseHost?: string;
  /** The path relative to the base, as sent (still percent-encoded), starting with "/". */
  readonly path: string;
  /** For grant checks: unreserved escapes decoded, the rest upper-cased. */
  readonly canonicalPath: string;
  /** Raw query without "?", possibly empty. */
  readonly query: string;
}

export type ParseResult = { readonly ok: true; readonly target: ProxyTarget } | { readonly ok: false; readonly reason: string };

export const PROXY_PREFIX = '/proxy/';
// Printable ASCII except space, backslash, '#' and the characters HTTP forbids anyway.
const PATH_CHARS = /^[!$&'()*+,\-./0-9:;=@A-Z_a-z~%]*$/;
const QUERY_CHARS = /^[!$&'()*+,\-./0-9:;=?@A-Z_a-z~%[\]|{}^`"<>]*$/;
const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
const UNRESERVED_ESCAPE = /%(?:[46][1-9A-Fa-f]|[57][0-9Aa]|3[0-9]|2[DdEe]|5[Ff]|7[Ee])/g;

function fullyDecoded(segment: string): string | undefined {
  let current = segment;
  for (let i = 0; i < 4 && current.includes('%'); i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      // A literal "%" left after decoding (e.g. "100%25" → "100%") is data, not an escape.
      if (i === 0) return undefined;
      break;
    }
    if (next === current) break;
    current = next;
  }
  return current;
}

// A dot segment, also with path parameters after it (`..;`, `..;jsessionid=x`): Tomcat and
// Spring drop the parameters and then resolve the dots, so `/public/..;/admin` leaves `/public`.
const DOT_SEGMENT = /\/\.\.?(?:[/;]|$)/;

/** Checks one relative path; returns the problem, or undefined when it stays inside the base. */
export function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'the path must start with "/"';
  if (!PATH_CHARS.test(path)) return 'the path holds characters that must be percent-encoded (spaces, backslashes, control or non-ASCII characters)';
  // Without escapes the only way out is a literal dot segment (the common case, checked cheaply).
  if (!path.includes('%')) return DOT_SEGMENT.test(path) ? 'the path holds a "." or ".." segment (with or without ";parameters"): it could leave the service\'s base URL' : undefined;
  if (BAD_ESCAPE.test(path)) return 'the path holds a malformed %-escape';
  for (const segment of path.split('/')) {
    const decoded = fullyDecoded(segment);
    if (decoded === undefined) return 'the path holds a malformed %-escape';
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(decoded)) return 'the path holds an encoded control character';
    for (const whole of decoded.split(/[/\\]/)) {
      const part = whole.split(';', 1)[0];
      if (part === '..' || part === '.') return 'the path holds a "." or ".." segment (in some encoding): it could leave the service\'s base URL';
    }
  }
  return undefined;
}

/** RFC 3986 §6.2.2.1-2: decode unreserved escapes, upper-case the others. */
export function canonicalPath(path: string): string {
  if (!path.includes('%')) return path;
  return path
    .replace(UNRESERVED_ESCAPE, (escape) => String.fromCharCode(Number.parseInt(escape.slice(1), 16)))
    .replace(/%[0-9a-f]{2}/gi, (escape) => escape.toUpperCase());
}

/** Parses the request target of a proxied call. */
export function parseProxyTarget(rawUrl: string): ParseResult {
  if (!rawUrl.startsWith(PROXY_PREFIX)) {
    return { ok: false, reason: 'only /proxy/<connection>/<path> is served: absolute URLs and other paths are refused' };
  }
  if (rawUrl.includes('#')) return { ok: false, reason: 'a fragment ("#") has no place in a request' };
  const questionMark = rawUrl.indexOf('?');
  const pathPart = questionMark < 0 ? rawUrl : rawUrl.slice(0, questionMark);
  const query = questionMark < 0 ? '' : rawUrl.slice(questionMark + 1);
  if (query !== '' && (!QUERY_CHARS.test(query) || BAD_ESCAPE.test(query))) return { ok: false, reason: 'the query holds characters that must be percent-encoded, or a malformed %-escape' };
  const afterPrefix = pathPart.slice(PROXY_PREFIX.length);
  const slash = afterPrefix.indexOf('/');
  const rawConnection = slash < 0 ? afterPrefix : afterPrefix.slice(0, slash);
  let connection: string;
  try {
    connection = decodeURIComponent(rawConnection);
  } catch {
    return { ok: false, reason: 'the connection segment holds a malformed %-escape' };
  }
  // eslint-disable-next-line no-control-regex
  if (connection === '' || connection.length > 200 || /[\u0000-\u001f\u007f/\\]/.test(connection)) {
    return { ok: false, reason: 'name the connection: /proxy/<connection id | service | service:label>/<path>' };
  }
  let path = slash < 0 ? '/' : afterPrefix.slice(slash);
  let baseHost: string | undefined;
  if (path.startsWith('/~')) {
    const next = path.indexOf('/', 2);
    baseHost = (next < 0 ? path.slice(2) : path.slice(2, next)).toLowerCase();
    path = next < 0 ? '/' : path.slice(next);
    if (!/^[a-z0-9.-]+(:\d{1,5})?$/.test(baseHost) && !/^\[[0-9a-f:]+\](:\d{1,5})?$/.test(baseHost)) {
      return { ok: false, reason: `"~${baseHost}" is not a host name` };
    }
  }
  const problem = pathProblem(path);
  if (problem) return { ok: false, reason: problem };
  return { ok: true, target: { connection, ...(baseHost !== undefined ? { baseHost } : {}), path, canonicalPath: canonicalPath(path), query } };
}

export interface UpstreamBase {
  /** scheme://host[:port] */
  readonly origin: string;
  /** The base path without a trailing slash ("" for the root). */
  readonly path: string;
  /** host[:port], lower-case: what `~host` names. */
  readonly host: string;
}

export function upstreamBase(url: string): UpstreamBase {
  const parsed = new URL(url);
  return { origin: parsed.origin, path: parsed.pathname.replace(/\/+$/, ''), host: parsed.host.toLowerCase() };
}

/** The path sent upstream: base path + the checked relative path + the query. */
export function upstreamPath(base: UpstreamBase, target: Pick<ProxyTarget, 'path'>, query: string): string {
  const path = `${base.path}${target.path}`;
  // Belt and braces: the WHATWG parser resolves every dot-segment encoding it knows.
  if (path.includes('%') || path.includes('/.')) {
    const resolved = new URL(path, 'http://base.invalid').pathname;
    if (resolved !== base.path && !resolved.startsWith(`${base.path}/`)) {
      throw new Error(`resolved path left the base: ${resolved}`);
    }
  }
  return query === '' ? path : `${path}?${query}`;
}

/**
 * Where an upstream redirect may send the skill: a proxy URL when the Location stays under
 * one of the service's bases, undefined when it goes anywhere else (not followed).
 */
export function rewriteLocation(location: string, requestUrl: string, bases: readonly UpstreamBase[], connectionSegment: string): string | undefined {
  let target: URL;
  try {
    target = new URL(location, requestUrl);
  } catch {
    return undefined;
  }
  for (const [index, base] of bases.entries()) {
    if (target.origin !== base.origin) continue;
    if (target.pathname !== base.path && !target.pathname.startsWith(`${base.path}/`)) continue;
    const rest = target.pathname.slice(base.path.length) || '/';
    const via = index === 0 ? '' : `/~${base.host}`;
    return `${PROXY_PREFIX}${encodeURIComponent(connectionSegment)}${via}${rest}${target.search}`;
  }
  return undefined;
}

/** A Location without the query parameters the credential travels in. */
export function stripQuery(location: string, drop: ReadonlySet<string>): string {
  const q = location.indexOf('?');
  if (q < 0 || drop.size === 0) return location;
  const query = buildQuery(location.slice(q + 1), drop, []);
  return query === '' ? location.slice(0, q) : `${location.slice(0, q)}?${query}`;
}

/** The skill's query minus any parameter the credential is attached under, then the credential's. */
export function buildQuery(raw: string, drop: ReadonlySet<string>, add: ReadonlyArray<readonly [string, string]>): string {
  if (drop.size === 0 && add.length === 0) return raw;
  const parts = (raw === '' ? [] : raw.split('&')).filter((part) => {
    if (drop.size === 0) return true;
    const name = part.split('=', 1)[0] ?? '';
    let decoded = name;
    try {
      decoded = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      // keep the raw name
    }
    return !drop.has(decoded.toLowerCase());
  });
  for (const [name, value] of add) parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  return parts.join('&');
}
