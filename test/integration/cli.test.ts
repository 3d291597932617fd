import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, startCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { startUpstream } from '../helpers/http-upstream.ts';

const KEY = 'sk-or-v1-CANARY0123456789abcdef';
let home: TempHome;
let env: NodeJS.ProcessEnv;
let upstream: Awaited<ReturnType<typeof startUpstream>>;

beforeAll(async () => {
  home = await tempHome();
  env = { SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'a long test passphrase', HOME: home.dir };
  upstream = await startUpstream((req, res) => {
    const ok = req.url === '/key' && req.headers.authorization === `Bearer ${KEY}`;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(ok ? '{"data":{}}' : '{"error":"no"}');
  });
});
afterAll(async () => {
  await upstream?.dispose();
  await home?.dispose();
});

function oneLineError(stderr: string): void {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^sophon: .+ — .+/);
}

describe('sophon CLI as a real process (no owner running)', () => {
  it('adds an API key from stdin, lists, tests against appsettings base URL, removes, verifies the audit trail', async () => {
    const add = await runCli(['connect', 'add', 'openrouter', '--label', 'personal'], { env, input: `${KEY}\n` });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout + add.stderr).not.toContain(KEY);

    const list = await runCli(['connect', 'list', '--json'], { env });
    expect(list.code).toBe(0);
    const connections = JSON.parse(list.stdout) as Array<{ id: string; service: string; label: string; state: string }>;
    expect(connections).toEqual([expect.objectContaining({ service: 'openrouter', label: 'personal', state: 'active' })]);
    expect(list.stdout).not.toContain(KEY);

    await writeFile(join(home.dir, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Services: { openrouter: { baseUrl: upstream.url } } } }));
    const test = await runCli(['connect', 'test', 'openrouter:personal', '--json'], { env });
    expect(test.code).toBe(0);
    expect(JSON.parse(test.stdout).result).toMatchObject({ ok: true, status: 200 });
    expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);

    const vault = await readFile(join(home.dir, 'config', 'vault.enc'));
    expect(vault.includes(Buffer.from(KEY))).toBe(false);
    expect(vault.includes(Buffer.from('CANARY'))).toBe(false);

    const remove = await runCli(['connect', 'remove', connections[0]!.id], { env });
    expect(remove.code).toBe(0);
    expect(JSON.parse((await runCli(['connect', 'list', '--json'], { env })).stdout)).toEqual([]);

    const verify = await runCli(['audit', 'verify', '--json'], { env });
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, lines: 3 });
    const audit = await runCli(['audit', '--json'], { env });
    const actions = (JSON.parse(audit.stdout) as { entries: Array<{ action: string; actor: string }> }).entries.map((e) => `${e.actor}:${e.action}`);
    expect(actions).toEqual(['cli:credential.delete', 'cli:credential.read', 'cli:credential.write']);
    const auditText = await readFile(join(home.dir, 'audit', 'audit.jsonl'), 'utf8');
    expect(auditText).not.toContain(KEY);
  });

  it('refuses bad input with one line naming cause and fix, and keeps what is stored', async () => {
    expect((await runCli(['connect', 'add', 'openrouter', '--label', 'keep'], { env, input: KEY })).code).toBe(0);
    const before = await readFile(join(home.dir, 'config', 'vault.enc'));

    const unknown = await runCli(['connect', 'add', 'nosuchservice'], { env, input: KEY });
    expect(unknown.code).toBe(1);
    oneLineError(unknown.stderr);
    expect(unknown.stderr).toMatch(/unknown service "nosuchservice"/);

    const dup = await runCli(['connect', 'add', 'openrouter', '--label', 'keep'], { env, input: KEY });
    expect(dup.code).toBe(1);
    oneLineError(dup.stderr);
    expect(dup.stderr).toMatch(/already has a connection labelled "keep"/);

    const empty = await runCli(['connect', 'add', 'openrouter', '--label', 'other'], { env, input: '' });
    expect(empty.code).toBe(1);
    oneLineError(empty.stderr);
    expect(empty.stderr).toMatch(/no .* given — pipe it on stdin/);

    const wrong = await runCli(['connect', 'list'], { env: { ...env, SOPHON_VAULT_PASSPHRASE: 'not the passphrase' } });
    expect(wrong.code).toBe(1);
    oneLineError(wrong.stderr);
    expect(wrong.stderr).toMatch(/passphrase in SOPHON_VAULT_PASSPHRASE does not open vault\.enc/);

    await mkdir(join(home.dir, 'connectors'), { recursive: true });
    await writeFile(join(home.dir, 'connectors', 'acme.json'), JSON.stringify({ id: 'acme', name: 'Acme', category: 'other', auth: [{ type: 'api_key' }], api: { baseUrl: 'ftp://acme.example' } }));
    const connector = await runCli(['connect', 'add', 'acme'], { env, input: KEY });
    expect(connector.code).toBe(1);
    oneLineError(connector.stderr);
    expect(connector.stderr).toContain('connectors/acme.json: api.baseUrl');

    expect(await readFile(join(home.dir, 'config', 'vault.enc'))).toEqual(before);
    const list = JSON.parse((await runCli(['connect', 'list', '--json'], { env })).stdout) as unknown[];
    expect(list).toHaveLength(1);
    for (const r of [unknown, dup, empty, wrong, connector]) expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('`connect test` on a sign-in with no live check says so and why, instead of "ok"', async () => {
    const token = 'sk-ant-oat01-CANARYsetuptoken0123456789';
    const add = await runCli(['connect', 'add', 'anthropic-subscription', '--label', 'setup'], { env, input: `${token}\n` });
    expect(add.code, add.stderr).toBe(0);
    const test = await runCli(['connect', 'test', 'anthropic-subscription:setup'], { env });
    expect(test.code).toBe(0);
    expect(test.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^not checked: anthropic-subscription:setup — not called \(no live check exists for this sign-in\): Anthropic offers no read-only call for subscription tokens;.*`sophon models test anthropic`.*; the stored credential is readable \(\d+ ms\)$/),
    ]);
    expect(test.stdout + test.stderr).not.toContain(token);
    const status = await runCli(['connect', 'status', 'anthropic-subscription:setup'], { env });
    expect(status.stdout).toMatch(/last test: +not checked live at /);
    expect((await runCli(['connect', 'remove', 'anthropic-subscription:setup'], { env })).code).toBe(0);
  });

  it('reports a tampered vault without touching it', async () => {
    const file = join(home.dir, 'config', 'vault.enc');
    const good = await readFile(file);
    const bad = Buffer.from(good);
    bad[bad.length - 1]! ^= 0xff;
    await writeFile(file, bad);
    const result = await runCli(['connect', 'list'], { env });
    expect(result.code).toBe(1);
    oneLineError(result.stderr);
    expect(result.stderr).toMatch(/integrity check .* `sophon vault restore` to go back to config\/vault\.enc\.bak/);
    expect(await readFile(file)).toEqual(bad);
    await writeFile(file, good);
  });
});

describe('sophon serve owns the vault', () => {
  it('answers the CLI over the socket, refuses a second owner, and lets go on SIGTERM', async () => {
    const serve = startCli(['serve'], { env, ready: /listening on/ });
    await serve.ready;
    try {
      const list = await runCli(['connect', 'list', '--json'], { env: { ...env, SOPHON_VAULT_PASSPHRASE: '' } });
      expect(list.code).toBe(0);
      expect(JSON.parse(list.stdout)).toHaveLength(1);

      const add = await runCli(['connect', 'add', 'openrouter', '--label', 'via-socket'], { env, input: KEY });
      expect(add.code).toBe(0);

      const second = await runCli(['serve'], { env });
      expect(second.code).toBe(1);
      oneLineError(second.stderr);
      expect(second.stderr).toMatch(/already open in sophon serve \(pid \d+/);
    } finally {
      expect(await serve.stop('SIGTERM')).toBe(0);
    }
    const list = await runCli(['connect', 'list', '--json'], { env });
    expect((JSON.parse(list.stdout) as unknown[]).length).toBe(2);
    const audit = JSON.parse((await runCli(['audit', 'verify', '--json'], { env })).stdout) as { ok: boolean };
    expect(audit.ok).toBe(true);
  });
});
