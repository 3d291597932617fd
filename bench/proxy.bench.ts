// Issue 6: requests/s and p50/p99 latency at 50 connections, all on loopback with one load
// generator (wrk): direct to a small upstream, through the Sophon broker proxy (`sophon
// serve`, the real product path: token check, credential attach, redaction, audit line per
// call), through nginx doing the same header swap, and through a bare Node forwarder
// (node:http + undici, the broker's stack, header swap only: the floor for one Node event
// loop, so the proxy's own cost can be told from the platform's). Every server is its own
// process; nginx runs one worker, like the proxy's one event loop.
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEY, Processes, ROOT, SOPHON, TSX_RUN, benchHome, exec, waitFor } from './processes.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 3);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 50);

interface Figures {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  /** CPU time (user + system) the server process spent per request. */
  readonly cpuUs?: number;
}

/** user + system clock ticks of a process (Linux). */
async function cpuTicks(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

interface Target {
  readonly name: string;
  readonly url: string;
  readonly auth: string;
  readonly pid: number;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function toMs(value: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!match) return Number.NaN;
  const n = Number(match[1]);
  return match[2] === 'us' ? n / 1000 : match[2] === 's' ? n * 1000 : n;
}

async function wrk(url: string, authorization: string, seconds: number, script?: string): Promise<Figures> {
  const result = await exec('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', ...(script ? ['-s', script] : []), '-H', `Authorization: ${authorization}`, url]);
  if (result.code !== 0) throw new Error(`wrk failed: ${result.stderr}`);
  const out = result.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = toMs(/\n\s+50%\s+(\S+)/.exec(out)?.[1] ?? '');
  const p99 = toMs(/\n\s+99%\s+(\S+)/.exec(out)?.[1] ?? '');
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { rps, p50, p99, errors };
}

const TICK_US = 10_000; // USER_HZ = 100 on Linux

/** Saturation: as many requests as 50 connections get through, and the server's CPU per request. */
async function measure(name: string, url: string, authorization: string, serverPid: number): Promise<Figures> {
  const check = await fetch(url, { headers: { authorization } });
  const body = await check.text();
  if (check.status !== 200) throw new Error(`${name}: ${url} answered ${check.status}: ${body}`);
  if (name === 'proxy' && body.includes(KEY)) throw new Error('the proxy leaked the key');
  await wrk(url, authorization, WARMUP);
  const before = await cpuTicks(serverPid);
  const figures = await wrk(url, authorization, SECONDS);
  const ticks = (await cpuTicks(serverPid)) - before;
  return { ...figures, cpuUs: (ticks * TICK_US) / (figures.rps * SECONDS) };
}

function nginxConfig(dir: string, port: number, upstreamPort: number): string {
  return `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream backend { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location /proxy/bench/ {
      proxy_pass http://backend/api/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host 127.0.0.1:${upstreamPort};
      proxy_set_header Authorization "Bearer ${KEY}";
      proxy_set_header Cookie "";
    }
  }
}
`;
}

