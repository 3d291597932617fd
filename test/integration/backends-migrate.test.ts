import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';

// Real processes against real servers on a shared 2-core machine: minutes, not seconds, under load.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 180_000 });
import { spawn } from 'node:child_process';
import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { BIN, runCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { startUpstream } from '../helpers/http-upstream.ts';
import { BACKENDS, credentialsFor, startBackend, type BackendFixture, type BackendName } from '../helpers/backends.ts';

// `sophon vault migrate` on every backend: a populated local vault there and back, again,
// interrupted by SIGKILL at many points and by the store failing mid-copy. Whatever
// happens, appsettings.json names a store that holds every connection.
const KEYS = ['sk-or-v1-FIRST0123456789abcdef', 'sk-or-v1-SECOND123456789abcdef', 'sk-or-v1-THIRD0123456789abcdef'];

let upstream: Awaited<ReturnType<typeof startUpstream>>;
beforeAll(async () => {
  upstream = await startUpstream((req, res) => {
    const ok = req.url === '/key' && KEYS.some((k) => req.headers.authorization === `Bearer ${k}`);
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(ok ? '{"data":{}}' : '{"error":"no"}');
  });
});
afterAll(async () => upstream?.dispose());

const exists = (file: string) => access(file).then(() => true, () => false);

/** Which write requests each product's stand-in sees, for failing a migration halfway. */
const isWrite: Record<Exclude<BackendName, 'Local'>, (req: IncomingMessage) => boolean> = {
  HashiCorpVault: (req) => req.method === 'POST' && String(req.url).includes('/data/'),
  AwsSecretsManager: (req) => /CreateSecret|PutSecretValue/.test(String(req.headers['x-amz-target'])),
  AzureKeyVault: (req) => req.method === 'PUT',
};

describe.each(BACKENDS)('%s', (name: BackendName) => {
  let home: TempHome;
  let backend: BackendFixture;
  let env: NodeJS.ProcessEnv;
  let settingsFile: string;
  const ids: string[] = [];

  const inUse = async () => (JSON.parse(await readFile(settingsFile, 'utf8')) as { Sophon: { Credentials: { Vault: string } } }).Sophon.Credentials.Vault;
  const listed = async () => {
    const list = await runCli(['connect', 'list', '--json'], { env });
    expect(list.code, list.stderr).toBe(0);
    return (JSON.parse(list.stdout) as Array<{ id: string }>).map((c) => c.id).sort();
  };
  const migrate = (to: string) => runCli(['vault', 'migrate', '--to', to], { env, timeoutMs: 120_000 });
  type Line = { action: string; outcome?: string; reason?: string; detail?: Record<string, unknown> };
  /** The `vault.migrate` lines of the audit trail, oldest first, as `sophon audit` shows them. */
  const migrations = async () => {
    const audit = await runCli(['audit', '--json', '--limit', '1000'], { env });
    expect(audit.code, audit.stderr).toBe(0);
    return (JSON.parse(audit.stdout) as { entries: Line[] }).entries.filter((e) => e.action === 'vault.migrate').reverse();
  };
  /** No credential ever reaches the audit files. */
  const auditHoldsNoKey = async () => {
    const dir = join(env['SOPHON_HOME'] as string, 'audit');
    for (const file of await readdir(dir)) {
      const text = await readFile(join(dir, file), 'utf8');
      for (const key of KEYS) expect(text).not.toContain(key);
    }
  };

  beforeAll(async () => {
    home = await tempHome(`sophon-mig-${name}-`);
    backend = await startBackend(name, join(home.dir, 'backend'));
    const sophonHome = join(home.dir, 'sophon');
    env = { SOPHON_HOME: sophonHome, HOME: join(home.dir, 'home'), SOPHON_VAULT_PASSPHRASE: 'a long test passphrase', ...backend.env };
    settingsFile = join(sophonHome, 'config', 'appsettings.json');
    await mkdir(join(sophonHome, 'config'), { recursive: true, mode: 0o700 });
    // Starts on the local vault, with the remote backend's section ready for the move.
    await writeFile(settingsFile, JSON.stringify({ Sophon: { Credentials: credentialsFor('Local', backend), Services: { openrouter: { baseUrl: upstream.url } } } }, null, 2));
    for (const [i, label] of ['personal', 'work'].entries()) {
      const add = await runCli(['connect', 'add', 'openrouter', '--label', label], { env, input: `${KEYS[i]}\n` });
      expect(add.code, add.stderr).toBe(0);
    }
    await writeFile(join(home.dir, 'skill.json'), JSON.stringify({ id: 'triage', name: 'Triage', credentials: ['openrouter:work'] }));
    expect((await runCli(['skills', 'add', join(home.dir, 'skill.json')], { env })).code).toBe(0);
    expect((await runCli(['skills', 'approve', 'triage'], { env })).code).toBe(0);
    ids.push(...(await listed()));
    expect(ids).toHaveLength(2);
  });
  afterAll(async () => {
    await backend?.dispose();
    await home?.dispose();
  });

  it.runIf(name === 'Local')('refuses to migrate to the backend in use, in one line, changing nothing', async () => {
    const result = await migrate('Local');
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toMatch(/^sophon: the vault already uses Local — nothing to migrate/);
    const other = await migrate('AzureKeyVault');
    expect(other.stderr.trim()).toMatch(/^sophon: Sophon\.Credentials\.AzureKeyVault is missing — add that section/);
    const bogus = await migrate('Vaultwarden');
    expect(bogus.stderr.trim()).toMatch(/^sophon: --to Vaultwarden: "Vaultwarden" is not a vault backend/);
    expect(await inUse()).toBe('Local');
    expect(await listed()).toEqual(ids);
    // Refused before reading anything: no credential was accessed, so there is nothing to audit.
    expect(await migrations()).toEqual([]);
  });

  it.skipIf(name === 'Local')('moves a populated vault there and back, and there again', async () => {
    const there = await migrate(name);
    expect(there.code, there.stderr).toBe(0);
    expect(there.stdout).toMatch(/moved 2 connection\(s\)/);
    expect(await inUse()).toBe(name);
    expect(await listed()).toEqual(ids);
    expect(backend.storeNames().length).toBeGreaterThanOrEqual(3);
    const test = await runCli(['connect', 'test', 'openrouter:work', '--json'], { env });
    expect(JSON.parse(test.stdout).result).toMatchObject({ ok: true });
    expect((await runCli(['skills', 'list', '--json'], { env })).stdout).toContain('"approved"');
    // The audit key moved too: the local trail still verifies.
    expect((await runCli(['audit', 'verify'], { env })).code).toBe(0);
    // Reading and copying every credential is audited: one line, what moved where, no value.
    const moved = await migrations();
    expect(moved).toHaveLength(1);
    expect(moved[0]).toMatchObject({ action: 'vault.migrate', outcome: 'ok', detail: { from: 'Local', to: name, connections: 2, reached: 'switched' } });
    expect(moved[0]!.detail!['records']).toBeGreaterThanOrEqual(3);
    await auditHoldsNoKey();

    const third = await runCli(['connect', 'add', 'openrouter', '--label', 'third'], { env, input: `${KEYS[2]}\n` });
    expect(third.code, third.stderr).toBe(0);
    const all = await listed();
    expect(all).toHaveLength(3);

    const back = await migrate('Local');
    expect(back.code, back.stderr).toBe(0);
    expect(await inUse()).toBe('Local');
    expect(await listed()).toEqual(all);
    expect((await migrations()).at(-1)).toMatchObject({ outcome: 'ok', detail: { from: name, to: 'Local', connections: 3 } });
    // The vault.enc from before was kept aside, not overwritten.
    expect((await readdir(join(env['SOPHON_HOME'] as string, 'config'))).some((f) => f.startsWith('vault.enc.replaced-'))).toBe(true);
    expect((await runCli(['audit', 'verify'], { env })).code).toBe(0);

    // The remote copy is untouched since it was left, so going there again may replace it.
    const again = await migrate(name);
    expect(again.code, again.stderr).toBe(0);
    expect(await inUse()).toBe(name);
    expect(await listed()).toEqual(all);
    ids.splice(0, ids.length, ...all);
  });

  it.skipIf(name === 'Local')('a store failing mid-copy leaves the old store in use, complete; the next run finishes', async () => {
    // From the remote store back to Local while the target is fine, but first from Local to the remote failing.
    const back = await migrate('Local');
    expect(back.code, back.stderr).toBe(0);
    // A connection the remote copy does not have yet, so the copy has something to write.
    const fourth = await runCli(['connect', 'add', 'openrouter', '--label', 'fourth'], { env, input: `${KEYS[0]}\n` });
    expect(fourth.code, fourth.stderr).toBe(0);
    ids.splice(0, ids.length, ...(await listed()));
    // The migration marker goes through; the records do not.
    backend.server!.inject({ kind: 'status', status: 503, body: { errors: ['Vault is sealed'], error: { code: 'ServiceUnavailable', message: 'busy' }, __type: 'InternalServiceError', Message: 'busy' } }, 1000, isWrite[name as Exclude<BackendName, 'Local'>], 1);
    const failed = await migrate(name);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr.trim().split('\n')).toHaveLength(1);
    expect(failed.stderr).toMatch(/unreachable or busy/);
    expect(await inUse()).toBe('Local');
    expect(await listed()).toEqual(ids);
    // Every credential was read before the copy failed: that attempt is audited too, through the store still in use.
    expect((await migrations()).at(-1)).toMatchObject({ outcome: 'error', reason: expect.stringMatching(/unreachable or busy/), detail: { from: 'Local', to: name, reached: 'read', code: 'VAULT_UNAVAILABLE' } });
    await auditHoldsNoKey();
    backend.server!.heal();
    const done = await migrate(name);
    expect(done.code, done.stderr).toBe(0);
    expect(await inUse()).toBe(name);
    expect(await listed()).toEqual(ids);
  });

  it.skipIf(name === 'Local')('killed at any moment, either the old or the new store is complete and in use', async () => {
    let direction: string = name === (await inUse()) ? 'Local' : name;
    for (const delayMs of [200, 700, 1200, 1800, 2600, 3500, 5000]) {
      const before = await inUse();
      const child = spawn(process.execPath, [BIN, 'vault', 'migrate', '--to', direction], { env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGKILL');
      const code = await closed;
      const now = await inUse();
      expect([before, direction]).toContain(now);
      expect(await listed()).toEqual(ids);
      if (code === 0 || now === direction) direction = now === 'Local' ? name : 'Local';
    }
    // And a run to the end from wherever it is.
    const finish = await migrate(direction);
    expect(finish.code, finish.stderr).toBe(0);
    expect(await inUse()).toBe(direction);
    expect(await listed()).toEqual(ids);
    if (direction === name) expect(await exists(join(env['SOPHON_HOME'] as string, 'config', 'vault.enc.migrating'))).toBe(false);
  });

  it.skipIf(name === 'Local')('killed the moment it has switched back to Local, the way back to the team store still opens', async () => {
    if ((await inUse()) !== name) expect((await migrate(name)).code).toBe(0);
    const child = spawn(process.execPath, [BIN, 'vault', 'migrate', '--to', 'Local'], { env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (/^switched /m.test(out)) child.kill('SIGKILL');
    });
    await closed;
    expect(out).toMatch(/^switched /m);
    expect(await inUse()).toBe('Local');
    expect(await listed()).toEqual(ids);
    // The store left behind knows what it held, so migrating back does not take it for another machine's.
    const back = await migrate(name);
    expect(back.code, back.stderr).toBe(0);
    expect(await inUse()).toBe(name);
    expect(await listed()).toEqual(ids);
  });
});
