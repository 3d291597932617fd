import { request } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openHostApi, type HostApi } from '../../main/api/host.ts';
import { startDashboard, type Dashboard } from '../../main/headless/dashboard.ts';
import { fastPassphrase } from '../helpers/protectors.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens the WebSocket and reports how the upgrade went (the HTTP status when refused). */
function upgrade(port: number, headers: Record<string, string>, host = `127.0.0.1:${port}`): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, { headers: { host, ...headers } });
    ws.on('open', () => resolve({ status: 101, ws }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
    });
    ws.on('error', () => resolve({ status: -1 }));
  });
}

describe('dashboard server', () => {
  let home: TempHome;
  let host: HostApi;
  let dashboard: Dashboard;
  let cookie = '';

  beforeAll(async () => {
    home = await tempHome();
    host = await openHostApi({ home: home.dir, ownerName: 'test', protectors: fastPassphrase() });
    const dist = join(home.dir, 'dist');
    await mkdir(join(dist, 'assets'), { recursive: true });
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>Sophon</title><script type="module" src="./assets/app.js"></script>');
    await writeFile(join(dist, 'assets', 'app.js'), 'console.log("hi")');
    await writeFile(join(dist, '.build-stamp'), 'x');
    dashboard = await startDashboard({ dispatcher: host.dispatcher, rendererDir: dist });
  });
  afterAll(async () => {
    await dashboard.dispose();
    await host.dispose();
    await home.dispose();
  });

  it('refuses everything without the token or its cookie', async () => {
    const { port } = dashboard;
    expect((await get(port, '/')).status).toBe(401);
    expect((await get(port, '/assets/app.js')).status).toBe(401);
    expect((await get(port, '/?token=wrong')).status).toBe(401);
    expect((await get(port, '/', { cookie: `sophon_session_${port}=forged` })).status).toBe(401);
    expect((await upgrade(port, { origin: dashboard.origin })).status).toBe(401);
  });

  it('trades the one-time token for an HttpOnly SameSite=Strict cookie and a clean URL', async () => {
    const { port } = dashboard;
    const url = new URL(dashboard.loginUrl);
    expect(url.host).toBe(`127.0.0.1:${port}`);
    const login = await get(port, `${url.pathname}${url.search}`);
    expect(login.status).toBe(303);
    expect(login.headers['location']).toBe('/');
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(new RegExp(`^sophon_session_${port}=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=/$`));
    cookie = setCookie.split(';')[0]!;
    // Once only.
    expect((await get(port, `${url.pathname}${url.search}`)).status).toBe(401);

    const page = await get(port, '/', { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Sophon</title>');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'.*script-src 'self'/);
    expect(page.headers['content-security-policy']).not.toContain('unsafe');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
    expect((await get(port, '/assets/app.js', { cookie })).headers['content-type']).toMatch(/^text\/javascript/);
    expect((await get(port, '/assets/../../../etc/passwd', { cookie })).status).toBe(404);
    expect((await get(port, '/.build-stamp', { cookie })).status).toBe(404);
  });

  it('refuses a foreign Host (DNS rebinding) even with the cookie', async () => {
    const { port } = dashboard;
    expect((await get(port, '/', { cookie, host: `evil.example:${port}` })).status).toBe(403);
    expect((await get(port, '/', { cookie, host: '127.0.0.1' })).status).toBe(403);
    expect((await get(port, '/', { cookie, host: `127.0.0.1:${port + 1}` })).status).toBe(403);
    expect((await get(port, '/', { cookie, host: `localhost:${port}` })).status).toBe(200);
    expect((await upgrade(port, { cookie, origin: dashboard.origin }, `evil.example:${port}`)).status).toBe(403);
  });

  it('refuses a WebSocket from a foreign Origin, or none, even with the cookie', async () => {
    const { port } = dashboard;
    expect((await upgrade(port, { cookie, origin: 'http://evil.example' })).status).toBe(403);
    expect((await upgrade(port, { cookie, origin: `http://evil.example:${port}` })).status).toBe(403);
    expect((await upgrade(port, { cookie, origin: `https://127.0.0.1:${port}` })).status).toBe(403);
    expect((await upgrade(port, { cookie })).status).toBe(403);
  });

  it('speaks the contract over the WebSocket: validated requests as the window, pushed events', async () => {
    const { port } = dashboard;
    const { status, ws } = await upgrade(port, { cookie, origin: `http://localhost:${port}` });
    expect(status).toBe(101);
    const messages: Array<Record<string, unknown>> = [];
    const waitFor = (pred: (m: Record<string, unknown>) => boolean) =>
      new Promise<Record<string, unknown>>((resolve) => {
        const found = messages.find(pred);
        if (found) return resolve(found);
        const onMessage = () => {
          const hit = messages.find(pred);
          if (hit) {
            ws!.off('message', onMessage);
            resolve(hit);
          }
        };
        ws!.on('message', onMessage);
      });
    ws!.on('message', (data) => messages.push(JSON.parse(String(data)) as Record<string, unknown>));

    ws!.send(JSON.stringify({ id: 1, method: 'connections.add', params: { service: 'openrouter', secret: { type: 'api_key', key: 'sk-or-v1-ws-secret' } } }));
    const added = await waitFor((m) => m['id'] === 1);
    expect(added['result']).toMatchObject({ ok: true, data: { connection: { service: 'openrouter', label: 'default' } } });
    const event = await waitFor((m) => m['event'] === 'connections.changed');
    expect(event['payload']).toMatchObject({ type: 'added' });
    expect(JSON.stringify(messages)).not.toContain('sk-or-v1-ws-secret');

    ws!.send(JSON.stringify({ id: 2, method: 'connections.add', params: { service: 'openrouter' } }));
    expect((await waitFor((m) => m['id'] === 2))['result']).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    ws!.send(JSON.stringify({ id: 3, method: 'connections.list', params: {}, extra: 'nope' }));
    expect((await waitFor((m) => m['id'] === 3))['result']).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    ws!.send('not json');
    ws!.send(JSON.stringify({ id: 4, method: 'audit.list', params: {} }));
    const audit = (await waitFor((m) => m['id'] === 4))['result'] as { data: { entries: Array<{ actor: string; action: string }> } };
    expect(audit.data.entries.find((e) => e.action === 'credential.write')?.actor).toBe('window');
    ws!.close();
  });

  it('dispose closes the server and every socket', async () => {
    const home2 = await tempHome();
    const dist = join(home2.dir, 'dist');
    await mkdir(dist);
    await writeFile(join(dist, 'index.html'), '<!doctype html>');
    let subscribers = 0;
    const fake = {
      call: async () => ({ ok: true as const, data: null }),
      subscribe: () => {
        subscribers++;
        return () => void subscribers--;
      },
    };
    const d = await startDashboard({ dispatcher: fake, rendererDir: dist });
    const login = await get(d.port, new URL(d.loginUrl).pathname + new URL(d.loginUrl).search);
    const c = String(login.headers['set-cookie']).split(';')[0]!;
    const { ws } = await upgrade(d.port, { cookie: c, origin: d.origin });
    const closed = new Promise<void>((resolve) => ws!.on('close', () => resolve()));
    expect(subscribers).toBe(1);
    await d.dispose();
    await closed;
    expect(subscribers).toBe(0);
    await expect(get(d.port, '/')).rejects.toThrow(/ECONNREFUSED/);
    await home2.dispose();
  });
});
