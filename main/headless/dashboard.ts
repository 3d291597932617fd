import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile, readdir } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { extname, join, relative, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { WireClientMessage, type WireServerMessage } from '../api/contract.ts';
import type { Dispatcher } from '../api/dispatch.ts';
import { WINDOW_CONTENT_TYPES, WINDOW_CSP } from '../api/window-csp.ts';
import { DEFAULT_LIMITS, guardConnections, serverOptions } from '../core/index.ts';

/**
 * The headless dashboard: the desktop window's renderer, served on 127.0.0.1 with a
 * WebSocket speaking the same contract as the window's IPC.
 *
 * Who may use it: whoever opens the printed URL first. Its one-time token becomes an
 * HttpOnly SameSite=Strict session cookie and the browser is sent on to a clean URL.
 * Every request must name us in Host (127.0.0.1:PORT or localhost:PORT) and the
 * WebSocket upgrade must come from our Origin, so a page on another site that rebinds
 * its DNS name to 127.0.0.1 is refused even if it guesses the port.
 */

const CSP = WINDOW_CSP;

const TYPES = WINDOW_CONTENT_TYPES;

const MAX_MESSAGE = 1024 * 1024;
const API_PATH = '/api';

export type DashboardDispatcher = Pick<Dispatcher, 'call' | 'subscribe'>;

export interface DashboardOptions {
  readonly dispatcher: DashboardDispatcher;
  /** The renderer build (dist/renderer). */
  readonly rendererDir: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
}

export interface Dashboard {
  readonly port: number;
  /** The one-time login URL to print: http://127.0.0.1:PORT/?token=… */
  readonly loginUrl: string;
  readonly origin: string;
  dispose(): Promise<void>;
}

interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
}

