import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, startCli, type CliResult } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { startUpstream } from '../helpers/http-upstream.ts';

const KEY = 'acme-live-CANARY-0123456789abcdef';
let home: TempHome;
let env: NodeJS.ProcessEnv;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
const outputs: string[] = [];

async function cli(args: string[], input?: string): Promise<CliResult> {
  const result = await runCli(args, { env, ...(input !== undefined ? { input } : {}) });
  outputs.push(result.stdout, result.stderr);
  return result;
}

beforeAll(async () => {
  home = await tempHome('sophon-broker-cli-');
  env = { SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'a long test passphrase', HOME: home.dir };
  upstream = await startUpstream((req, res) => {
    const ok = req.headers.authorization === `Bearer ${KEY}`;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ ok, youSent: req.headers.authorization ?? null, path: req.url }));
  });
  await mkdir(join(home.dir, 'connectors'), { recursive: true });
  await mkdir(join(home.dir, 'config'), { recursive: true });
  await writeFile(
    join(home.dir, 'connectors', 'acme.json'),
    JSON.stringify({ id: 'acme', name: 'Acme', category: 'other', auth: [{ type: 'api_key' }], api: { baseUrl: `${upstream.url}/api` } }),
  );
  await writeFile(join(home.dir, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Broker: { Port: 0, MaxTtlSeconds: 120 } } }));
});
afterAll(async () => {
  await upstream?.dispose();
  await home?.dispose();
});

