import { describe, expect, it } from 'vitest';
import { trayModel, trayState } from '../../../main/desktop/tray-model.ts';
import { connection } from './fixtures.ts';

const names = new Map([
  ['github', 'GitHub'],
  ['slack', 'Slack'],
]);

describe('trayModel', () => {
  it('is fine with no connections and always offers Open and Quit (Linux trays have no click)', () => {
    const model = trayModel([]);
    expect(model.state).toBe('ok');
    expect(model.tooltip).toBe('Sophon — no connections');
    expect(model.items.map((i) => i.type)).toEqual(['more', 'separator', 'open', 'quit']);
  });

  it('shows ok when everything is active or expiring', () => {
    const model = trayModel([connection('a', 'active'), connection('b', 'expiring')], { serviceNames: names });
    expect(model.state).toBe('ok');
    expect(model.items.filter((i) => i.type === 'reconnect')).toEqual([]);
    expect(model.items[0]).toMatchObject({ type: 'connection', label: 'GitHub · b — Expiring soon' });
  });

  it('shows error when a connection failed, and needs_reauth above it, with one Reconnect item each', () => {
    const failing = [connection('a', 'active'), connection('e', 'error', { service: 'slack', label: 'team' })];
    expect(trayState(failing)).toBe('error');
    expect(trayModel(failing).tooltip).toBe('Sophon — 1 connection failing');

    const model = trayModel([...failing, connection('r1', 'needs_reauth', { label: 'work' }), connection('r2', 'needs_reauth', { service: 'slack', label: 'home' })], { serviceNames: names });
    expect(model.state).toBe('needs_reauth');
    expect(model.tooltip).toBe('Sophon — 2 connections need re-auth');
    // Attention first: needs re-auth, then errors, then the rest.
    expect(model.items.filter((i) => i.type === 'connection').map((i) => (i.type === 'connection' ? i.state : ''))).toEqual(['needs_reauth', 'needs_reauth', 'error', 'active']);
    expect(model.items.filter((i) => i.type === 'reconnect')).toEqual([
      { type: 'reconnect', id: 'r1', label: 'Reconnect GitHub · work…' },
      { type: 'reconnect', id: 'r2', label: 'Reconnect Slack · home…' },
    ]);
    expect(model.items.slice(-2).map((i) => i.type)).toEqual(['open', 'quit']);
  });

  it('keeps the menu short with many connections', () => {
    const many = Array.from({ length: 40 }, (_, i) => connection(`c${i}`, i < 20 ? 'needs_reauth' : 'active'));
    const model = trayModel(many, { max: 5 });
    expect(model.items.filter((i) => i.type === 'connection')).toHaveLength(5);
    expect(model.items.filter((i) => i.type === 'reconnect')).toHaveLength(5);
    expect(model.items.filter((i) => i.type === 'more').map((i) => (i.type === 'more' ? i.label : ''))).toEqual(['35 more in the window…', '15 more to reconnect in the window…']);
  });

  it('offers the kill switch for agents only while broker tokens are live', () => {
    expect(trayModel([connection('c1', 'active')]).items.some((i) => i.type === 'revoke-agents')).toBe(false);
    const model = trayModel([connection('c1', 'active')], { liveAgentTokens: 3 });
    const kill = model.items.find((i) => i.type === 'revoke-agents');
    expect(kill).toEqual({ type: 'revoke-agents', label: 'Revoke all agent access (3 live tokens)' });
    expect(model.items.at(-1)).toMatchObject({ type: 'quit' });
  });
});