async function loadStatic(dir: string): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && !entry.name.startsWith('.')) {
        files.set(`/${relative(dir, path).split(sep).join('/')}`, { body: await readFile(path), type: TYPES[extname(entry.name)] ?? 'application/octet-stream' });
      }
    }
  };
  await walk(dir);
  if (!files.has('/index.html')) throw new Error(`no renderer build in ${dir}`);
  return files;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const files = await loadStatic(options.rendererDir);
  let loginToken: string | undefined = randomBytes(32).toString('base64url');
  const sessions = new Set<string>();
  let port = 0;
  let cookieName = 'sophon_session';

  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];
  const allowedOrigins = () => allowedHosts().map((h) => `http://${h}`);
  const hostOk = (req: IncomingMessage) => allowedHosts().includes(String(req.headers.host ?? '').toLowerCase());
  const sessionOk = (req: IncomingMessage) => {
    const value = cookies(req.headers.cookie).get(cookieName);
    return value !== undefined && [...sessions].some((s) => sameSecret(value, s));
  };

  const plain = (res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...extra });
    res.end(`${text}\n`);
  };

  const server = createServer(serverOptions(DEFAULT_LIMITS), (req, res) => {
    if (!hostOk(req)) return plain(res, 403, 'Forbidden: this dashboard answers only to 127.0.0.1 and localhost.');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method not allowed.', { allow: 'GET, HEAD' });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    } catch {
      return plain(res, 400, 'Bad request.');
    }
    const token = url.searchParams.get('token');
    if (token !== null) {
      if (loginToken === undefined || !sameSecret(token, loginToken)) {
        return plain(res, 401, 'This login link was already used or is wrong. Restart `sophon serve --dashboard` for a new one.');
      }
      loginToken = undefined;
      const session = randomBytes(32).toString('base64url');
      sessions.add(session);
      res.writeHead(303, {
        location: '/',
        'set-cookie': `${cookieName}=${session}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      });
      res.end();
      return;
    }
    if (!sessionOk(req)) return plain(res, 401, 'Not signed in: open the URL that `sophon serve --dashboard` printed.');
    const file = files.get(url.pathname === '/' ? '/index.html' : url.pathname);
    if (!file) return plain(res, 404, 'Not found.');
    res.writeHead(200, {
      'content-type': file.type,
      'content-length': String(file.body.length),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      ...(file.type.startsWith('text/html') ? { 'content-security-policy': CSP } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  });

  const guard = guardConnections(server, DEFAULT_LIMITS);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  const refuse = (socket: Duplex, status: 401 | 403 | 404, reason: string) => {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n`);
  };
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => undefined);
    if (!hostOk(req)) return refuse(socket, 403, 'Forbidden');
    if (new URL(req.url ?? '/', 'http://x').pathname !== API_PATH) return refuse(socket, 404, 'Not Found');
    // Browsers always send Origin on a WebSocket upgrade; a foreign page cannot forge ours.
    if (!allowedOrigins().includes(String(req.headers.origin ?? ''))) return refuse(socket, 403, 'Forbidden');
    if (!sessionOk(req)) return refuse(socket, 401, 'Unauthorized');
    // A signed-in tab is in use while it is open, though it sends no HTTP request: a flood must not shed it.
    guard.hold(socket);
    wss.handleUpgrade(req, socket, head, (ws) => serveClient(ws, options.dispatcher));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
  // Cookies ignore ports: name ours after the port so two dashboards do not clash.
  cookieName = `sophon_session_${port}`;
  const origin = `http://127.0.0.1:${port}`;

  return {
    port,
    origin,
    loginUrl: `${origin}/?token=${loginToken}`,
    async dispose() {
      // Wait for each tab's close handler: its event subscription ends before dispose returns.
      await Promise.all(
        [...wss.clients].map(
          (client) =>
            new Promise<void>((resolve) => {
              client.once('close', () => resolve());
              client.terminate();
            }),
        ),
      );
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Calls one tab may have in flight; more wait, and past a backlog the tab stops being read (TCP pushes back). */
export const MAX_CALLS_PER_TAB = 16;
/** Answers not yet taken by the tab, in bytes, past which it stops being read. */
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;
/** Requests already read but waiting; past this the tab is cut off (it ignores the backpressure). */
const MAX_WAITING = 10_000;

type CallMessage = { id: number; method: string; params?: unknown };

/**
 * One browser tab: requests go to the dispatcher as the window; events are pushed. A tab
 * has at most MAX_CALLS_PER_TAB calls in flight; the rest wait in order, and while any
 * wait, or while answers pile up unsent, the socket is not read, so a tab that sends
 * thousands of calls without waiting holds a bounded amount of the owner's memory.
 */
function serveClient(ws: WebSocket, dispatcher: DashboardDispatcher): void {
  const calls = new Map<number, AbortController>();
  const waiting: CallMessage[] = [];
  const waitingIds = new Set<number>();
  let unsent = 0;
  let paused = false;
  const flow = () => {
    const shouldPause = waiting.length > 0 || unsent > MAX_UNSENT_BYTES;
    if (shouldPause && !paused) ws.pause();
    else if (!shouldPause && paused) ws.resume();
    paused = shouldPause;
  };
  const send = (message: WireServerMessage) => {
    if (ws.readyState !== ws.OPEN) return;
    const text = JSON.stringify(message);
    unsent += text.length;
    ws.send(text, () => {
      unsent -= text.length;
      flow();
    });
  };
  const unsubscribe = dispatcher.subscribe((event, payload) => send({ event, payload }));
  ws.on('error', () => undefined);
  ws.on('close', () => {
    unsubscribe();
    waiting.length = 0;
    waitingIds.clear();
    for (const controller of calls.values()) controller.abort();
    calls.clear();
  });
  const start = (message: CallMessage) => {
    const { id } = message;
    const controller = new AbortController();
    calls.set(id, controller);
    void dispatcher
      .call(message.method, message.params, {
        actor: 'window',
        signal: controller.signal,
        emit: (event, payload) => send({ id, event, payload }),
      })
      .then((result) => {
        calls.delete(id);
        send({ id, result });
        while (calls.size < MAX_CALLS_PER_TAB && waiting.length > 0) {
          const next = waiting.shift() as CallMessage;
          waitingIds.delete(next.id);
          start(next);
        }
        flow();
      });
  };
  ws.on('message', (data, isBinary) => {
    let parsed: unknown;
    try {
      parsed = isBinary ? undefined : JSON.parse(data.toString());
    } catch {
      parsed = undefined;
    }
    const message = WireClientMessage.safeParse(parsed);
    if (!message.success) {
      const id = (parsed as { id?: unknown } | undefined)?.id;
      if (typeof id === 'number') send({ id, result: { ok: false, error: { code: 'INVALID_INPUT', message: 'the message does not follow the contract — reload the page' } } });
      return;
    }
    const { id } = message.data;
    if ('cancel' in message.data) {
      calls.get(id)?.abort();
      if (waitingIds.delete(id)) {
        waiting.splice(waiting.findIndex((m) => m.id === id), 1);
        send({ id, result: { ok: false, error: { code: 'OAUTH_CANCELLED', message: 'cancelled before it started' } } });
      }
      return;
    }
    if (calls.has(id) || waitingIds.has(id)) return;
    const call: CallMessage = { id, method: message.data.method, params: message.data.params };
    if (calls.size < MAX_CALLS_PER_TAB) start(call);
    else if (waiting.length < MAX_WAITING) {
      waiting.push(call);
      waitingIds.add(id);
    }
    else ws.close(1008, 'too many calls without waiting for answers');
    flow();
  });
}
