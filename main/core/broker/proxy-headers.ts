import { redactHeader, type NeedleSet } from './redact.ts';

/** RFC 9110 §7.6.1: connection-specific headers, never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings']);

/**
 * Headers a skill may not send upstream: its own credentials, anything that could steer
 * the upstream to another host or path, or change the method after the broker checked it.
 */
const REQUEST_DROP = new Set([
  ...HOP_BY_HOP,
  'host',
  'authorization',
  'cookie',
  'cookie2',
  'expect',
  'forwarded',
  'via',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'x-original-url',
  'x-rewrite-url',
  'x-original-host',
  'x-host',
  'x-http-host-override',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'accept-encoding',
]);

const RESPONSE_DROP = new Set([...HOP_BY_HOP, 'alt-svc', 'set-cookie2']);
const ACCEPTED_ENCODINGS = new Set(['gzip', 'x-gzip', 'deflate', 'br', 'identity']);

export interface RequestHeaderPlan {
  /** Lower-case names the service's attach rules set: a skill's own values for them are dropped. */
  readonly attachNames: ReadonlySet<string>;
  /** Headers every call to the service carries (api.headers), then the credential. */
  readonly fixed: Readonly<Record<string, string>>;
}

/**
 * What the broker sets on every request of one connection while one credential is in use,
 * worked out once (not per call): the service's fixed headers, then the credential's (which
 * win over a fixed header of the same name), as a flat [name, value, …] list; and every
 * name the skill may therefore not send itself.
 */
export interface AddedHeaders {
  readonly names: ReadonlySet<string>;
  readonly flat: readonly string[];
}

export function addedHeaders(plan: RequestHeaderPlan, credential: Readonly<Record<string, string>>): AddedHeaders {
  const values = new Map<string, string>();
  for (const [name, value] of Object.entries(plan.fixed)) values.set(name.toLowerCase(), value);
  for (const [name, value] of Object.entries(credential)) values.set(name.toLowerCase(), value);
  const names = new Set([...plan.attachNames, ...values.keys()]);
  return { names, flat: [...values].flat() };
}

/**
 * Builds the upstream request headers, a flat [name, value, …] list for undici, from the
 * skill's raw headers: drops the drop list, x-forwarded-*, x-sophon-*, names listed in
 * Connection, the attach names and the names the broker sets; keeps the rest (and
 * Accept-Encoding narrowed to what the broker can decode); then adds the broker's own.
 * `tokenHeaders`: headers the broker token came in (x-api-key, …), never forwarded.
 * Content-Length goes too when the request has no body.
 */
export function upstreamRequestHeaders(rawHeaders: readonly string[], added: AddedHeaders, hasBody: boolean, tokenHeaders?: ReadonlySet<string>): string[] {
  const out: string[] = [];
  let listed: string[] | undefined;
  let encodings: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    if (REQUEST_DROP.has(name)) {
      if (name === 'connection') listed = connectionTokens(value, listed);
      else if (name === 'accept-encoding') encodings = narrowEncodings(value, encodings);
      continue;
    }
    if (added.names.has(name) || name.startsWith('x-forwarded-') || name.startsWith('x-sophon-')) continue;
    if (tokenHeaders !== undefined && tokenHeaders.has(name)) continue;
    if (!hasBody && name === 'content-length') continue;
    out.push(name, value);
  }
  const kept = listed === undefined ? out : withoutListed(out, listed);
  if (encodings !== undefined && !added.names.has('accept-encoding')) kept.push('accept-encoding', encodings);
  for (const item of added.flat) kept.push(item);
  return kept;
}

/** The header names a Connection header lists, other than hop-by-hop ones (dropped anyway). */
function connectionTokens(value: string, into: string[] | undefined): string[] | undefined {
  let list = into;
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (name !== '' && !HOP_BY_HOP.has(name)) (list ??= []).push(name);
  }
  return list;
}

function withoutListed(flat: readonly string[], listed: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (!listed.includes(flat[i] as string)) out.push(flat[i] as string, flat[i + 1] as string);
  return out;
}

/** The skill's Accept-Encoding, narrowed to what the broker can decode for redaction. */
function narrowEncodings(value: string, before: string | undefined): string | undefined {
  let kept = before;
  for (const part of value.split(',')) {
    const coding = part.split(';', 1)[0]?.trim().toLowerCase() ?? '';
    if (ACCEPTED_ENCODINGS.has(coding)) kept = kept === undefined ? part.trim() : `${kept}, ${part.trim()}`;
  }
  return kept;
}

/**
 * Filters and redacts the upstream response headers into a flat [name, value, …] list for
 * writeHead. `rewritingBody`: the body is redacted or decoded, so its length and coding
 * headers go. `location`: a replacement Location (a redirect into the proxy); any other
 * Location is dropped.
 */
export function downstreamResponseHeaders(headers: Readonly<Record<string, string | string[] | undefined>>, needles: NeedleSet, allowSetCookie: boolean, rewritingBody: boolean, location: string | undefined): string[] {
  let listed: string[] | undefined;
  const connection = headers['connection'];
  if (typeof connection === 'string') listed = connectionTokens(connection, undefined);
  const out: string[] = [];
  for (const rawName in headers) {
    const value = headers[rawName];
    if (value === undefined) continue;
    // undici hands names over in lower case already; this is for anyone else.
    const name = rawName.toLowerCase();
    if (RESPONSE_DROP.has(name) || name === 'location' || (listed !== undefined && listed.includes(name))) continue;
    // Only the broker speaks as x-sophon-* (its refusals carry x-sophon-refusal).
    if (name.startsWith('x-sophon-')) continue;
    if (name === 'set-cookie' && !allowSetCookie) continue;
    if (rewritingBody && REWRITTEN_BODY.has(name)) continue;
    if (typeof value === 'string') out.push(name, redactHeader(value, needles));
    else for (const item of value) out.push(name, redactHeader(item, needles));
  }
  if (location !== undefined) out.push('location', location);
  return out;
}

/** Headers that describe the body as the upstream sent it: wrong once the broker rewrites it. */
const REWRITTEN_BODY = new Set(['content-length', 'content-encoding', 'content-md5', 'digest', 'content-digest']);

/**
 * Media that cannot carry a credential as text, so the broker passes it through unscanned:
 * pictures, sound, video, fonts, and compressed or document containers. Everything else,
 * including text, JSON, XML, forms, JavaScript, message/http (TRACE), octet-stream and
 * a missing type, is scanned: a skill must not be able to pick an echo that escapes.
 */
const UNSCANNED = /^(image|audio|video|font)\/|^application\/(pdf|zip|gzip|x-gzip|x-tar|x-7z-compressed|x-bzip2|x-xz|zstd|wasm|vnd\.openxmlformats-[a-z.-]+|vnd\.oasis\.opendocument\.[a-z.-]+)\b/i;

/** Whether the broker scans a body with this content type for credentials. */
export function isScanned(contentType: string | string[] | undefined): boolean {
  const value = Array.isArray(contentType) ? contentType[0] : contentType;
  if (value === undefined) return true;
  return !UNSCANNED.test(value.trim());
}
