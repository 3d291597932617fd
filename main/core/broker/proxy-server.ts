import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../catalog/schema.ts';
import { DEFAULT_LIMITS, guardConnections, serverOptions, type ConnectionLimits } from '../net-limits.ts';
import { SophonError, isSophonError } from '../errors.ts';
import { loadCaFiles } from '../tls-cas.ts';
import type { SophonCore } from '../sophon-core.ts';
import { Broker, brokerStatusFor } from './broker.ts';
import { proxyCall, sendJsonError, type ProxyDeps } from './proxy-call.ts';
import { PROXY_PREFIX } from './proxy-path.ts';
import { BROKER_INFO_FILE, RUNTIME_KEY_FILE, bearer, ensureRuntimeKey, runtimeKeyMatches } from './runtime-key.ts';

export interface StartBrokerOptions {
  /** The broker state the host's request handlers share; created when absent. */
  readonly broker?: Broker;
  /** Overrides Sophon.Broker.Port. */
  readonly port?: number;
  readonly log?: (line: string) => void;
}

export interface BrokerServer {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly broker: Broker;
  readonly runtimeKeyFile: string;
  dispose(): Promise<void>;
}

/** What an agent runtime posts to /broker/mint. */
export const MintRequest = z
  .object({
    skill: z.string().min(1).max(64),
    tool: z.string().min(1).max(128),
    connection: z.string().min(1).max(200).optional(),
    connections: z.array(z.string().min(1).max(200)).min(1).max(16).optional(),
    ttlSeconds: z.number().int().min(1).optional(),
    agent: z.string().min(1).max(64).optional(),
  })
  .strict();

export const RevokeRequest = z.union([z.object({ id: z.string().min(1).max(64) }).strict(), z.object({ all: z.literal(true) }).strict()]);

const MAX_CONTROL_BODY = 16 * 1024;


/**
 * Starts the broker proxy on 127.0.0.1: `/proxy/<connection>/<path>` for skills holding a
 * broker token, and `/broker/{mint,revoke,status}` for an agent runtime holding the key in
 * run/runtime.key. Writes run/broker.json ({url, port, pid}) so runtimes can find it.
 */
export async function startBroker(core: SophonCore, options: StartBrokerOptions = {}): Promise<BrokerServer> {
  const broker = options.broker ?? new Broker(core);
  const settings = broker.settings;
  const ca = await loadCaFiles(settings.CaFiles, core.paths.configDir, 'Sophon.Broker.CaFiles');
  const runtimeKey = await ensureRuntimeKey(core.paths.runDir);
  // The HTTP stack (node:http, undici) loads only when a proxy starts: a one-shot CLI command never needs it.
  const [{ Agent }, { createServer }] = await Promise.all([import('undici'), import('node:http')]);
  const agent = new Agent({
    connections: settings.UpstreamConnections,
    keepAliveTimeout: 30_000,
    headersTimeout: settings.UpstreamTimeoutSeconds * 1000,
    ...(ca ? { connect: { ca } } : {}),
  });
  let port = 0;
  let hosts = allowedHosts(0);
  const deps: ProxyDeps = {
    broker,
    agent,
    clock: core.ports.clock,
    reauthHoldMs: settings.ReauthHoldSeconds * 1000,
    maxCallsPerToken: settings.MaxCallsPerToken,
    inFlight: new Map(),
  };

  const limits: ConnectionLimits = { ...DEFAULT_LIMITS, maxConnections: settings.MaxConnections };
  const server = createServer(serverOptions(limits), (req, res) => {
    if (!hostAllowed(req.headers.host, hosts)) {
      req.resume();
      sendJsonError(res, 421, 'BROKER_DENIED', `this is the Sophon broker on 127.0.0.1:${port}; requests for host "${String(req.headers.host).slice(0, 100)}" are refused — call http://127.0.0.1:${port}/proxy/<connection>/<path>`, {}, true);
      return;
    }
    const url = req.url ?? '/';
    if (url.startsWith(PROXY_PREFIX)) {
      proxyCall(deps, req, res);
      return;
    }
    void control(broker, runtimeKey, req, res);
  });
  guardConnections(server, limits);
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      agent.destroy().catch(() => undefined);
      reject(error.code === 'EADDRINUSE' ? new SophonError('INVALID_INPUT', `port ${options.port ?? settings.Port} on 127.0.0.1 is taken — set another Sophon.Broker.Port (0 picks a free one)`, { cause: error }) : error);
    });
    server.listen(options.port ?? settings.Port, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(port);
  const url = `http://127.0.0.1:${port}`;
  broker.setProxyUrl(`${url}/proxy`);
  const infoFile = join(core.paths.runDir, BROKER_INFO_FILE);
  await writeFile(infoFile, `${JSON.stringify({ url, proxy: `${url}/proxy`, port, pid: process.pid })}\n`, { mode: 0o600 });
  options.log?.(`broker proxy on ${url}/proxy (runtime key in ${join(core.paths.runDir, RUNTIME_KEY_FILE)})`);

  let disposed: Promise<void> | undefined;
  const dispose = (): Promise<void> => {
    disposed ??= (async () => {
      broker.setProxyUrl(undefined);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await agent.destroy().catch(() => undefined);
      await rm(infoFile, { force: true });
    })();
    return disposed;
  };
  core.onDispose(dispose);
  return { port, url, broker, runtimeKeyFile: join(core.paths.runDir, RUNTIME_KEY_FILE), dispose };
}

