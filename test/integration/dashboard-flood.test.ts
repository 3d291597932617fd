import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEFAULT_LIMITS } from '../../main/core/index.ts';
import { MAX_CALLS_PER_TAB, startDashboard, type Dashboard, type DashboardDispatcher } from '../../main/headless/dashboard.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

const flooderScript = fileURLToPath(new URL('../fixtures/flooder.mjs', import.meta.url));
let home: TempHome;
const dashboards: Dashboard[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  for (const dashboard of dashboards) await dashboard.dispose();
  await home?.dispose();
});

async function rendererDir(): Promise<string> {
  home ??= await tempHome();
  const dist = join(home.dir, 'dist');
  await mkdir(dist, { recursive: true });
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>Sophon</title>');
  return dist;
}

/** A signed-in tab: the one-time login URL traded for the cookie, then the WebSocket with our Origin. */
async function signedInTab(dashboard: Dashboard): Promise<WebSocket> {
  const url = new URL(dashboard.loginUrl);
  const cookie = await login(dashboard.port, `${url.pathname}${url.search}`);
  const ws = new WebSocket(`ws://127.0.0.1:${dashboard.port}/api`, { headers: { cookie, origin: dashboard.origin } });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

/** A dispatcher (the port the dashboard takes) whose calls take a while, counting how many run at once. */
function slowDispatcher() {
  const stats = { running: 0, most: 0, calls: 0 };
  const dispatcher: DashboardDispatcher = {
    subscribe: () => () => undefined,
    call: async (method) => {
      stats.calls++;
      stats.running++;
      stats.most = Math.max(stats.most, stats.running);
      await new Promise((r) => setTimeout(r, 2));
      stats.running--;
      return { ok: true, data: { method, padding: 'x'.repeat(200) } } as never;
    },
  };
  return { dispatcher, stats };
}

function login(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}` } }, (res) => {
      res.resume();
      resolve(String(res.headers['set-cookie']).split(';')[0] as string);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('one dashboard tab flooding the owner with calls', () => {
  it(`20,000 calls sent without waiting: at most ${MAX_CALLS_PER_TAB} run at once, and every one is answered, and none is lost`, async () => {
    const { dispatcher, stats } = slowDispatcher();
    const dashboard = await startDashboard({ dispatcher, rendererDir: await rendererDir() });
    dashboards.push(dashboard);
    const ws = await signedInTab(dashboard);
    const total = 20_000;
    const answered: number[] = [];
    const all = new Promise<void>((resolve) => {
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { id?: number; result?: { ok: boolean } };
        if (message.result?.ok && message.id !== undefined) answered.push(message.id);
        if (answered.length === total) resolve();
      });
    });
    for (let id = 1; id <= total; id++) ws.send(JSON.stringify({ id, method: 'connections.list', params: {} }));
    await all;
    ws.close();
    expect(stats.calls).toBe(total);
    expect(stats.most).toBeLessThanOrEqual(MAX_CALLS_PER_TAB);
    expect(new Set(answered).size).toBe(total);
  }, 120_000);
});

describe('a flood of idle connections to the dashboard port', () => {
  const FLOOD = DEFAULT_LIMITS.maxConnections + 300;

  it(`${FLOOD} idle connections (the cap is ${DEFAULT_LIMITS.maxConnections}): they are shed, the open signed-in tab is not and still answers`, async () => {
    const { dispatcher } = slowDispatcher();
    const dashboard = await startDashboard({ dispatcher, rendererDir: await rendererDir() });
    dashboards.push(dashboard);
    // The tab opens first, so it is the oldest connection: the first one shedding would pick.
    const ws = await signedInTab(dashboard);
    let tabClosed = false;
    ws.once('close', () => (tabClosed = true));

    // Unauthenticated sockets, half silent and half stuck in a request head, reopened whenever one is closed.
    const flooder = spawn(process.execPath, [flooderScript, String(dashboard.port), String(FLOOD)], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(flooder);
    await new Promise<void>((resolve) => {
      flooder.stdout?.setEncoding('utf8').on('data', (d: string) => {
        const match = /open (\d+) closed (\d+) started (\d+)\s*$/.exec(d.trim());
        // Every connection started, and hundreds shed to make room: the cap was reached many times over.
        if (match && Number(match[3]) >= FLOOD && Number(match[2]) >= 300) resolve();
      });
    });

    const answer = new Promise<{ id?: number; result?: { ok: boolean } }>((resolve) => {
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { id?: number; result?: { ok: boolean } };
        if (message.id === 1) resolve(message);
      });
    });
    expect(tabClosed).toBe(false);
    ws.send(JSON.stringify({ id: 1, method: 'connections.list', params: {} }));
    expect((await answer).result?.ok).toBe(true);
    flooder.kill('SIGTERM');
    ws.close();
  }, 120_000);
});
