import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { brokerFixture, hostileForms, KEYS, type Fixture } from '../helpers/broker-fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await brokerFixture({ skills: [{ id: 'full', name: 'Full access', credentials: ['echo:one', 'secure'] }], approve: ['full'] });
});
afterAll(async () => fx?.dispose());

/** Every form the upstream wrote, as it arrives in the body (inside a JSON string, escaped once more, or not). */
function leaks(body: string, key: string): string[] {
  const forms = Object.entries(hostileForms(key));
  const found: string[] = [];
  for (const [name, form] of forms) {
    const variants = [form, JSON.stringify(form).slice(1, -1)];
    // A base64 line is enough to give away part of the key; any 16 characters of a form are too many.
    for (const variant of variants) for (let i = 0; i + 16 <= variant.length; i += 8) if (body.includes(variant.slice(i, i + 16)) && !/^[x]+$/.test(variant.slice(i, i + 16))) found.push(`${name}@${i}`);
  }
  if (body.includes(key)) found.push('raw');
  return [...new Set(found)];
}

describe('the proxy redacts the credential in the encodings libraries write it in', () => {
  for (const [service, key] of [['echo:one', KEYS.one], ['secure', KEYS.secure]] as const) {
    it(`${service}: \\u escapes (\\u002B too), full percent-encoding, MIME base64 wrapped at 20 with CRLF, hex — small and streamed bodies`, async () => {
      const token = await fx.env.mint('full', 'echo-tool');
      for (const query of ['', '?big=1']) {
        const response = await fx.env.call(`/proxy/${service}/encoded-hostile${query}`, token);
        expect(response.status).toBe(200);
        const body = await response.text();
        expect(body).toContain('[REDACTED]');
        expect(leaks(body, key), `${service}${query}`).toEqual([]);
        expect(() => JSON.parse(body)).not.toThrow();
      }
    });
  }
});
