import { describe, expect, it } from 'vitest';
import { EVENT_NAMES, REQUEST_NAMES } from '../../main/api/contract.ts';
import { buildSophonApi, type IpcRendererPort } from '../../preload/sophon-api.ts';

class FakeIpcRenderer implements IpcRendererPort {
  readonly invoked: Array<{ channel: string; args: unknown[] }> = [];
  readonly listeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();
  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invoked.push({ channel, args });
    return { ok: true, data: channel };
  }
  on(channel: string, listener: (event: unknown, payload: unknown) => void): void {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
  }
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): void {
    this.listeners.get(channel)?.delete(listener);
  }
  emit(channel: string, payload: unknown): void {
    for (const l of this.listeners.get(channel) ?? []) l({ sender: 'the raw IPC event' }, payload);
  }
}

describe('preload window.sophon', () => {
  it('has one function per contract request, grouped by domain, plus on — nothing raw', async () => {
    const ipc = new FakeIpcRenderer();
    const api = buildSophonApi(ipc);
    const domains = [...new Set(REQUEST_NAMES.map((n) => n.split('.')[0]))].sort();
    expect(Object.keys(api).sort()).toEqual([...domains, 'on'].sort());
    const exposed = Object.entries(api).flatMap(([domain, value]) => (typeof value === 'function' ? [] : Object.keys(value as object).map((verb) => `${domain}.${verb}`)));
    expect(exposed.sort()).toEqual([...REQUEST_NAMES].sort());
    expect(Object.isFrozen(api)).toBe(true);
    expect(JSON.stringify(Object.keys(api))).not.toMatch(/ipc|process|require|send/i);

    expect(await api.connections.list()).toEqual({ ok: true, data: 'connections.list' });
    await api.connections.test({ ref: 'github:work' });
    expect(ipc.invoked).toEqual([
      { channel: 'connections.list', args: [{}] },
      { channel: 'connections.test', args: [{ ref: 'github:work' }] },
    ]);
  });

  it('delivers contract events without the IPC event object, and unsubscribes', () => {
    const ipc = new FakeIpcRenderer();
    const api = buildSophonApi(ipc);
    const got: unknown[] = [];
    const off = api.on('connections.changed', (payload) => got.push(payload));
    ipc.emit('connections.changed', { type: 'removed' });
    expect(got).toEqual([{ type: 'removed' }]);
    off();
    ipc.emit('connections.changed', { type: 'added' });
    expect(got).toHaveLength(1);
    expect(EVENT_NAMES).toContain('connections.changed');
    expect(() => api.on('ELECTRON_BROWSER_REQUIRE' as never, () => undefined)).toThrow(/unknown event/);
  });
});
