import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
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
 * Builds the upstream request headers from the skill's raw headers: drops the drop list,
 * x-forwarded-*, x-sophon-*, names listed in Connection, and the attach names; keeps the
 * rest; then sets the service's fixed headers and the credential.
 */
export function upstreamRequestHeaders(rawHeaders: readonly string[], plan: RequestHeaderPlan, credential: Readonly<Record<string, string>>): Record<string, string | string[]> {
  const listed = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() === 'connection') {
      for (const token of (rawHeaders[i + 1] as string).split(',')) listed.add(token.trim().toLowerCase());
    }
  }
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    if (REQUEST_DROP.has(name) || listed.has(name) || plan.attachNames.has(name) || name.startsWith('x-forwarded-') || name.startsWith('x-sophon-')) continue;
    if (name in plan.fixed) continue;
    const existing = out[name];
    if (existing === undefined) out[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[name] = [existing, value];
  }
  const encodings = acceptEncoding(rawHeaders);
  if (encodings) out['accept-encoding'] = encodings;
  for (const [name, value] of Object.entries(plan.fixed)) out[name.toLowerCase()] = value;
  for (const [name, value] of Object.entries(credential)) out[name.toLowerCase()] = value;
  return out;
}

/** The skill's Accept-Encoding, narrowed to what the broker can decode for redaction. */
function acceptEncoding(rawHeaders: readonly string[]): string | undefined {
  const kept: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() !== 'accept-encoding') continue;
    for (const part of (rawHeaders[i + 1] as string).split(',')) {
      const coding = part.split(';', 1)[0]?.trim().toLowerCase() ?? '';
      if (ACCEPTED_ENCODINGS.has(coding)) kept.push(part.trim());
    }
  }
  return kept.length > 0 ? kept.join(', ') : undefined;
}

export interface ResponseHeaderPlan {
  readonly allowSetCookie: boolean;
  readonly needles: NeedleSet;
  /** The body is rewritten (redacted, decoded): its length and coding change. */
  readonly rewritingBody: boolean;
  /** A replacement Location (redirect into the proxy), or undefined to keep none. */
  readonly location?: string;
}

/** Filters and redacts the upstream response headers. */
export function downstreamResponseHeaders(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>, plan: ResponseHeaderPlan): OutgoingHttpHeaders {
  const listed = new Set<string>();
  const connection = headers['connection'];
  if (typeof connection === 'string') for (const token of connection.split(',')) listed.add(token.trim().toLowerCase());
  const out: OutgoingHttpHeaders = {};
  for (const rawName in headers) {
    const value = headers[rawName];
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (RESPONSE_DROP.has(name) || listed.has(name) || name === 'location') continue;
    if (name === 'set-cookie' && !plan.allowSetCookie) continue;
    if (plan.rewritingBody && (name === 'content-length' || name === 'content-encoding' || name === 'content-md5' || name === 'digest' || name === 'content-digest')) continue;
    out[name] = Array.isArray(value) ? value.map((v) => redactHeader(v, plan.needles)) : redactHeader(value, plan.needles);
  }
  if (plan.location !== undefined) out['location'] = plan.location;
  return out;
}

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
