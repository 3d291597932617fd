import { describe, it, expect, afterEach } from 'vitest';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { guardConnections, serverOptions, type ConnectionLimits } from '../../main/core/index.ts';

let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function start(limits: ConnectionLimits, handler: Parameters<typeof createServer>[1] = (_req, res) => res.end('ok')) {
  server = createServer(serverOptions(limits), handler);
  const guard = guardConnections(server, limits);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, guard };
}

function open(port: number): Promise<{ socket: Socket; closed: Promise<void>; data: () => string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    let data = '';
    socket.on('data', (d) => (data += String(d)));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('connect', () => resolve({ socket, closed, data: () => data }));
  });
}

/** Polls until `ok` holds (never a fixed wait: the machine may be slow). */
async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const limits: ConnectionLimits = { maxConnections: 5, headerMs: 400, idleMs: 400, requestMs: 5000 };

describe('connection limits for loopback servers', () => {
  it('closes a connection that never sends a byte, and one whose request head never ends', async () => {
    const { port } = await start(limits);
    const silent = await open(port);
    const slow = await open(port);
    slow.socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    await Promise.all([silent.closed, slow.closed]);
  });

  it('past the limit closes the oldest idle connection, never one with a request in flight', async () => {
    let release: (() => void) | undefined;
    const { port, guard } = await start({ ...limits, headerMs: 60_000, requestMs: 120_000 }, (req, res) => {
      if (req.url === '/hold') release = () => res.end('held');
      else res.end('ok');
    });
    const busy = await open(port);
    busy.socket.write('GET /hold HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => release !== undefined, 'the busy request');
    const idle: Array<Awaited<ReturnType<typeof open>>> = [];
    for (let i = 0; i < 4; i++) idle.push(await open(port));
    await until(() => guard.open === 5, 'five connections');
    // A newcomer makes room: the oldest idle one goes, the busy one stays.
    const late = await open(port);
    await idle[0]!.closed;
    late.socket.write('GET /x HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => late.data().length > 0, 'the late answer');
    expect(late.data()).toMatch(/^HTTP\/1\.1 200/);
    expect(guard.shed).toBe(1);
    release?.();
    await until(() => busy.data().includes('held'), 'the held answer');
  });

  it('never sheds a held connection (an upgraded, signed-in WebSocket), though it sends no request', async () => {
    const { port, guard } = await start({ ...limits, headerMs: 60_000, requestMs: 120_000 });
    let first = true;
    server!.on('connection', (socket) => {
      if (first) guard.hold(socket);
      first = false;
    });
    const held = await open(port);
    let heldClosed = false;
    void held.closed.then(() => (heldClosed = true));
    const idle: Array<Awaited<ReturnType<typeof open>>> = [];
    for (let i = 0; i < 5; i++) idle.push(await open(port));
    // Over the limit: the oldest connection not held goes.
    await idle[0]!.closed;
    expect(guard.shed).toBe(1);
    expect(heldClosed).toBe(false);
    expect(held.socket.destroyed).toBe(false);
  });
});
