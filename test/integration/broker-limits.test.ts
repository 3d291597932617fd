import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { request } from 'node:http';
import { brokerFixture, type Fixture } from '../helpers/broker-fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await brokerFixture({ skills: [{ id: 'full', name: 'Full', credentials: ['echo:one'] }], approve: ['full'], broker: { MaxCallsPerToken: 2 } });
});
afterAll(async () => fx?.dispose());

/** A call whose body is still being sent (the upstream streams it back): it stays in flight until ended. */
function openCall(token: string): { end(): Promise<number> } {
  const url = new URL(`${fx.env.server.url}/proxy/echo:one/stream-echo`);
  let status = 0;
  let finished: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain', 'transfer-encoding': 'chunked' } }, (res) => {
    status = res.statusCode ?? 0;
    res.resume();
    res.on('end', () => finished());
  });
  req.on('error', () => finished());
  req.write('part one ');
  return {
    async end() {
      req.end('the end');
      await done;
      return status;
    },
  };
}

describe('calls in flight per broker token (the peer the proxy knows)', () => {
  it('answers 429 BROKER_BUSY with Retry-After past Sophon.Broker.MaxCallsPerToken, and serves again once calls finish', async () => {
    const token = await fx.env.mint('full', 'tool');
    const first = openCall(token);
    const second = openCall(token);
    let busy: Response | undefined;
    for (let i = 0; i < 100; i++) {
      busy = await fx.env.call('/proxy/echo:one/items', token);
      if (busy.status === 429) break;
      await busy.text();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(busy?.status).toBe(429);
    expect(busy?.headers.get('retry-after')).toBe('1');
    expect(((await busy!.json()) as { error: { code: string } }).error.code).toBe('BROKER_BUSY');
    // Another token is not held back by this one.
    const other = await fx.env.mint('full', 'tool');
    expect((await fx.env.call('/proxy/echo:one/items', other)).status).toBe(200);
    expect(await first.end()).toBe(200);
    expect(await second.end()).toBe(200);
    expect((await fx.env.call('/proxy/echo:one/items', token)).status).toBe(200);
  });
});
