import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, startCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { startUpstream } from '../helpers/http-upstream.ts';

const KEY = 'acme-live-CANARY-curl-0123456789abcdef';
const README = fileURLToPath(new URL('../../README.md', import.meta.url));
let home: TempHome;
let env: NodeJS.ProcessEnv;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let serve: ReturnType<typeof startCli>;
let argvLog: string;

/** Runs a command line in bash as a person would paste it, with curl recording its argv on the way. */
function bash(command: string, extra: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', command], { env: { ...env, PATH: `${join(home.dir, 'bin')}:${process.env['PATH']}`, ...extra } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  home = await tempHome('sophon-broker-curl-');
  env = { SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'a long test passphrase', HOME: home.dir };
  upstream = await startUpstream((req, res) => {
    const ok = req.headers.authorization === `Bearer ${KEY}`;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ ok, path: req.url }));
  });
  await mkdir(join(home.dir, 'connectors'), { recursive: true });
  await mkdir(join(home.dir, 'config'), { recursive: true });
  await writeFile(join(home.dir, 'connectors', 'acme.json'), JSON.stringify({ id: 'acme', name: 'Acme', category: 'other', auth: [{ type: 'api_key' }], api: { baseUrl: `${upstream.url}/api` } }));
  await writeFile(join(home.dir, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Broker: { Port: 0 } } }));
  expect((await runCli(['connect', 'add', 'acme', '--label', 'work'], { env, input: KEY })).code).toBe(0);
  await writeFile(join(home.dir, 'skill.json'), JSON.stringify({ id: 'mail-triage', name: 'Reports', credentials: [{ ref: 'acme:work', methods: ['GET'], paths: ['/reports'] }] }));
  expect((await runCli(['skills', 'add', join(home.dir, 'skill.json')], { env })).code).toBe(0);
  expect((await runCli(['skills', 'approve', 'mail-triage'], { env })).code).toBe(0);
  // `curl` as found on PATH: records its arguments, then runs the real one.
  argvLog = join(home.dir, 'curl-argv.log');
  await mkdir(join(home.dir, 'bin'));
  await writeFile(join(home.dir, 'bin', 'curl'), `#!/bin/sh\nprintf '%s\\n' "$@" >> '${argvLog}'\nexec /usr/bin/curl "$@"\n`);
  await chmod(join(home.dir, 'bin', 'curl'), 0o755);
  serve = startCli(['serve'], { env, ready: /listening on/ });
  await serve.ready;
});
afterAll(async () => {
  await serve?.stop();
  await upstream?.dispose();
  await home?.dispose();
});

describe('curl forms that keep secrets off the command line', () => {
  it('`broker status` prints them, and they work as printed: mint with the runtime key, then call with the token', async () => {
    const status = await runCli(['broker', 'status', '--json'], { env });
    const { curl, proxyUrl } = JSON.parse(status.stdout) as { curl: { mint: string; call: string }; proxyUrl: string };
    const text = await runCli(['broker', 'status'], { env });
    expect(text.stdout).toContain(curl.mint);
    expect(text.stdout).toContain(curl.call);

    const minted = await bash(curl.mint.replace('SKILL', 'mail-triage').replace('TOOL', 'weekly'));
    expect(minted.code, minted.stderr).toBe(0);
    const { token } = JSON.parse(minted.stdout) as { token: string };
    expect(token).toMatch(/^sbt_/);
    const called = await bash(curl.call.replace('CONNECTION/PATH', 'acme:work/reports/weekly'), { TOKEN: token });
    expect(called.code, called.stderr).toBe(0);
    expect(JSON.parse(called.stdout)).toEqual({ ok: true, path: '/api/reports/weekly' });
    expect(proxyUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/proxy$/);

    const argv = await readFile(argvLog, 'utf8');
    const runtimeKey = (await readFile(join(home.dir, 'run', 'runtime.key'), 'utf8')).trim();
    expect(argv).toContain('@-');
    expect(argv).not.toContain(runtimeKey);
    expect(argv).not.toContain(token);
  });

  it('the README shows no secret in a command line, and its mint example runs as written', async () => {
    const readme = await readFile(README, 'utf8');
    const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    const curlLines = blocks.flatMap((b) => b.split('\n')).filter((l) => /\bcurl\b/.test(l));
    expect(curlLines.length).toBeGreaterThan(0);
    for (const line of curlLines) {
      // What curl itself is given (its argv): no header with a secret, no token or key.
      const args = line.slice(line.search(/\bcurl\b/));
      expect(args, line).not.toMatch(/-H\s*["']?Authorization/i);
      expect(args, line).not.toMatch(/\$TOKEN|runtime\.key|\$\(cat|Bearer/);
    }
    const mint = blocks.find((b) => b.includes('/broker/mint')) as string;
    const port = new URL(JSON.parse((await runCli(['broker', 'status', '--json'], { env })).stdout).proxyUrl).port;
    const script = mint.replace(/~\/\.sophon/g, home.dir).replace(/PORT/g, port).replace('"connection": "gmail:work", ', '');
    const before = (await readFile(argvLog, 'utf8').catch(() => '')).length;
    const ran = await bash(script);
    expect(ran.code, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ skill: 'mail-triage', tool: 'summarise' });
    const runtimeKey = (await readFile(join(home.dir, 'run', 'runtime.key'), 'utf8')).trim();
    expect((await readFile(argvLog, 'utf8')).slice(before)).not.toContain(runtimeKey);
  });
});
