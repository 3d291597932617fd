import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { Readable, type Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createUnzip } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { downstreamResponseHeaders, isScanned } from './proxy-headers.ts';
import { rewriteLocation, stripQuery, type UpstreamBase } from './proxy-path.ts';
import { RedactingStream, redactHeader, redactSmall, type NeedleSet } from './redact.ts';

/** What the proxy knows about one call while it runs; the audit line is made from it. */
export interface CallRecord {
  readonly method: string;
  readonly started: number;
  skill?: string;
  tool?: string;
  token?: string;
  connection?: string;
  service?: string;
  host?: string;
  path?: string;
  bytesIn: number;
  bytesOut: number;
  /** The skill hung up before the answer was complete. */
  gone: boolean;
  /** Told when the skill hangs up (the upstream exchange, or a wait for re-auth). */
  onGone?: { gone(): void };
  /** Counted among its token's calls in flight. */
  counted: boolean;
  /** Headers and query parameters the broker token came in (besides Authorization): not forwarded. */
  tokenHeaders?: ReadonlySet<string>;
  tokenQuery?: ReadonlySet<string>;
  /** The auth profile of a model provider's connection (`anthropic:work`), and how it is billed. */
  profile?: string;
  billing?: 'subscription' | 'per-token';
}

/** A refusal: answered with a JSON error and audited with its reason. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** A failure after the answer started: the response can only be cut. */
export class MidStreamError extends Error {}

export interface UpstreamRequest {
  readonly base: UpstreamBase;
  readonly path: string;
  /** Flat [name, value, …]. */
  readonly headers: readonly string[];
  readonly body: Readable | null;
}

export interface ResponsePlan {
  readonly serviceName: string;
  readonly needles: NeedleSet;
  readonly allowSetCookie: boolean;
  /** For rewriting redirects: every base of the service, primary first. */
  readonly bases: readonly UpstreamBase[];
  readonly connectionSegment: string;
  /** Query parameters the credential travels in: taken out of a rewritten Location. */
  readonly queryNames: ReadonlySet<string>;
  /** Told when the upstream answers 401 (the credential may be stale). */
  onUnauthorized(): void;
}

/** How a call ended: no error and the status once the skill has the whole answer, or why not. */
export type UpstreamDone = (error: Error | undefined, status: number) => void;

/** Bodies up to this size with a known length are redacted in one piece and keep a Content-Length. */
const SMALL_BODY = 256 * 1024;

/**
 * One upstream exchange (an undici dispatch handler): streams the answer to the skill
 * straight through for bodies that are not text, redacted in one piece for small text,
 * redacted (and decoded) as a stream otherwise. A class rather than closures: this runs
 * for every proxied call.
 */
class UpstreamExchange implements Dispatcher.DispatchHandler {
  private settled = false;
  private status = 0;
  private mode: 'pass' | 'small' | 'stream' = 'pass';
  private small: Buffer[] = [];
  private smallSize = 0;
  private head: Writable | undefined;
  private pendingHeaders: string[] | undefined;
  private controller: Dispatcher.DispatchController | undefined;