export async function run(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'sophon-bench-proxy-'));
  const tsxRun = TSX_RUN;
  const sophon = SOPHON;
  const processes = new Processes();
  const start = processes.start.bind(processes);
  try {
    const upstream = start(process.execPath, [tsxRun, join(ROOT, 'bench', 'proxy', 'upstream.ts')], { BENCH_KEY: KEY });
    const upstreamPort = Number((await waitFor(upstream, 'stdout', /(\d+)\n/, 'upstream'))[1]);
    const env = await benchHome(home, upstreamPort, KEY, { Port: 0, MaxTtlSeconds: 3600 });
    const nginxDir = join(home, 'nginx');
    await mkdir(nginxDir);
    const nginxPort = await freePort();
    await writeFile(join(nginxDir, 'nginx.conf'), nginxConfig(nginxDir, nginxPort, upstreamPort));
    const nginxMaster = start('nginx', ['-p', nginxDir, '-e', join(nginxDir, 'error.log'), '-c', join(nginxDir, 'nginx.conf')]);
    for (let i = 0; i < 50; i++) {
      if (await fetch(`http://127.0.0.1:${nginxPort}/proxy/bench/items`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const nginxWorker = Number((await readFile(`/proc/${nginxMaster.pid}/task/${nginxMaster.pid}/children`, 'utf8')).trim().split(/\s+/)[0]);
    const upstreamPid = upstream.pid!;
    // The two Node servers start just before they are measured: here a Node process that
    // sat idle for a while (V8's memory reducer ran) spends 10-25% more CPU per request for
    // the next ~20 s, which would tax whichever came last rather than what it does.
    const startBare = async (): Promise<Target> => {
      const bare = start(process.execPath, [tsxRun, join(ROOT, 'bench', 'proxy', 'bare-proxy.ts')], { BENCH_KEY: KEY, BENCH_UPSTREAM: `http://127.0.0.1:${upstreamPort}` });
      const barePort = Number((await waitFor(bare, 'stdout', /(\d+)\n/, 'bare Node forwarder'))[1]);
      return { name: 'node', url: `http://127.0.0.1:${barePort}/proxy/bench/items`, auth: 'Bearer placeholder', pid: bare.pid! };
    };
    const startProxy = async (): Promise<Target> => {
      // BENCH_PROF_DIR=dir writes a CPU profile of `sophon serve` there (open it in Chrome DevTools).
      const prof = process.env['BENCH_PROF_DIR'] ? ['--cpu-prof', '--cpu-prof-dir', process.env['BENCH_PROF_DIR']] : [];
      const serve = start(process.execPath, [...prof, sophon, 'serve'], env);
      const proxyUrl = (await waitFor(serve, 'stderr', /broker proxy on (http:\/\/127\.0\.0\.1:\d+)\/proxy/, 'sophon serve'))[1]!;
      const runtimeKey = (await readFile(join(env.SOPHON_HOME, 'run', 'runtime.key'), 'utf8')).trim();
      const minted = await fetch(`${proxyUrl}/broker/mint`, { method: 'POST', headers: { authorization: `Bearer ${runtimeKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ skill: 'bench', tool: 'load', ttlSeconds: 3600 }) });
      const { token } = (await minted.json()) as { token: string };
      return { name: 'proxy', url: `${proxyUrl}/proxy/bench/items`, auth: `Bearer ${token}`, pid: serve.pid! };
    };
    const plan: Array<() => Promise<Target>> = [
      async () => ({ name: 'direct', url: `http://127.0.0.1:${upstreamPort}/api/items`, auth: `Bearer ${KEY}`, pid: upstreamPid }),
      async () => ({ name: 'nginx', url: `http://127.0.0.1:${nginxPort}/proxy/bench/items`, auth: 'Bearer placeholder', pid: nginxWorker }),
      startBare,
      startProxy,
    ];
    console.log(`${(await import('node:os')).cpus().length} cores, small JSON upstream; wrk -t1 -c${CONNECTIONS} -d${SECONDS}s after ${WARMUP}s warm-up; nginx 1 worker, proxy 1 event loop`);
    console.log('node = a bare Node forwarder (node:http + undici, header swap only): the floor for one event loop');
    // Paced: each connection waits 50 ms between requests (about 1,000 req/s in all), so
    // latency shows what a hop adds rather than how long requests queue for a busy CPU.
    const pacing = join(home, 'paced.lua');
    await writeFile(pacing, 'function delay()\n  return 50\nend\n');
    const targets: Target[] = [];
    const saturated: Record<string, Figures> = {};
    const paced: Record<string, Figures> = {};
    for (const next of plan) {
      const t = await next();
      targets.push(t);
      saturated[t.name] = await measure(t.name, t.url, t.auth, t.pid);
      paced[t.name] = await wrk(t.url, t.auth, Math.max(5, Math.round(SECONDS / 2)), pacing);
    }

    const ms = (n: number) => `${n.toFixed(2).padStart(6)} ms`;
    console.log('\nat saturation (50 connections, as fast as they go):');
    for (const t of targets) {
      const f = saturated[t.name]!;
      console.log(`  ${t.name.padEnd(7)} ${f.rps.toFixed(0).padStart(7)} req/s   p50 ${ms(f.p50)}   p99 ${ms(f.p99)}   server CPU ${f.cpuUs!.toFixed(1).padStart(6)} µs/req${f.errors ? `   errors ${f.errors}` : ''}`);
    }
    console.log('paced (50 connections, ~1,000 req/s):');
    for (const t of targets) {
      const f = paced[t.name]!;
      console.log(`  ${t.name.padEnd(7)} ${f.rps.toFixed(0).padStart(7)} req/s   p50 ${ms(f.p50)}   p99 ${ms(f.p99)}${f.errors ? `   errors ${f.errors}` : ''}`);
    }
    const direct = saturated['direct']!;
    const nginx = saturated['nginx']!;
    const proxy = saturated['proxy']!;
    const ratio = proxy.rps / nginx.rps;
    const added = proxy.p99 - direct.p99;
    const pacedAdded = paced['proxy']!.p99 - paced['direct']!.p99;
    console.log(`\nproxy / nginx requests/s: ${ratio.toFixed(2)}x (target >= 1.00x) ${ratio >= 1 ? 'met' : 'MISSED'}`);
    console.log(`proxy p99 added over direct at saturation: ${added.toFixed(2)} ms (target <= 1 ms) ${added <= 1 ? 'met' : 'MISSED'}; nginx adds ${(nginx.p99 - direct.p99).toFixed(2)} ms`);
    console.log(`proxy p99 added over direct, paced: ${pacedAdded.toFixed(2)} ms (target <= 1 ms) ${pacedAdded <= 1 ? 'met' : 'MISSED'}; nginx adds ${(paced['nginx']!.p99 - paced['direct']!.p99).toFixed(2)} ms`);
    const node = saturated['node']!;
    console.log(`server CPU per request, proxy / nginx: ${(proxy.cpuUs! / nginx.cpuUs!).toFixed(1)}x; bare Node / nginx: ${(node.cpuUs! / nginx.cpuUs!).toFixed(1)}x`);
    console.log(
      `the broker's own work (token, path and grant checks, header rules, redaction, audit line) costs ${(proxy.cpuUs! - node.cpuUs!).toFixed(1)} µs/req over the bare Node forwarder; ` +
        `proxy reaches ${((proxy.rps / node.rps) * 100).toFixed(0)}% of its req/s, which itself is ${(node.rps / nginx.rps).toFixed(2)}x nginx's`,
    );
  } finally {
    await processes.stopAll();
    await rm(home, { recursive: true, force: true });
  }
}
