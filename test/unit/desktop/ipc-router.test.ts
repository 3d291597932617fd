import { afterEach, describe, expect, it } from 'vitest';
import { REQUEST_NAMES, type ApiResult } from '../../../main/api/contract.ts';
import { openHostApi, type HostApi } from '../../../main/api/host.ts';
import { IpcRouter, type IpcInvokeEventLike, type IpcMainPort, type WindowContentsPort } from '../../../main/desktop/ipc-router.ts';
import { APP_ORIGIN } from '../../../main/desktop/window-policy.ts';
import { fastPassphrase } from '../../helpers/protectors.ts';
import { tempHome, type TempHome } from '../../helpers/temp-home.ts';

class FakeIpcMain implements IpcMainPort {
  readonly handlers = new Map<string, (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>>();
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  invoke(channel: string, event: IpcInvokeEventLike, ...args: unknown[]): Promise<ApiResult<unknown>> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`no handler for ${channel}`);
    return handler(event, ...args) as Promise<ApiResult<unknown>>;
  }
}

class FakeContents implements WindowContentsPort {
  readonly sent: Array<{ channel: string; payload: unknown }> = [];
  destroyed = false;
  constructor(readonly id: number) {}
  send(channel: string, payload: unknown): void {
    this.sent.push({ channel, payload });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

const fromWindow = (id: number, url = `${APP_ORIGIN}/index.html`, parent: unknown = null): IpcInvokeEventLike => ({ sender: { id }, senderFrame: { url, parent } });

describe('IpcRouter', () => {
  let home: TempHome | undefined;
  let host: HostApi | undefined;
  afterEach(async () => {
    await host?.dispose();
    await home?.dispose();
    host = undefined;
    home = undefined;
  });

  it('registers one invoke channel per contract request and removes them on dispose', () => {
    const ipc = new FakeIpcMain();
    let subscribed = 0;
    const router = new IpcRouter(ipc, { call: async () => ({ ok: true, data: null }), subscribe: () => (subscribed++, () => subscribed--) }, { appOrigin: APP_ORIGIN });
    expect([...ipc.handlers.keys()].sort()).toEqual([...REQUEST_NAMES].sort());
    expect(subscribed).toBe(1);
    router.dispose();
    expect(ipc.handlers.size).toBe(0);
    expect(subscribed).toBe(0);
  });

  it('answers only its own windows, from their top frame on the app origin, and dispatches as the window', async () => {
    const ipc = new FakeIpcMain();
    const calls: Array<{ method: string; params: unknown; actor: string }> = [];
    const refused: string[] = [];
    const router = new IpcRouter(
      ipc,
      {
        call: async (method, params, ctx) => {
          calls.push({ method, params, actor: ctx.actor });
          return { ok: true, data: [] };
        },
        subscribe: () => () => undefined,
      },
      { appOrigin: APP_ORIGIN, onRefused: (channel, reason) => refused.push(`${channel}: ${reason}`) },
    );
    const mine = new FakeContents(7);
    const detach = router.attach(mine);

    expect(await ipc.invoke('connections.list', fromWindow(7), {})).toEqual({ ok: true, data: [] });
    expect(calls).toEqual([{ method: 'connections.list', params: {}, actor: 'window' }]);

    const hostile: Array<[string, IpcInvokeEventLike]> = [
      ['another webContents', fromWindow(8)],
      ['a sub-frame', fromWindow(7, `${APP_ORIGIN}/index.html`, { url: 'app://sophon/' })],
      ['a remote page in our window', fromWindow(7, 'https://evil.example/')],
      ['a file: page', fromWindow(7, 'file:///tmp/x.html')],
      ['a lookalike origin', fromWindow(7, 'app://sophon.evil/index.html')],
      ['no frame', { sender: { id: 7 }, senderFrame: null }],
      ['a garbage URL', fromWindow(7, 'not a url')],
    ];
    for (const [name, event] of hostile) {
      const result = await ipc.invoke('connections.remove', event, { ref: 'x' });
      expect(result, name).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
    expect(calls).toHaveLength(1);
    expect(refused).toHaveLength(hostile.length);

    mine.destroyed = true;
    expect(await ipc.invoke('connections.list', fromWindow(7), {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    mine.destroyed = false;
    detach();
    expect(await ipc.invoke('connections.list', fromWindow(7), {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    router.dispose();
  });

  it('validates input through the real Dispatcher and pushes core events to attached windows only', async () => {
    home = await tempHome();
    host = await openHostApi({ home: home.dir, ownerName: 'test', protectors: fastPassphrase() });
    const ipc = new FakeIpcMain();
    const seen: Array<{ method: string; data: unknown }> = [];
    const router = new IpcRouter(ipc, host.dispatcher, { appOrigin: APP_ORIGIN, observe: (method, data) => seen.push({ method, data }) });
    const mine = new FakeContents(1);
    const other = new FakeContents(2);
    router.attach(mine);

    const bad = await ipc.invoke('connections.add', fromWindow(1), { service: 'openrouter', secret: { type: 'api_key' } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(bad.ok ? '' : bad.error.message).toMatch(/secret\.key: /);

    const added = await ipc.invoke('connections.add', fromWindow(1), { service: 'openrouter', label: 'me', secret: { type: 'api_key', key: 'sk-or-v1-secret-value' } });
    expect(added.ok).toBe(true);
    expect(JSON.stringify(added)).not.toContain('sk-or-v1-secret-value');
    expect(seen.map((s) => s.method)).toEqual(['connections.add']);
    expect(mine.sent.map((m) => m.channel)).toEqual(['connections.changed']);
    expect(JSON.stringify(mine.sent)).not.toContain('sk-or-v1-secret-value');
    expect(other.sent).toEqual([]);

    // The audit trail names the window as the actor.
    const audit = await ipc.invoke('audit.list', fromWindow(1), {});
    expect(audit.ok && (audit.data as { entries: Array<{ actor: string; action: string }> }).entries.find((e) => e.action === 'credential.write')?.actor).toBe('window');

    router.send('tray.selected', { action: 'reconnect', connectionId: 'x' });
    expect(mine.sent.at(-1)).toEqual({ channel: 'tray.selected', payload: { action: 'reconnect', connectionId: 'x' } });
    expect(() => router.send('tray.selected', { action: 'delete-all' } as never)).toThrow();
    router.dispose();
  });
});
