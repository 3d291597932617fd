import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { brokerFixture, KEYS, type Fixture } from '../helpers/broker-fixture.ts';

const TOTAL = Number(process.env["BIG_MB"] ?? 100) * 1024 * 1024;
const CHUNK = 64 * 1024;

let fx: Fixture;
beforeAll(async () => {
  fx = await brokerFixture({ skills: [{ id: 'bulk', name: 'Bulk', credentials: ['echo:one'] }], approve: ['bulk'] });
});
afterAll(async () => {
  await fx?.dispose();
});

/** 100 MB of text made on the fly, the credential planted a few times, twice straddling a chunk boundary. */
function* generate(plantAt: readonly number[], progress: { sent: number }): Generator<Buffer> {
  const filler = Buffer.alloc(CHUNK, 'lorem ipsum dolor sit amet\n');
  const key = Buffer.from(KEYS.one);
  let sent = 0;
  while (sent < TOTAL) {
    const chunk = Buffer.from(filler.subarray(0, Math.min(CHUNK, TOTAL - sent)));
    for (const at of plantAt) {
      for (let i = 0; i < key.length; i++) {
        const pos = at + i - sent;
        if (pos >= 0 && pos < chunk.length) chunk[pos] = key[i]!;
      }
    }
    sent += chunk.length;
    progress.sent = sent;
    yield chunk;
  }
}

describe('a 100 MB body through the proxy', () => {
  it('streams both ways at once, redacting on the way back, without holding the body in memory', async () => {
    const token = await fx.env.mint('bulk', 'copy');
    const plantAt = [1000, CHUNK - 10, 50 * 1024 * 1024 + 7, 3 * CHUNK - 5, TOTAL - KEYS.one.length - 1];
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    const started = Date.now();
    const progress = { sent: 0 };
    let inFlight = 0;
    try {
      const response = await request(`${fx.env.server.url}/proxy/echo:one/stream-echo`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain', 'content-length': String(TOTAL) },
        body: Readable.from(generate(plantAt, progress)),
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-length']).toBeUndefined();
      let bytes = 0;
      let redactions = 0;
      let tail = '';
      for await (const chunk of response.body) {
        bytes += (chunk as Buffer).length;
        inFlight = Math.max(inFlight, progress.sent - bytes);
        const text = tail + (chunk as Buffer).toString('latin1');
        expect(text.includes(KEYS.one)).toBe(false);
        redactions += text.split('[REDACTED]').length - 1 - (tail.split('[REDACTED]').length - 1);
        tail = text.slice(-64);
      }
      expect(redactions).toBe(plantAt.length);
      expect(bytes).toBe(TOTAL - plantAt.length * (KEYS.one.length - '[REDACTED]'.length));
    } finally {
      clearInterval(sampler);
    }
    const growth = (peak - baseline) / 1024 / 1024;
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    console.log(`${mb(TOTAL)} MB up + down in ${Date.now() - started} ms; at most ${mb(inFlight)} MB sent but not yet back; peak RSS growth ${growth.toFixed(1)} MB`);
    // Streaming both ways: what came back trails what went out by socket buffers (kernel autotuning
    // lets four directions hold several MB each), not by the body.
    expect(inFlight).toBeLessThan(48 * 1024 * 1024);
    // Holding the body anywhere would cost at least its size (twice: up and down); GC slack stays well under.
    expect(growth).toBeLessThan(150);
    const { entries } = await fx.env.core.audit.read({ skill: 'bulk', action: 'broker.call' });
    expect(entries[0]?.detail).toMatchObject({ status: 200, bytesIn: TOTAL });
  });
});