/** Host headers a request to this proxy may carry: anything else is DNS rebinding or a host override. */
function allowedHosts(port: number): Set<string> {
  return new Set(['127.0.0.1', 'localhost', '[::1]'].flatMap((name) => [name, `${name}:${port}`]));
}

function hostAllowed(host: string | undefined, allowed: ReadonlySet<string>): boolean {
  return host === undefined || allowed.has(host) || allowed.has(host.toLowerCase());
}

/** /broker/mint, /broker/revoke, /broker/status: for agent runtimes holding the runtime key. */
async function control(broker: Broker, runtimeKey: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0];
  const routes: Record<string, string> = { '/broker/mint': 'POST', '/broker/revoke': 'POST', '/broker/status': 'GET' };
  const expected = path !== undefined ? routes[path] : undefined;
  try {
    if (expected === undefined) {
      req.resume();
      return sendJsonError(res, 404, 'INVALID_INPUT', 'not a broker endpoint — skills call /proxy/<connection>/<path>; runtimes POST /broker/mint');
    }
    if (req.method !== expected) {
      req.resume();
      return sendJsonError(res, 405, 'INVALID_INPUT', `${path} takes ${expected}`);
    }
    if (!runtimeKeyMatches(bearer(req.headers.authorization), runtimeKey)) {
      req.resume();
      broker.audit({ actor: 'runtime', action: `broker.${path?.slice('/broker/'.length)}`, outcome: 'denied', reason: 'missing or wrong runtime key', detail: { via: 'http' } });
      return sendJsonError(res, 401, 'BROKER_TOKEN_INVALID', 'this endpoint needs `Authorization: Bearer <runtime key>` from run/runtime.key (broker tokens are not accepted here)');
    }
    if (path === '/broker/status') {
      const status = broker.status();
      return sendJson(res, 200, { running: status.running, proxyUrl: status.proxyUrl, maxTtlSeconds: status.maxTtlSeconds, defaultTtlSeconds: status.defaultTtlSeconds, live: status.tokens.map(tokenView) });
    }
    const body = await readJson(req);
    if (path === '/broker/mint') {
      const parsed = MintRequest.safeParse(body);
      if (!parsed.success) throw new SophonError('INVALID_INPUT', `mint request: ${describeIssues(parsed.error)}`);
      const input = parsed.data;
      const connections = [...(input.connection ? [input.connection] : []), ...(input.connections ?? [])];
      const minted = await broker.mint(
        { skill: input.skill, tool: input.tool, ...(connections.length ? { connections } : {}), ...(input.ttlSeconds !== undefined ? { ttlSeconds: input.ttlSeconds } : {}), ...(input.agent !== undefined ? { agent: input.agent } : {}) },
        { actor: 'runtime', via: 'http' },
      );
      return sendJson(res, 201, minted);
    }
    const parsed = RevokeRequest.safeParse(body);
    if (!parsed.success) throw new SophonError('INVALID_INPUT', `revoke request: give {"id": "btk_…"} or {"all": true} (${describeIssues(parsed.error)})`);
    if ('all' in parsed.data) return sendJson(res, 200, { revoked: broker.revokeAll({ actor: 'runtime' }) });
    broker.revoke(parsed.data.id, { actor: 'runtime' });
    return sendJson(res, 200, { revoked: 1 });
  } catch (error) {
    const known = isSophonError(error) ? error : new SophonError('INTERNAL', `the broker failed: ${(error as Error)?.message ?? String(error)}`);
    if (!res.headersSent) sendJsonError(res, known.code === 'INVALID_INPUT' && /too large/.test(known.message) ? 413 : brokerStatusFor(known.code), known.code, known.message);
    else res.destroy();
  }
}

export function tokenView(t: { id: string; skill: string; tool: string; connections: ReadonlyArray<{ connectionId: string; service: string; label: string }>; mintedAt: number; expiresAt: number }) {
  return { id: t.id, skill: t.skill, tool: t.tool, connections: t.connections.map((c) => ({ id: c.connectionId, service: c.service, label: c.label })), mintedAt: t.mintedAt, expiresAt: t.expiresAt };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_CONTROL_BODY) throw new SophonError('INVALID_INPUT', `the request body is too large (over ${MAX_CONTROL_BODY} bytes)`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new SophonError('INVALID_INPUT', 'the request body is not JSON — send application/json');
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
