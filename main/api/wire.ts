import { createServer, connect, type Server, type Socket } from 'node:net';
import { chmod, unlink } from 'node:fs/promises';
import type { ApiResult, EventName, EventPayload } from './contract.ts';
import type { CallContext, Dispatcher } from './dispatch.ts';
import type { AuditActor } from '../core/index.ts';

/**
 * The local socket between the CLI (or an agent runtime) and the vault's owner:
 * newline-delimited JSON. Client → {id, method, params} | {id, cancel: true} | {subscribe: true}.
 * Server → {id, result} | {id, event, payload} (progress of that call) | {event, payload}.
 */
const MAX_LINE = 1024 * 1024;
/** Answers come from the owner, and one can be large (an attachment a mail tool fetched). */
const MAX_ANSWER_LINE = 64 * 1024 * 1024;

const tooLarge = (what: string) => ({ ok: false as const, error: { code: 'INPUT_TOO_LARGE', message: `${what} is larger than 1 MiB, more than the Sophon owner accepts — is the input the right file? nothing was changed` } });

type ClientMessage = { id?: number; method?: string; params?: unknown; cancel?: boolean; subscribe?: boolean };
type ServerMessage = { id?: number; result?: ApiResult<unknown>; event?: EventName; payload?: unknown };

/** Newline-delimited lines from a socket; a line (or an unfinished one) longer than `max` calls onTooLong instead. Exported for its test. */
export function lines(socket: Socket, onLine: (line: string) => void, onTooLong: () => void, max = MAX_LINE): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      // A whole line can arrive in one chunk: its length is checked too, not only what is left over.
      if (line.length > max) {
        buffer = '';
        onTooLong();
        return;
      }
      if (line.trim()) onLine(line);
    }
    if (buffer.length > max) {
      buffer = '';
      onTooLong();
    }
  });
}

export interface SocketServer {
  readonly path: string;
  dispose(): Promise<void>;
}

export async function serveSocket(path: string, dispatcher: Dispatcher, actor: AuditActor = 'cli'): Promise<SocketServer> {
  await unlink(path).catch(() => undefined);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    const calls = new Map<number, AbortController>();
    const enders = new Set<() => void>();
    let unsubscribe: (() => void) | undefined;
    const send = (message: ServerMessage) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
    };
    socket.on('close', () => {
      sockets.delete(socket);
      unsubscribe?.();
      for (const controller of calls.values()) controller.abort();
      for (const end of enders) end();
      enders.clear();
    });
    socket.on('error', () => undefined);
    lines(
      socket,
      (line) => {
        let message: ClientMessage;
        try {
          message = JSON.parse(line) as ClientMessage;
        } catch {
          send({ result: { ok: false, error: { code: 'INVALID_INPUT', message: 'the request was not JSON — client and app versions differ?' } } });
          return;
        }
        if (message.subscribe) {
          unsubscribe ??= dispatcher.subscribe((event, payload) => send({ event, payload }));
          return;
        }
        const id = message.id;
        if (typeof id !== 'number') return;
        if (message.cancel) {
          calls.get(id)?.abort();
          return;
        }
        const controller = new AbortController();
        calls.set(id, controller);
        const ctx: CallContext = {
          actor,
          signal: controller.signal,
          emit: (event, payload) => send({ id, event, payload }),
          onSessionEnd: (fn) => {
            if (socket.destroyed) fn();
            else enders.add(fn);
          },
        };
        void dispatcher.call(String(message.method), message.params, ctx).then((result) => {
          calls.delete(id);
          send({ id, result });
        });
      },
      () => {
        // Say why before hanging up: the client then reports the size, not a lost owner. The rest is drained unread.
        socket.removeAllListeners('data');
        socket.resume();
        send({ result: tooLarge('the request') });
        socket.end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (process.platform !== 'win32') await chmod(path, 0o600);
  return {
    path,
    async dispose() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await unlink(path).catch(() => undefined);
    },
  };
}

export interface ApiClient {
  /** `signal` cancels the call at the owner (a sign-in wait, a tool call's held request). */
  call<T = unknown>(method: string, params: unknown, onEvent?: <N extends EventName>(event: N, payload: EventPayload<N>) => void, signal?: AbortSignal): Promise<ApiResult<T>>;
  close(): Promise<void>;
  /** Events the owner pushes to every client (skills.changed, …); the socket only sends them once asked. */
  subscribe?(listener: <N extends EventName>(event: N, payload: EventPayload<N>) => void): () => void;
  /** Told when the owner closes the connection (it stopped or restarted). */
  onClose?(listener: () => void): void;
}

/** Connects to a running owner; undefined when none answers on the socket. */
export async function connectSocket(path: string): Promise<ApiClient | undefined> {
  const socket = await new Promise<Socket | undefined>((resolve) => {
    const s = connect(path);
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(undefined));
  });
  if (!socket) return undefined;
  let nextId = 1;
  const pending = new Map<number, { resolve: (r: ApiResult<unknown>) => void; onEvent?: (event: EventName, payload: never) => void }>();
  const listeners = new Set<(event: EventName, payload: never) => void>();
  const closers = new Set<() => void>();
  lines(
    socket,
    (line) => {
      const message = JSON.parse(line) as ServerMessage;
      if (message.id === undefined) {
        // An answer to no call in particular (the request was too large to read): it ends them all.
        if (message.result && !message.result.ok) for (const [id, call] of pending) {
          pending.delete(id);
          call.resolve(message.result);
        }
        if (message.event) for (const listener of listeners) listener(message.event, message.payload as never);
        return;
      }
      const call = pending.get(message.id);
      if (!call) return;
      if (message.result) {
        pending.delete(message.id);
        call.resolve(message.result);
      } else if (message.event) call.onEvent?.(message.event, message.payload as never);
    },
    () => socket.destroy(),
    MAX_ANSWER_LINE,
  );
  socket.on('close', () => {
    for (const call of pending.values()) call.resolve({ ok: false, error: { code: 'OWNER_UNREACHABLE', message: 'the Sophon owner closed the connection — is it still running? retry the command' } });
    pending.clear();
    for (const closer of closers) closer();
    closers.clear();
  });
  socket.on('error', () => undefined);
  return {
    call<T>(method: string, params: unknown, onEvent?: (event: EventName, payload: never) => void, signal?: AbortSignal): Promise<ApiResult<T>> {
      const id = nextId++;
      const line = `${JSON.stringify({ id, method, params })}\n`;
      if (line.length > MAX_LINE) return Promise.resolve(tooLarge(`the input to ${method}`) as ApiResult<T>);
      return new Promise((resolve) => {
        pending.set(id, { resolve: resolve as (r: ApiResult<unknown>) => void, ...(onEvent ? { onEvent } : {}) });
        socket.write(line);
        signal?.addEventListener('abort', () => {
          if (pending.has(id) && !socket.destroyed) socket.write(`${JSON.stringify({ id, cancel: true })}\n`);
        }, { once: true });
      });
    },
    async close() {
      socket.end();
      socket.destroy();
    },
    subscribe(listener: (event: EventName, payload: never) => void) {
      if (listeners.size === 0 && !socket.destroyed) socket.write(`${JSON.stringify({ subscribe: true })}\n`);
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onClose(listener: () => void) {
      if (socket.destroyed) listener();
      else closers.add(listener);
    },
  };
}
