import { request } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_CALLS_PER_TAB, startDashboard, type Dashboard, type DashboardDispatcher } from '../../main/headless/dashboard.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

let home: TempHome;
let dashboard: Dashboard;
afterAll(async () => {
  await dashboard?.dispose();
  await home?.dispose();
});

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
    home = await tempHome();
    const dist = join(home.dir, 'dist');
    await mkdir(dist, { recursive: true });
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>Sophon</title>');
    const { dispatcher, stats } = slowDispatcher();
    dashboard = await startDashboard({ dispatcher, rendererDir: dist });
    const url = new URL(dashboard.loginUrl);
    const cookie = await login(dashboard.port, `${url.pathname}${url.search}`);
    const ws = new WebSocket(`ws://127.0.0.1:${dashboard.port}/api`, { headers: { cookie, origin: dashboard.origin } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
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
