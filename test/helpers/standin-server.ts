import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** What every stand-in can be told to do to the next requests: answer an error, or drop the connection. */
export type Fault = { readonly kind: 'status'; readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string> } | { readonly kind: 'drop' };

export interface StandinServer {
  readonly url: string;
  readonly port: number;
  /** The next `count` requests (matching `when`, default all; after letting `after` of them through) get the fault instead of an answer. */
  inject(fault: Fault, count?: number, when?: (req: IncomingMessage) => boolean, after?: number): void;
  /** Every request until `heal()` gets the fault. */
  breakDown(fault: Fault): void;
  heal(): void;
  dispose(): Promise<void>;
}

export interface StandinRequest {
  readonly req: IncomingMessage;
  readonly body: Buffer;
}

/**
 * An HTTP(S) server on 127.0.0.1 with fault injection, shared by the product stand-ins.
 * The handler sees the whole body; faults are applied before it runs.
 */
export async function standinServer(handler: (request: StandinRequest, res: ServerResponse) => Promise<void> | void, tls?: { cert: string; key: string }): Promise<StandinServer> {
  const faults: Array<{ fault: Fault; left: number; skip: number; when?: ((req: IncomingMessage) => boolean) | undefined }> = [];
  let broken: Fault | undefined;
  const sockets = new Set<Socket>();
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let pending = faults.find((f) => f.left > 0 && (!f.when || f.when(req)));
      if (pending && pending.skip > 0) {
        pending.skip--;
        pending = undefined;
      }
      const fault = broken ?? (pending ? (pending.left--, pending.fault) : undefined);
      if (fault) {
        if (fault.kind === 'drop') {
          req.socket.destroy();
          return;
        }
        res.writeHead(fault.status, { 'content-type': 'application/json', ...(fault.headers ?? {}) });
        res.end(fault.body === undefined ? '' : JSON.stringify(fault.body));
        return;
      }
      Promise.resolve(handler({ req, body: Buffer.concat(chunks) }, res)).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: String(error) }));
      });
    });
  };
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, onRequest) : createHttpServer(onRequest);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  if (tls) server.on('secureConnection', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    inject(fault, count = 1, when, after = 0) {
      faults.push({ fault, left: count, skip: after, when });
    },
    breakDown(fault) {
      broken = fault;
    },
    heal() {
      broken = undefined;
      faults.length = 0;
    },
    dispose: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}