  constructor(
    private readonly request: UpstreamRequest,
    private readonly res: ServerResponse,
    private readonly plan: ResponsePlan,
    private readonly call: CallRecord,
    private readonly done: UpstreamDone,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.call.gone) controller.abort(new Error('the skill hung up'));
    this.call.onGone = this;
  }

  /** The skill hung up: stop the upstream exchange. */
  gone(): void {
    this.controller?.abort(new Error('the skill hung up'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return;
    const { plan, request, res, call } = this;
    this.status = statusCode;
    if (statusCode === 401) plan.onUnauthorized();
    let location: string | undefined;
    const rawLocation = headers['location'];
    if (rawLocation !== undefined && statusCode >= 300 && statusCode < 400) {
      const value = Array.isArray(rawLocation) ? (rawLocation[0] ?? '') : rawLocation;
      const rewritten = rewriteLocation(value, `${request.base.origin}${request.path}`, plan.bases, plan.connectionSegment);
      if (rewritten === undefined) {
        this.refuse(controller, `${plan.serviceName} redirected to ${hostOf(value, request.base.origin)}, which is not one of its API hosts — the broker does not follow it`);
        return;
      }
      location = redactHeader(stripQuery(rewritten, plan.queryNames), plan.needles);
    }
    const noBody = call.method === 'HEAD' || statusCode === 204 || statusCode === 304;
    if (noBody || plan.needles.empty || !isScanned(headers['content-type'])) {
      this.mode = 'pass';
      res.writeHead(statusCode, downstreamResponseHeaders(headers, plan.needles, plan.allowSetCookie, false, location));
      return;
    }
    const coding = headers['content-encoding'] === undefined ? 'identity' : String(headers['content-encoding']).trim().toLowerCase();
    const declared = headers['content-length'] === undefined ? Number.NaN : Number(headers['content-length']);
    if (coding === 'identity' && declared <= SMALL_BODY) {
      // Held and answered with one writeHead + end(body): one write to the socket.
      this.mode = 'small';
      this.pendingHeaders = downstreamResponseHeaders(headers, plan.needles, plan.allowSetCookie, true, location);
      return;
    }
    const decoder = decoderFor(coding);
    if (decoder === null) {
      this.refuse(controller, `${plan.serviceName} sent a body with content-encoding "${coding}", which the broker cannot inspect for credentials — not passed on`);
      return;
    }
    this.mode = 'stream';
    res.writeHead(statusCode, downstreamResponseHeaders(headers, plan.needles, plan.allowSetCookie, true, location));
    const redactor = new RedactingStream(plan.needles);
    redactor.on('data', (chunk: Buffer) => {
      call.bytesOut += chunk.length;
    });
    this.head = decoder ?? redactor;
    const stages: Array<Transform | ServerResponse> = decoder ? [decoder, redactor, res] : [redactor, res];
    pipeline(stages).then(
      () => this.succeed(),
      (error: Error) => this.fail(new MidStreamError(`the transfer broke off (${error.message})`)),
    );
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    if (this.mode === 'small') {
      this.small.push(chunk);
      this.smallSize += chunk.length;
      return;
    }
    const target: Writable = this.mode === 'stream' ? (this.head as Writable) : this.res;
    if (this.mode === 'pass') this.call.bytesOut += chunk.length;
    if (!target.write(chunk)) {
      controller.pause();
      target.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    if (this.settled) return;
    if (this.mode === 'stream') {
      this.head?.end();
      return;
    }
    if (this.mode === 'small') {
      const small = this.small;
      const body = redactSmall(small.length === 1 ? (small[0] as Buffer) : Buffer.concat(small, this.smallSize), this.plan.needles);
      this.small = [];
      const headers = this.pendingHeaders ?? [];
      headers.push('content-length', String(body.length));
      this.res.writeHead(this.status, headers);
      this.call.bytesOut = body.length;
      this.res.end(body);
    } else {
      this.res.end();
    }
    this.succeed();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.settled) return;
    if (this.status === 0 || (this.mode === 'small' && !this.res.headersSent)) this.fail(error);
    else {
      this.head?.destroy(error);
      this.fail(new MidStreamError(`the transfer broke off (${error.message})`));
    }
  }

  private refuse(controller: Dispatcher.DispatchController, message: string): void {
    const refusal = new Refusal(502, 'BROKER_DENIED', message);
    this.fail(refusal);
    controller.abort(refusal);
  }

  private succeed(): void {
    if (this.settled) return;
    this.settled = true;
    this.call.onGone = undefined;
    this.done(undefined, this.status);
  }

  private fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.call.onGone = undefined;
    this.done(error, this.status);
  }
}

/**
 * Sends the call upstream through the pooled agent; `done` hears once how it ended: with
 * the status once the skill has the whole answer, or with a Refusal before anything was
 * sent to it, a MidStreamError after, or the transport's error when the upstream could not
 * be reached. A callback rather than a promise: this runs for every proxied call.
 */
export function callUpstream(agent: Dispatcher, request: UpstreamRequest, res: ServerResponse, plan: ResponsePlan, call: CallRecord, done: UpstreamDone): void {
  agent.dispatch(
    {
      origin: request.base.origin,
      path: request.path,
      method: call.method as Dispatcher.HttpMethod,
      headers: request.headers as string[],
      body: request.body,
    },
    new UpstreamExchange(request, res, plan, call, done),
  );
}

/** undefined = no decoding needed; null = cannot decode. */
function decoderFor(coding: string): Transform | undefined | null {
  switch (coding) {
    case 'identity':
      return undefined;
    case 'gzip':
    case 'x-gzip':
    case 'deflate':
      return createUnzip();
    case 'br':
      return createBrotliDecompress();
    default:
      return null;
  }
}

function hostOf(location: string, origin: string): string {
  try {
    return new URL(location, origin).host || 'another host';
  } catch {
    return 'an unparsable location';
  }
}

/** The request body as the upstream gets it, counted on the way. */
export function countedBody(req: AsyncIterable<unknown>, call: CallRecord): Readable {
  return Readable.from(
    (async function* () {
      for await (const chunk of req) {
        call.bytesIn += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    })(),
  );
}

export type { IncomingHttpHeaders };
