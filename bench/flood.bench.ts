// Issue 11: `sophon serve --dashboard` under the floods a local user can start.
// 1. 20,000 idle connections to the broker port (two flooder processes, each re-opening what
//    is closed): the owner's file descriptors, and whether the CLI, a vault write and
//    proxied calls still work meanwhile, with their times.
// 2. One signed-in dashboard tab sending 20,000 calls without waiting: serve's RSS before,
//    at its peak (VmHWM) and after, and how long until every call was answered.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

const BIN = fileURLToPath(new URL('../bin/sophon.js', import.meta.url));
const FLOODER = fileURLToPath(new URL('../test/fixtures/flooder.mjs', import.meta.url));
const FLOOD = 20_000;
const CALLS = 20_000;
const KEY = 'acme-live-bench-0123456789abcdef';
const children: ChildProcess[] = [];

function cli(args: readonly string[], env: NodeJS.ProcessEnv, input = ''): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env['PATH'], ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: Math.round(performance.now() - t0) }));
    child.stdin.end(input);
  });
}

async function status(pid: number): Promise<{ rssMiB: number; hwmMiB: number; fds: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
  return { rssMiB: Math.round(kib('VmRSS') / 1024), hwmMiB: Math.round(kib('VmHWM') / 1024), fds: (await readdir(`/proc/${pid}/fd`)).length };
}

function startServe(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; proxy: string; login: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--dashboard'], { env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 300_000);
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const proxy = /broker proxy on (http:\/\/127\.0\.0\.1:\d+)\/proxy/.exec(stderr)?.[1];
      const login = /dashboard at (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(stderr)?.[1];
      if (proxy && login) {
        clearTimeout(timer);
        resolve({ child, proxy, login });
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
}

function flooder(port: number, count: number): Promise<{ child: ChildProcess; open: () => number }> {
  const child = spawn(process.execPath, [FLOODER, String(port), String(count), '1000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let open = 0;
  return new Promise((resolve) => {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      const lines = d.trim().split('\n');
      const match = /open (\d+) closed (\d+) started (\d+)/.exec(lines.at(-1) ?? '');
      if (!match) return;
      open = Number(match[1]);
      if (Number(match[3]) >= count) resolve({ child, open: () => open });
    });
  });
}

function login(url: string): Promise<string> {
  const parsed = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: parsed.hostname, port: parsed.port, path: `${parsed.pathname}${parsed.search}` }, (res) => {
      res.resume();
      resolve(String(res.headers['set-cookie']).split(';')[0] as string);
    });
    req.on('error', reject);
    req.end();
  });
}

async function proxiedCalls(proxy: string, token: string, n: number): Promise<{ ok: number; ms: number }> {
  let ok = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const response = await fetch(`${proxy}/proxy/acme:work/items`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
    if (response?.status === 200) ok++;
    await response?.text().catch(() => undefined);
  }
  return { ok, ms: Math.round((performance.now() - t0) / n) };
}

export async function run(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'sophon-bench-flood-'));
  const env = { SOPHON_HOME: home, SOPHON_VAULT_PASSPHRASE: 'a long bench passphrase', HOME: home };
  const { createServer } = await import('node:http');
  const upstream = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  const upstreamPort = (upstream.address() as { port: number }).port;
  try {
    await mkdir(join(home, 'connectors'), { recursive: true });
    await mkdir(join(home, 'config'), { recursive: true });
    await writeFile(join(home, 'connectors', 'acme.json'), JSON.stringify({ id: 'acme', name: 'Acme', category: 'other', auth: [{ type: 'api_key' }], api: { baseUrl: `http://127.0.0.1:${upstreamPort}/api` } }));
    await cli(['connect', 'add', 'acme', '--label', 'work'], env, KEY);
    await writeFile(join(home, 'skill.json'), JSON.stringify({ id: 'bench', name: 'Bench', credentials: ['acme:work'] }));
    await cli(['skills', 'add', join(home, 'skill.json')], env);
    await cli(['skills', 'approve', 'bench'], env);
    const serve = await startServe(env);
    const pid = serve.child.pid as number;
    const token = (await cli(['broker', 'mint', '--skill', 'bench', '--tool', 'flood', '--ttl', '900'], env)).stdout.trim();

    const idle = await status(pid);
    const quiet = { list: await cli(['connect', 'list', '--json'], env), calls: await proxiedCalls(serve.proxy, token, 20) };
    console.log(`fd limit of this machine: ${(await readFile('/proc/self/limits', 'utf8')).match(/Max open files\s+(\d+)/)?.[1]}; Sophon.Broker.MaxConnections: 1024 (default)`);
    console.log(`before the flood: serve ${idle.rssMiB} MiB RSS, ${idle.fds} fds; \`connect list\` ${quiet.list.ms} ms; proxied call ${quiet.calls.ms} ms (${quiet.calls.ok}/20 ok)`);

    const port = Number(new URL(serve.proxy).port);
    const floods = await Promise.all([flooder(port, FLOOD / 2), flooder(port, FLOOD / 2)]);
    await new Promise((r) => setTimeout(r, 5000));
    const during = await status(pid);
    const list = await cli(['connect', 'list', '--json'], env);
    const add = await cli(['connect', 'add', 'acme', '--label', 'during-flood'], env, KEY);
    const calls = await proxiedCalls(serve.proxy, token, 20);
    const held = floods.reduce((n, f) => n + f.open(), 0);
    console.log(
      `during ${FLOOD} idle connections (the flooders hold ${held} open at this moment, the rest are shed or queued): serve ${during.rssMiB} MiB RSS, ${during.fds} fds; ` +
        `\`connect list\` exit ${list.code} in ${list.ms} ms; \`connect add\` exit ${add.code} in ${add.ms} ms; proxied calls ${calls.ok}/20 ok, ${calls.ms} ms each`,
    );
    for (const f of floods) f.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 2000));

    const cookie = await login(serve.login);
    const origin = new URL(serve.login).origin;
    const before = await status(pid);
    const ws = new WebSocket(`${origin.replace('http', 'ws')}/api`, { headers: { cookie, origin } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    let answered = 0;
    let peak = before.rssMiB;
    const sampler = setInterval(() => void status(pid).then((s) => (peak = Math.max(peak, s.rssMiB))), 50);
    const t0 = performance.now();
    const all = new Promise<void>((resolve) => {
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { id?: number; result?: unknown };
        if (message.result !== undefined && ++answered === CALLS) resolve();
      });
    });
    for (let id = 1; id <= CALLS; id++) ws.send(JSON.stringify({ id, method: 'connections.list', params: {} }));
    await all;
    const ms = Math.round(performance.now() - t0);
    clearInterval(sampler);
    ws.close();
    await new Promise((r) => setTimeout(r, 1000));
    const after = await status(pid);
    console.log(`dashboard tab, ${CALLS} calls without waiting: serve ${before.rssMiB} MiB RSS before, peak ${peak} MiB (sampled every 50 ms; VmHWM ${after.hwmMiB} MiB over the whole run), ${after.rssMiB} MiB after; all answered in ${ms} ms`);
    serve.child.kill('SIGTERM');
    await new Promise((r) => serve.child.once('exit', r));
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    upstream.close();
    await rm(home, { recursive: true, force: true });
  }
}
