import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, runCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { startUpstream } from '../helpers/http-upstream.ts';

/**
 * A local user holds thousands of idle connections to the broker port. Scaled to this
 * machine: the owner runs with 2,048 file descriptors and the flood is 3,000 connections
 * (`npm run bench -- flood` does 20,000 against the real limit).
 */
const FD_LIMIT = 2048;
const FLOOD = 3000;
const KEY = 'acme-live-CANARY-flood-0123456789abcdef';
const flooderScript = fileURLToPath(new URL('../fixtures/flooder.mjs', import.meta.url));
let home: TempHome;
let env: NodeJS.ProcessEnv;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await upstream?.dispose();
  await home?.dispose();
});

beforeAll(async () => {
  home = await tempHome('sophon-flood-');
  env = { SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'a long test passphrase', HOME: home.dir };
  upstream = await startUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  await mkdir(join(home.dir, 'connectors'), { recursive: true });
  await mkdir(join(home.dir, 'config'), { recursive: true });
  await writeFile(join(home.dir, 'connectors', 'acme.json'), JSON.stringify({ id: 'acme', name: 'Acme', category: 'other', auth: [{ type: 'api_key' }], api: { baseUrl: `${upstream.url}/api` } }));
  expect((await runCli(['connect', 'add', 'acme', '--label', 'work'], { env, input: KEY })).code).toBe(0);
  await writeFile(join(home.dir, 'skill.json'), JSON.stringify({ id: 'flood', name: 'Flood', credentials: ['acme:work'] }));
  expect((await runCli(['skills', 'add', join(home.dir, 'skill.json')], { env })).code).toBe(0);
  expect((await runCli(['skills', 'approve', 'flood'], { env })).code).toBe(0);
});

function startServe(): Promise<{ child: ChildProcess; proxy: string; stderr: () => string }> {
  // `ulimit -n` as a person's shell would set it; the owner inherits it.
  const child = spawn('sh', ['-c', `ulimit -n ${FD_LIMIT} && exec "${process.execPath}" "${BIN}" serve`], { env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const proxy = /broker proxy on (http:\/\/127\.0\.0\.1:\d+)\/proxy/.exec(stderr)?.[1];
      if (proxy && /listening on/.test(stderr)) resolve({ child, proxy, stderr: () => stderr });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

function flood(port: number): Promise<{ child: ChildProcess; open: () => number }> {
  const child = spawn(process.execPath, [flooderScript, String(port), String(FLOOD)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let last = { open: 0, started: 0 };
  return new Promise((resolve) => {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      const match = /open (\d+) closed (\d+) started (\d+)\s*$/.exec(d.trim());
      if (match) last = { open: Number(match[1]), started: Number(match[3]) };
      if (last.started >= FLOOD) resolve({ child, open: () => last.open });
    });
  });
}

describe('the owner under a flood of idle connections to the broker port', () => {
  it(`with ${FLOOD} connections held open (fd limit ${FD_LIMIT}): the CLI, vault writes and proxied calls keep working`, async () => {
    const serve = await startServe();
    const port = Number(new URL(serve.proxy).port);
    const { child: flooder } = await flood(port);
    try {
      // Let the flood fill up what it can.
      await new Promise((r) => setTimeout(r, 3000));
      const fds = (await readdir(`/proc/${serve.child.pid}/fd`)).length;
      expect(fds).toBeLessThan(FD_LIMIT - 200);

      const list = await runCli(['connect', 'list', '--json'], { env, timeoutMs: 60_000 });
      expect(list.code, list.stderr).toBe(0);
      const add = await runCli(['connect', 'add', 'acme', '--label', 'during-flood'], { env, input: KEY, timeoutMs: 60_000 });
      expect(add.code, add.stderr).toBe(0);

      const minted = await runCli(['broker', 'mint', '--skill', 'flood', '--tool', 't', '--connection', 'acme:work'], { env, timeoutMs: 60_000 });
      expect(minted.code, minted.stderr).toBe(0);
      const token = minted.stdout.trim();
      let ok = 0;
      for (let i = 0; i < 5; i++) {
        const response = await fetch(`${serve.proxy}/proxy/acme:work/items`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
        if (response?.status === 200) ok++;
        await response?.text();
      }
      expect(ok).toBeGreaterThanOrEqual(4);
      expect((await readdir(`/proc/${serve.child.pid}/fd`)).length).toBeLessThan(FD_LIMIT - 200);
    } finally {
      flooder.kill('SIGTERM');
      serve.child.kill('SIGTERM');
      await new Promise((r) => serve.child.once('exit', r));
    }
    expect(serve.stderr()).not.toMatch(/EMFILE/);
  }, 180_000);
});
