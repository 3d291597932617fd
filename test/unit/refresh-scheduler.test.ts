import { describe, it, expect } from 'vitest';
import { RefreshScheduler, SophonError, type Connection, type ConnectionChange, type OAuthSecret } from '../../main/core/index.ts';
import { ManualClock, settle } from '../helpers/manual-clock.ts';

const MIN = 60_000;

function connection(id: string, expiresAt: number | undefined, extra: Partial<Connection> = {}): Connection {
  return {
    id,
    service: 'svc',
    label: id,
    authMethod: 'oauth2',
    state: 'active',
    scopes: [],
    createdAt: '2026-01-01T00:00:00Z',
    params: {},
    refreshable: true,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...extra,
  };
}

/** Fakes of the scheduler's two collaborators: a connection list with change events, and refresh(). */
function fakes(clock: ManualClock, initial: Connection[]) {
  const listeners = new Set<(c: ConnectionChange) => void>();
  const calls: Array<{ id: string; at: number }> = [];
  let behaviour: (id: string) => Promise<OAuthSecret> = async () => ({ type: 'oauth', accessToken: 'x' });
  const connections = {
    list: async () => initial,
    onChange: (l: (c: ConnectionChange) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  const tokens = {
    refresh: (id: string) => {
      calls.push({ id, at: clock.now() });
      return behaviour(id);
    },
  };
  return {
    connections,
    tokens,
    calls,
    setBehaviour: (b: (id: string) => Promise<OAuthSecret>) => (behaviour = b),
    change: (c: ConnectionChange) => listeners.forEach((l) => l(c)),
  };
}

describe('refresh scheduler (injected clock)', () => {
  it('refreshes ahead of expiry within margin + jitter, and leaves alone what cannot or need not refresh', async () => {
    const clock = new ManualClock();
    const now = clock.now();
    const f = fakes(clock, [
      connection('a', now + 60 * MIN),
      connection('b', now + 120 * MIN),
      connection('no-expiry', undefined),
      connection('no-refresh-token', now + 30 * MIN, { refreshable: false }),
      connection('dead', now + 30 * MIN, { state: 'needs_reauth' }),
      connection('api-key', now + 30 * MIN, { authMethod: 'api_key' }),
    ]);
    const scheduler = new RefreshScheduler({ connections: f.connections, tokens: f.tokens, clock, marginMs: 5 * MIN, jitterMs: MIN });
    await scheduler.start();
    expect(scheduler.size).toBe(2);
    expect(clock.pending).toBe(1);
    await clock.advance(54 * MIN - 1);
    expect(f.calls).toEqual([]);
    await clock.advance(MIN + 1);
    expect(f.calls.map((c) => c.id)).toEqual(['a']);
    expect(f.calls[0]!.at).toBeGreaterThanOrEqual(now + 54 * MIN);
    expect(f.calls[0]!.at).toBeLessThanOrEqual(now + 55 * MIN);
    await clock.advance(70 * MIN);
    expect(f.calls.map((c) => c.id)).toEqual(['a', 'b']);
    await scheduler.dispose();
    expect(clock.pending).toBe(0);
  });

  it('holds one timer for many connections and bounds refreshes in flight', async () => {
    const clock = new ManualClock();
    const now = clock.now();
    const all = Array.from({ length: 500 }, (_, i) => connection(`c${i}`, now + 10 * MIN + (i % 7) * 1000));
    const f = fakes(clock, all);
    const gates: Array<() => void> = [];
    let inFlight = 0;
    let peak = 0;
    f.setBehaviour(
      () =>
        new Promise((resolve) => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          gates.push(() => {
            inFlight--;
            resolve({ type: 'oauth', accessToken: 'x' });
          });
        }),
    );
    const scheduler = new RefreshScheduler({ connections: f.connections, tokens: f.tokens, clock, marginMs: 5 * MIN, jitterMs: 30_000, maxInFlight: 8 });
    await scheduler.start();
    expect(clock.pending).toBe(1);
    await clock.advance(6 * MIN);
    expect(inFlight).toBe(8);
    while (gates.length > 0) {
      gates.shift()!();
      await settle();
    }
    expect(f.calls).toHaveLength(500);
    expect(new Set(f.calls.map((c) => c.id)).size).toBe(500);
    expect(peak).toBe(8);
    expect(scheduler.stats.maxInFlight).toBe(8);
    await scheduler.dispose();
  });

  it('retries transient failures later, never a dead grant', async () => {
    const clock = new ManualClock();
    const now = clock.now();
    const f = fakes(clock, [connection('flaky', now + 10 * MIN), connection('revoked', now + 10 * MIN)]);
    let flakyFailures = 2;
    f.setBehaviour(async (id) => {
      if (id === 'revoked') throw new SophonError('NEEDS_REAUTH', 'revoked');
      if (flakyFailures-- > 0) throw new SophonError('NETWORK_ERROR', 'down');
      return { type: 'oauth', accessToken: 'x' };
    });
    const scheduler = new RefreshScheduler({ connections: f.connections, tokens: f.tokens, clock, marginMs: 5 * MIN, jitterMs: 0, retryMs: 30_000 });
    await scheduler.start();
    await clock.advance(5 * MIN);
    await clock.advance(5 * MIN);
    const byId = (id: string) => f.calls.filter((c) => c.id === id).map((c) => c.at - now);
    expect(byId('revoked')).toEqual([5 * MIN]);
    expect(byId('flaky')).toEqual([5 * MIN, 5 * MIN + 30_000, 5 * MIN + 90_000]);
    await scheduler.dispose();
  });

  it('follows changes: a new expiry reschedules, a removal cancels, short-lived tokens are not refreshed back to back', async () => {
    const clock = new ManualClock();
    const now = clock.now();
    const f = fakes(clock, [connection('x', now + 60 * MIN), connection('gone', now + 60 * MIN)]);
    const scheduler = new RefreshScheduler({ connections: f.connections, tokens: f.tokens, clock, marginMs: 5 * MIN, jitterMs: 0 });
    await scheduler.start();
    f.change({ type: 'removed', connection: connection('gone', now + 60 * MIN) });
    f.change({ type: 'updated', connection: connection('x', now + 2 * MIN) });
    f.change({ type: 'updated', connection: connection('x', now + 2 * MIN, { lastUsedAt: 'later' }) });
    await clock.advance(MIN);
    expect(f.calls).toEqual([{ id: 'x', at: now + MIN }]);
    await clock.advance(120 * MIN);
    expect(f.calls.map((c) => c.id)).toEqual(['x']);
    await scheduler.dispose();
  });
});
