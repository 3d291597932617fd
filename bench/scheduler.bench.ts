// Issue 3: a scheduler holding 10,000 OAuth connections with random expiries against a
// local token endpoint — most refreshes in flight, worst lateness, idle CPU over a quiet
// minute — and 100 concurrent getAccessToken calls on one expired connection.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { openHostApi } from '../main/api/host.ts';
import type { KeyProtector, ProtectorResolver } from '../main/core/index.ts';

function instantProtector(): ProtectorResolver {
  const protector: KeyProtector = {
    kind: 'keyring',
    strength: 'strong',
    describe: () => 'bench',
    seal: async (dataKey) => ({ kind: 'keyring', key: dataKey.toString('base64') }),
    unseal: async (sealed) => Buffer.from(String(sealed['key']), 'base64'),
  };
  return { forNewVault: async () => protector, forExisting: async () => protector };
}

const N = Number(process.env['BENCH_CONNECTIONS'] ?? 10_000);
const QUIET_MS = Number(process.env['BENCH_QUIET_MS'] ?? 60_000);

export async function run(): Promise<void> {
  let requests = 0;
  let concurrent = 0;
  let peakAtServer = 0;
  const tokenServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      requests++;
      concurrent++;
      peakAtServer = Math.max(peakAtServer, concurrent);
      // A token endpoint with a little latency, so that bounded concurrency matters.
      setTimeout(() => {
        concurrent--;
        const grant = new URLSearchParams(body).get('grant_type');
        res.writeHead(grant === 'refresh_token' ? 200 : 400, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ access_token: randomBytes(16).toString('hex'), token_type: 'Bearer', expires_in: 3600, refresh_token: randomBytes(16).toString('hex') }));
      }, 20);
    });
  });
  await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}`;

  const home = await mkdtemp(join(tmpdir(), 'sophon-bench-sched-'));
  await mkdir(join(home, 'connectors'), { recursive: true });
  await mkdir(join(home, 'config'), { recursive: true });
  await writeFile(
    join(home, 'connectors', 'bench.json'),
    JSON.stringify({
      id: 'bench',
      name: 'Bench',
      category: 'other',
      auth: [{ type: 'oauth2', authorizationEndpoint: `${base}/authorize`, tokenEndpoint: `${base}/token`, clientRegistrationUrl: `${base}/clients`, defaultClientId: 'bench' }],
      api: { baseUrl: base },
    }),
  );
  const marginMs = 10_000;
  const jitterMs = 5_000;
  const spreadMs = 60_000;
  const maxInFlight = 32;
  // Seed first, with the scheduler off, then reopen: the scheduler starts with 10,000 to hold.
  const seedHost = await openHostApi({ home, ownerName: 'bench', protectors: instantProtector(), scheduler: false });
  const now = Date.now();
  const ops = [];
  for (let i = 0; i < N; i++) {
    const id = `bench-${i.toString(16).padStart(8, '0')}`;
    const expiresAt = now + marginMs + 2_000 + Math.random() * spreadMs;
    ops.push({ type: 'put' as const, key: `connection/${id}`, value: { id, service: 'bench', label: `a${i}`, authMethod: 'oauth2', state: 'active', scopes: [], createdAt: new Date(now).toISOString(), params: {}, expiresAt, refreshable: true } });
    ops.push({ type: 'put' as const, key: `secret/${id}`, value: { type: 'oauth', accessToken: randomBytes(16).toString('hex'), refreshToken: randomBytes(16).toString('hex'), expiresAt } });
  }
  await seedHost.core.vault.batch(ops);
  await seedHost.dispose();

  const t0 = performance.now();
  const host = await openHostApi({ home, ownerName: 'bench', protectors: instantProtector(), scheduler: { marginMs, jitterMs, maxInFlight } });
  const scheduler = host.core.oauth.scheduler!;
  console.log(`holding ${scheduler.size} connections (open + schedule: ${(performance.now() - t0).toFixed(0)} ms), expiries spread over ${spreadMs / 1000} s, margin ${marginMs / 1000} s, jitter ≤ ${jitterMs / 1000} s, max in flight ${maxInFlight}`);
  const started = performance.now();
  while (scheduler.stats.succeeded + scheduler.stats.failed < N) await new Promise((r) => setTimeout(r, 250));
  await scheduler.whenIdle();
  const elapsed = performance.now() - started;
  console.log(`refreshed ${scheduler.stats.succeeded} (failed ${scheduler.stats.failed}) in ${(elapsed / 1000).toFixed(1)} s; token requests ${requests}`);
  console.log(`most refreshes in flight: ${scheduler.stats.maxInFlight} (seen at the token endpoint: ${peakAtServer}); worst lateness against target: ${scheduler.stats.maxLatenessMs.toFixed(0)} ms`);

  // A quiet minute: every token now lasts an hour; nothing should run. (After a few
  // seconds for the burst's garbage to be collected and idle sockets to close.)
  await new Promise((r) => setTimeout(r, 5_000));
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await new Promise((r) => setTimeout(r, QUIET_MS));
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - wall0;
  console.log(`idle CPU over a quiet ${(wall / 1000).toFixed(0)} s: ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms (${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(3)}% of one core); timers armed: 1`);

  // 100 concurrent getAccessToken on one expired connection → exactly one refresh.
  const one = 'bench-00000000';
  const secret = (await host.core.vault.get<Record<string, unknown>>(`secret/${one}`))!;
  await host.core.vault.put(`secret/${one}`, { ...secret, expiresAt: Date.now() - 1000 });
  const before = requests;
  await Promise.all(Array.from({ length: 100 }, () => host.core.oauth.tokens.getAccessToken(one, { actor: 'skill' })));
  console.log(`100 concurrent getAccessToken on one expired connection → ${requests - before} refresh request(s)`);

  await host.dispose();
  await new Promise<void>((resolve) => tokenServer.close(() => resolve()));
  await rm(home, { recursive: true, force: true });
}
