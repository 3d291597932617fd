import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';

// Real processes against real servers on a shared 2-core machine: minutes, not seconds, under load.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 180_000 });
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, startCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { startUpstream } from '../helpers/http-upstream.ts';
import { BACKENDS, credentialsFor, startBackend, type BackendFixture, type BackendName } from '../helpers/backends.ts';

// The store goes away while `sophon serve` runs: reads keep working from the owner's cache
// for CacheSeconds while the store answers errors that are clearly transient, `connect
// status` shows how old the copy is, writes fail loudly and lose nothing, and a store that
// answers "no" (not "busy") is never papered over.
const KEY = 'sk-or-v1-OUTAGE0123456789abcdef';
const CACHE_SECONDS = 20;
const BUSY = { errors: ['Vault is sealed'], error: { code: 'ServiceUnavailable', message: 'The service is unavailable.' }, __type: 'InternalServiceError', Message: 'The service is unavailable.' };

let upstream: Awaited<ReturnType<typeof startUpstream>>;
beforeAll(async () => {
  upstream = await startUpstream((req, res) => {
    const ok = req.url === '/key' && req.headers.authorization === `Bearer ${KEY}`;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(ok ? '{"data":{}}' : '{"error":"no"}');
  });
});
afterAll(async () => upstream?.dispose());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(BACKENDS)('%s', (name: BackendName) => {
  let home: TempHome;
  let backend: BackendFixture;
  let env: NodeJS.ProcessEnv;
  let serve: ReturnType<typeof startCli> | undefined;

  beforeAll(async () => {
    home = await tempHome(`sophon-out-${name}-`);
    backend = await startBackend(name, join(home.dir, 'backend'));
    env = { SOPHON_HOME: join(home.dir, 'sophon'), HOME: join(home.dir, 'home'), SOPHON_VAULT_PASSPHRASE: 'a long test passphrase', ...backend.env };
    await mkdir(join(home.dir, 'sophon', 'config'), { recursive: true, mode: 0o700 });
    const credentials = credentialsFor(name, backend);
    if (backend.section) credentials[name] = { ...backend.section, CacheSeconds: CACHE_SECONDS };
    await writeFile(join(home.dir, 'sophon', 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Credentials: credentials, Services: { openrouter: { baseUrl: upstream.url } }, Broker: { Enabled: false } } }));
    const add = await runCli(['connect', 'add', 'openrouter', '--label', 'personal'], { env, input: `${KEY}\n` });
    expect(add.code, add.stderr).toBe(0);
  });
  afterAll(async () => {
    await serve?.stop();
    await backend?.dispose();
    await home?.dispose();
  });

  it.skipIf(name === 'Local')('serves reads from the cache while the store is busy, shows its age, refuses writes, and stops at CacheSeconds', async () => {
    serve = startCli(['serve'], { env, ready: /listening on/ });
    try {
      await outage();
    } finally {
      await serve.stop();
      serve = undefined;
    }
  });

  async function outage(): Promise<void> {
    await serve!.ready;
    const first = await runCli(['connect', 'test', 'openrouter:personal', '--json'], { env });
    expect(JSON.parse(first.stdout).result).toMatchObject({ ok: true });

    backend.server!.breakDown({ kind: 'status', status: 503, body: BUSY });
    await sleep(2_500);
    const during = await runCli(['connect', 'test', 'openrouter:personal', '--json'], { env });
    expect(during.code, during.stderr).toBe(0);
    expect(JSON.parse(during.stdout).result).toMatchObject({ ok: true, message: expect.stringContaining('not recorded') });
    const status = await runCli(['connect', 'status', 'openrouter:personal'], { env });
    expect(status.stdout).toMatch(new RegExp(`vault: +${name} — served from the cache, \\d+ s old \\(the store answered: .+\\)`));

    const write = await runCli(['connect', 'add', 'openrouter', '--label', 'offline'], { env, input: `${KEY}\n` });
    expect(write.code).not.toBe(0);
    const line = write.stderr.trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/^sophon: .+ is unreachable or busy .+ nothing was saved; nothing stored was lost; retry when it answers$/);

    // Past CacheSeconds the copy is too old to hand out.
    await sleep(CACHE_SECONDS * 1000);
    const stale = await runCli(['connect', 'test', 'openrouter:personal', '--json'], { env });
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toMatch(/unreachable or busy/);

    backend.server!.heal();
    await sleep(2_500);
    const list = JSON.parse((await runCli(['connect', 'list', '--json'], { env })).stdout) as Array<{ label: string }>;
    expect(list.map((c) => c.label)).toEqual(['personal']);
    const after = await runCli(['connect', 'status', 'openrouter:personal'], { env });
    expect(after.stdout).toMatch(new RegExp(`vault: +${name}\\n`));
    expect(after.stdout).not.toContain('served from the cache');
    // The owner's audit trail says which reads came from the cache.
    const audit = JSON.parse((await runCli(['audit', '--json'], { env })).stdout) as { entries: Array<{ action: string; detail?: Record<string, unknown> }> };
    expect(audit.entries.some((e) => e.action === 'credential.read' && e.detail?.['backend'] === name && typeof e.detail?.['cachedForSeconds'] === 'number')).toBe(true);
  }

  it.runIf(name === 'HashiCorpVault')('a store that refuses (a revoked token) is not served from the cache', async () => {
    serve = startCli(['serve'], { env, ready: /listening on/ });
    try {
      await serve.ready;
      await revoked();
    } finally {
      await serve.stop();
      serve = undefined;
    }
  });

  async function revoked(): Promise<void> {
    expect(JSON.parse((await runCli(['connect', 'test', 'openrouter:personal', '--json'], { env })).stdout).result).toMatchObject({ ok: true });
    const token = (await import('node:fs')).readFileSync((backend.section!['Auth'] as { TokenFile: string }).TokenFile, 'utf8').trim();
    backend.kv2!.revokeToken(token);
    await sleep(2_500);
    const denied = await runCli(['connect', 'test', 'openrouter:personal', '--json'], { env });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr.trim()).toMatch(/^sophon: HashiCorp Vault: the Vault token is expired or revoked — run `vault login`/);
  }
});
