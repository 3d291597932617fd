import { mkdir, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Broker, openCore, startBroker, type BrokerServer, type Clock, type SophonCore } from '../../main/core/index.ts';
import { fastPassphrase } from './protectors.ts';
import type { TestCa } from './test-ca.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Upstream {
  readonly url: string;
  readonly port: number;
  dispose(): Promise<void>;
}

/** A real HTTP or HTTPS server on 127.0.0.1 with keep-alive, answering with `handler`. */
export async function startServer(handler: Handler, tls?: Pick<TestCa, 'cert' | 'key'>): Promise<Upstream> {
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    dispose: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface FakeClock extends Clock {
  advance(ms: number): void;
}

/** Wall time the test moves by hand; timers are real (only hold timeouts use them). */
export function fakeClock(start = Date.now()): FakeClock {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
}

export interface BrokerEnv {
  readonly core: SophonCore;
  readonly broker: Broker;
  readonly server: BrokerServer;
  readonly clock: FakeClock;
  /** connection ids by "service:label" */
  readonly ids: Record<string, string>;
  mint(skill: string, tool: string, connections?: string[], ttlSeconds?: number): Promise<string>;
  /** fetch through the proxy with a broker token */
  call(path: string, token: string | undefined, init?: RequestInit): Promise<Response>;
  dispose(): Promise<void>;
}

export interface EnvOptions {
  readonly home: string;
  readonly connectors: readonly unknown[];
  readonly connections: ReadonlyArray<{ service: string; label: string; key: string }>;
  readonly skills: readonly unknown[];
  readonly approve: readonly string[];
  readonly broker?: Record<string, unknown>;
  readonly clock?: FakeClock;
}

/** A whole owner in this process: vault, connections, approved skills, and the broker proxy. */
export async function brokerEnv(options: EnvOptions): Promise<BrokerEnv> {
  await mkdir(join(options.home, 'connectors'), { recursive: true, mode: 0o700 });
  await mkdir(join(options.home, 'config'), { recursive: true, mode: 0o700 });
  for (const connector of options.connectors) {
    await writeFile(join(options.home, 'connectors', `${(connector as { id: string }).id}.json`), JSON.stringify(connector));
  }
  await writeFile(join(options.home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Broker: options.broker ?? {} } }));
  const clock = options.clock ?? fakeClock();
  const core = await openCore({ home: options.home, ownerName: 'broker test', protectors: fastPassphrase(), clock });
  const broker = new Broker(core);
  const ids: Record<string, string> = {};
  for (const c of options.connections) {
    const { connection } = await core.connections.add({ service: c.service, label: c.label, secret: { type: 'api_key', key: c.key } }, { actor: 'cli' });
    ids[`${c.service}:${c.label}`] = connection.id;
  }
  for (const skill of options.skills) await broker.addSkill(skill, { actor: 'cli' });
  for (const id of options.approve) await broker.approveSkill(id, { actor: 'cli' });
  const server = await startBroker(core, { broker });
  return {
    core,
    broker,
    server,
    clock,
    ids,
    async mint(skill, tool, connections, ttlSeconds) {
      const minted = await broker.mint({ skill, tool, ...(connections ? { connections } : {}), ...(ttlSeconds ? { ttlSeconds } : {}) }, { actor: 'runtime', via: 'direct' });
      return minted.token;
    },
    call(path, token, init = {}) {
      const headers = new Headers(init.headers);
      if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
      return fetch(`${server.url}${path}`, { ...init, headers, redirect: 'manual' });
    },
    dispose: () => core.dispose(),
  };
}
