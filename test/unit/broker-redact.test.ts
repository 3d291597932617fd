import { describe, it, expect } from 'vitest';
import { Readable } from 'node:stream';
import { REDACTED, RedactingStream, redactBuffer, redactString, redactionNeedles } from '../../main/core/broker/redact.ts';

const SECRET = 'ghp_Secret0123456789/+abcdefXYZ';

async function throughStream(chunks: readonly Buffer[], needles: readonly Buffer[]): Promise<string> {
  const out: Buffer[] = [];
  for await (const piece of Readable.from(chunks, { objectMode: false }).pipe(new RedactingStream(needles))) out.push(piece as Buffer);
  return Buffer.concat(out).toString('utf8');
}

describe('redaction', () => {
  const needles = redactionNeedles([SECRET, 'refresh-token-value-42']);

  it('finds the value raw, percent-encoded (both cases, form style), in JSON, base64 and base64url', () => {
    const forms = [
      SECRET,
      encodeURIComponent(SECRET),
      encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
      JSON.stringify(SECRET).slice(1, -1).replace(/\//g, '\\/'),
      Buffer.from(SECRET).toString('base64'),
      Buffer.from(SECRET).toString('base64url'),
    ];
    for (const form of forms) expect(redactString(`a ${form} b`, needles), form).toBe(`a ${REDACTED} b`);
  });

  it('finds the value embedded at any alignment inside longer base64 (Basic credentials, blobs)', () => {
    for (const prefix of ['', 'u:', 'us:', 'use:', 'user:', 'x'.repeat(7)]) {
      for (const suffix of ['', 'z', 'zz', 'zzz']) {
        const blob = Buffer.from(`${prefix}${SECRET}${suffix}`).toString('base64');
        const out = redactString(`Basic ${blob}`, needles);
        expect(out, `${prefix}|${suffix}`).toContain(REDACTED);
        // What is left around the marker is at most the few characters that mix in neighbouring bytes.
        const left = out.replace(`Basic `, '').split(REDACTED).join('');
        expect(left.length, `${prefix}|${suffix}`).toBeLessThanOrEqual(Math.ceil(((prefix.length + 2) * 4) / 3) + 8);
      }
    }
  });

  it('leaves text without a value untouched (same buffer back)', () => {
    const buf = Buffer.from('{"ok":true,"items":[1,2,3]}');
    expect(redactBuffer(buf, needles)).toBe(buf);
  });

  it('never misses a value split across chunks, at every split point', async () => {
    const text = `before ${SECRET} middle ${Buffer.from(SECRET).toString('base64')} after ${SECRET}`;
    const expected = redactString(text, needles);
    expect(expected).not.toContain(SECRET);
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(await throughStream([bytes.subarray(0, cut), bytes.subarray(cut)], needles), `cut at ${cut}`).toBe(expected);
    }
    const oneByte = [...bytes].map((b) => Buffer.from([b]));
    expect(await throughStream(oneByte, needles)).toBe(expected);
  });

  it('prefers the longest value at a position and never leaves part of a longer value', async () => {
    const long = 'abcdefghijkl-secret-long';
    const short = 'defghi';
    const n = redactionNeedles([long, short]);
    expect(redactString(`x${long}y`, n)).toBe(`x${REDACTED}y`);
    const bytes = Buffer.from(`x${long}y${short}z`);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(await throughStream([bytes.subarray(0, cut), bytes.subarray(cut)], n)).toBe(`x${REDACTED}y${REDACTED}z`);
    }
  });

  it('holds back no more than the longest needle while streaming', async () => {
    const stream = new RedactingStream(needles);
    const max = Math.max(...needles.map((n) => n.length));
    const seen: Buffer[] = [];
    stream.on('data', (c: Buffer) => seen.push(c));
    stream.write(Buffer.alloc(10_000, 'a'));
    await new Promise((r) => setImmediate(r));
    expect(Buffer.concat(seen).length).toBeGreaterThanOrEqual(10_000 - max);
    stream.end();
  });

  it('ignores values too short to redact safely', () => {
    expect(redactionNeedles(['abc'])).toEqual([]);
  });
});