describe('brokered credentials from the CLI', () => {
  it('adds and approves a skill, mints against `sophon serve`, calls through the proxy, and audits each call', async () => {
    expect((await cli(['connect', 'add', 'acme', '--label', 'work'], `${KEY}\n`)).code).toBe(0);
    const manifestFile = join(home.dir, 'report-skill.json');
    await writeFile(manifestFile, JSON.stringify({ id: 'reporter', name: 'Weekly reporter', credentials: [{ ref: 'acme:work', methods: ['GET'], paths: ['/reports'] }] }));

    const added = await cli(['skills', 'add', manifestFile, '--json']);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ id: 'reporter', status: 'pending', grants: [{ ref: 'acme:work', methods: ['GET'], paths: ['/reports'] }] });

    const early = await cli(['broker', 'mint', '--skill', 'reporter', '--tool', 'weekly']);
    expect(early.code).toBe(1);
    expect(early.stderr.trim().split('\n')).toHaveLength(1);
    expect(early.stderr).toMatch(/^sophon: .*not approved — .*sophon skills approve reporter/);

    const approved = await cli(['skills', 'approve', 'reporter']);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(/approved skill reporter; it may use:\n {2}acme:work: GET; \/reports/);

    const noOwner = await cli(['broker', 'mint', '--skill', 'reporter', '--tool', 'weekly']);
    expect(noOwner.code).toBe(1);
    expect(noOwner.stderr).toMatch(/^sophon: no broker proxy is running.*start `sophon serve`/);

    const serve = startCli(['serve'], { env, ready: /listening on/ });
    await serve.ready;
    try {
      const proxy = /broker proxy on (http:\/\/127\.0\.0\.1:\d+)\/proxy/.exec(serve.output().stderr)?.[1];
      expect(proxy).toBeDefined();

      const minted = await cli(['broker', 'mint', '--skill', 'reporter', '--tool', 'weekly', '--connection', 'acme:work', '--ttl', '60']);
      expect(minted.code).toBe(0);
      const token = minted.stdout.trim();
      expect(token).toMatch(/^sbt_[A-Za-z0-9_-]{43}$/);
      expect(minted.stderr).toMatch(/token btk_[a-f0-9]{16} for reporter\/weekly, expires in 60s/);

      const ok = await fetch(`${proxy}/proxy/acme:work/reports/weekly?week=12`, { headers: { authorization: `Bearer ${token}` } });
      const okBody = await ok.text();
      outputs.push(okBody);
      expect(ok.status).toBe(200);
      expect(JSON.parse(okBody)).toEqual({ ok: true, youSent: 'Bearer [REDACTED]', path: '/api/reports/weekly?week=12' });
      expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);

      const denied = await fetch(`${proxy}/proxy/acme:work/admin`, { headers: { authorization: `Bearer ${token}` } });
      outputs.push(await denied.text());
      expect(denied.status).toBe(403);

      const json = await cli(['broker', 'mint', '--skill', 'reporter', '--tool', 'other', '--json']);
      const second = JSON.parse(json.stdout) as { id: string; token: string; proxyUrl: string; connections: Array<{ service: string; label: string }> };
      expect(second.proxyUrl).toBe(`${proxy}/proxy`);
      expect(second.connections).toEqual([expect.objectContaining({ service: 'acme', label: 'work' })]);

      const tooLong = await cli(['broker', 'mint', '--skill', 'reporter', '--tool', 'x', '--ttl', '999']);
      expect(tooLong.code).toBe(1);
      expect(tooLong.stderr).toMatch(/above the ceiling of 120 s/);

      const status = JSON.parse((await cli(['broker', 'status', '--json'])).stdout) as { running: boolean; live: Array<{ id: string }> };
      expect(status.running).toBe(true);
      expect(status.live.map((t) => t.id)).toContain(second.id);

      expect((await cli(['broker', 'revoke', second.token])).stdout).toMatch(new RegExp(`revoked ${second.id}`));
      const killed = await cli(['broker', 'revoke', '--all', '--json']);
      expect(JSON.parse(killed.stdout)).toEqual({ revoked: 1 });
      const after = await fetch(`${proxy}/proxy/acme:work/reports/weekly`, { headers: { authorization: `Bearer ${token}` } });
      outputs.push(await after.text());
      expect(after.status).toBe(401);

      const audit = await cli(['audit', '--skill', 'reporter', '--since', '1h', '--json']);
      const entries = (JSON.parse(audit.stdout) as { entries: Array<{ actor: string; action: string; outcome?: string; detail?: Record<string, unknown> }> }).entries;
      const calls = entries.filter((e) => e.action === 'broker.call');
      // The call with the revoked token cannot be tied to a skill any more: it is audited without one.
      expect(calls.map((c) => [c.outcome, c.detail?.['status'], c.detail?.['path']])).toEqual([
        ['denied', 403, '/api/admin'],
        ['ok', 200, '/api/reports/weekly'],
      ]);
      expect(calls[1]?.detail).toMatchObject({ method: 'GET', host: `127.0.0.1:${new URL(upstream.url).port}` });
      expect(entries.filter((e) => e.action === 'broker.mint' && e.outcome === 'ok')).toHaveLength(2);
      const text = await cli(['audit', '--skill', 'reporter', '--since', '1h']);
      expect(text.stdout).toMatch(/skill:reporter\/weekly {2}broker\.call {2}acme-[a-f0-9]+ .*status=200/);

      const list = JSON.parse((await cli(['skills', 'list', '--json'])).stdout) as Array<{ id: string; status: string }>;
      expect(list).toEqual([expect.objectContaining({ id: 'reporter', status: 'approved' })]);
    } finally {
      expect(await serve.stop('SIGTERM')).toBe(0);
      outputs.push(serve.output().stdout, serve.output().stderr);
    }
    expect((await cli(['audit', 'verify', '--json'])).code).toBe(0);
  });

  it('left the planted credential nowhere: CLI output, serve logs, responses, audit trail, skills, run/', async () => {
    const all = outputs.join('\n');
    expect(all.length).toBeGreaterThan(500);
    expect(all).not.toContain(KEY);
    expect(all).not.toContain('CANARY');
    for (const dir of ['audit', 'skills', 'run', 'config']) {
      for (const name of await readdir(join(home.dir, dir))) {
        const bytes = await readFile(join(home.dir, dir, name));
        expect(bytes.includes(Buffer.from('CANARY')), `${dir}/${name}`).toBe(false);
      }
    }
    const trail = await readFile(join(home.dir, 'audit', 'audit.jsonl'), 'utf8');
    expect(trail).not.toMatch(/sbt_[A-Za-z0-9_-]{43}/);
    expect(trail).not.toMatch(/srk_[A-Za-z0-9_-]{43}/);
  });
});
