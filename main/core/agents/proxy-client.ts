import type { Dispatcher, request as undiciRequest } from 'undici';
import { pathProblem } from '../broker/proxy-path.ts';
import { SophonError } from '../errors.ts';

/** One HTTP request a tool sends through the broker proxy, as the model described it. */
export interface BrokerRequest {
  /** The proxy's connection segment: an id, service, service:label or model provider. */
  readonly connection: string;
  readonly method: string;
  /** Relative to the service's API base; may carry a query. */
  readonly path: string;
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export type QueryValue = string | number | boolean | readonly (string | number | boolean)[];

/** What came back, read up to a size cap. Bodies are already redacted by the proxy. */
export interface BrokerResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  /** The body as text; undefined for a binary body. */
  readonly text: string | undefined;
  /** Bytes read (at most the cap). */
  readonly bytesRead: number;
  /** The whole body's size when the answer said (Content-Length) or it was read to the end. */
  readonly totalBytes: number | undefined;
  readonly truncated: boolean;
  /** The broker refused the call itself (x-sophon-refusal): its JSON error. */
  readonly refusal?: { readonly code: string; readonly message: string; readonly connection?: string; readonly service?: string; readonly label?: string };
}

const TEXTUAL = /^(text\/|application\/([a-z0-9.+-]*\+)?(json|xml|javascript|ecmascript|x-www-form-urlencoded|yaml|x-yaml|csv|graphql|x-ndjson|ndjson|problem\+json|sql)\b|message\/)/i;

/** Loopback requests from the owner to its own proxy: the same pipeline every skill goes through. */
export class ProxyClient {
  // undici loads with the first tool call, not with the core: a CLI command answered by the owner never needs it.
  private undici: Promise<{ agent: Dispatcher; request: typeof undiciRequest }> | undefined;

  private http() {
    return (this.undici ??= import('undici').then(({ Agent, request }) => ({ agent: new Agent({ connections: 16, keepAliveTimeout: 10_000 }), request })));
  }

  async send(proxyUrl: string, token: string, req: BrokerRequest, maxBytes: number, signal?: AbortSignal): Promise<BrokerResponse> {
    const url = `${proxyUrl}/${encodeURIComponent(req.connection)}${targetPath(req.path, req.query)}`;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers ?? {})) {
      // The proxy drops these anyway; leaving them out keeps the token's header ours alone.
      if (/^(authorization|host|content-length|connection|transfer-encoding)$/i.test(name)) continue;
      headers[name.toLowerCase()] = value;
    }
    headers['authorization'] = `Bearer ${token}`;
    const { agent, request } = await this.http();
    const response = await request(url, {
      method: req.method as Dispatcher.HttpMethod,
      headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      dispatcher: agent,
      ...(signal ? { signal } : {}),
    });
    const flat: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined || name === 'set-cookie') continue;
      flat[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const contentType = flat['content-type'];
    const declared = flat['content-length'] !== undefined ? Number(flat['content-length']) : undefined;
    const chunks: Buffer[] = [];
    let read = 0;
    let ended = true;
    for await (const chunk of response.body) {
      const piece = chunk as Buffer;
      const room = maxBytes - read;
      if (piece.length > room) {
        if (room > 0) chunks.push(piece.subarray(0, room));
        read += Math.max(room, 0);
        ended = false;
        break;
      }
      chunks.push(piece);
      read += piece.length;
    }
    if (!ended) response.body.destroy();
    const bytes = Buffer.concat(chunks);
    const text = asText(bytes, contentType, !ended);
    const totalBytes = ended ? read : Number.isFinite(declared) ? declared : undefined;
    const refusalCode = flat['x-sophon-refusal'];
    return {
      status: response.statusCode,
      headers: flat,
      contentType,
      text,
      bytesRead: read,
      totalBytes,
      truncated: !ended,
      ...(refusalCode !== undefined ? { refusal: refusalOf(refusalCode, text) } : {}),
    };
  }

  async dispose(): Promise<void> {
    if (!this.undici) return;
    const { agent } = await this.undici;
    await agent.close().catch(() => undefined);
  }
}

/**
 * The path as the proxy wants it: a leading "/", spaces and non-ASCII percent-encoded, the
 * query object appended. Dot segments are refused here, as the proxy would: a URL parser
 * on the way would otherwise resolve them into another connection's name.
 */
export function targetPath(path: string, query: BrokerRequest['query']): string {
  const withSlash = path.startsWith('/') ? path : `/${path}`;
  // eslint-disable-next-line no-control-regex
  let out = withSlash.replace(/[\s\u0000-\u001f\u007f-\uffff"<>^`{|}]/gu, (c) => encodeURIComponent(c));
  const problem = pathProblem(out.split('?', 1)[0] as string);
  if (problem) throw new SophonError('INVALID_INPUT', `${problem} — give a path under the connection's API base`);
  const extra = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) extra.append(name, String(item));
  }
  const tail = extra.toString();
  if (tail !== '') out += `${out.includes('?') ? '&' : '?'}${tail}`;
  return out;
}

/** Text when the type says so (or says nothing) and the bytes are UTF-8 without NULs; a cut may split the last character. */
function asText(bytes: Buffer, contentType: string | undefined, cut: boolean): string | undefined {
  if (contentType !== undefined && !TEXTUAL.test(contentType.trim()) && !/^application\/octet-stream/i.test(contentType)) return undefined;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    const text = decoder.decode(bytes, { stream: cut });
    return text.includes('\u0000') ? undefined : text;
  } catch {
    return undefined;
  }
}

function refusalOf(code: string, text: string | undefined): NonNullable<BrokerResponse['refusal']> {
  try {
    const parsed = JSON.parse(text ?? '') as { error?: Record<string, unknown> };
    const e = parsed.error ?? {};
    const str = (key: string) => (typeof e[key] === 'string' ? (e[key] as string) : undefined);
    const connection = str('connection');
    const service = str('service');
    const label = str('label');
    return { code, message: str('message') ?? code, ...(connection ? { connection } : {}), ...(service ? { service } : {}), ...(label ? { label } : {}) };
  } catch {
    return { code, message: code };
  }
}
