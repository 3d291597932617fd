import { describe, it, expect } from 'vitest';
import { Readable } from 'node:stream';
import { REDACTED, RedactingStream, needleSet, redactBuffer, redactHeader, redactString, redactionNeedles, type NeedleSet } from '../../main/core/broker/redact.ts';

const SECRET = 'ghp_Secret0123456789/+abcdefXYZ==';
const set = needleSet([SECRET, 'refresh-token-value-42']);

async function throughStream(chunks: readonly Buffer[], needles: NeedleSet): Promise<string> {
  const out: Buffer[] = [];
  for await (const piece of Readable.from(chunks, { objectMode: false }).pipe(new RedactingStream(needles))) out.push(piece as Buffer);
  return Buffer.concat(out).toString('utf8');
}

const everyByte = (text: string, hex: (b: number) => string) => [...Buffer.from(text)].map(hex).join('');
const wrap = (text: string, width: number, eol: string) => text.match(new RegExp(`.{1,${width}}`, 'g'))!.join(eol);
/** JSON as Gson or Go write it: every character that is not a letter or a digit as \uXXXX. */
const jsonEscapedAll = (text: string, upper = false) => text.replace(/[^A-Za-z0-9]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')[upper ? 'toUpperCase' : 'toLowerCase']()}`);

describe('redaction', () => {
  it('finds the value raw, percent-encoded (any case, form style), in JSON, base64 and base64url', () => {
    const forms = [
      SECRET,
      encodeURIComponent(SECRET),
      encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
      new URLSearchParams({ v: SECRET }).toString().slice(2),
      JSON.stringify(SECRET).slice(1, -1).replace(/\//g, '\\/'),
      Buffer.from(SECRET).toString('base64'),
      Buffer.from(SECRET).toString('base64url'),
    ];
    for (const form of forms) expect(redactString(`a ${form} b`, set), form).toBe(`a ${REDACTED} b`);
  });

  it('finds JSON \\u escapes of any character (\\u002B for +, Gson/Go style escaping of = / < >), either case, and surrogate pairs', () => {
    const forms = [
      SECRET.replace('+', '\\u002B'),
      SECRET.replace('+', '\\u002b').replace('/', '\\u002F'),
      jsonEscapedAll(SECRET),
      jsonEscapedAll(SECRET, true),
      [...SECRET].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
    ];
    for (const form of forms) expect(redactString(`{"echo":"${form}"}`, set), form).toBe(`{"echo":"${REDACTED}"}`);
    const emoji = needleSet(['pässwörd-😀-secret']);
    expect(redactString(`{"p":${JSON.stringify('pässwörd-😀-secret').replace(/[^\x20-\x7e]/gu, (c) => c.split('').map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''))}}`, emoji)).toBe(`{"p":"${REDACTED}"}`);
    expect(redactString(`{"p":"p\\u00e4ssw\\u00f6rd-\\ud83d\\ude00-secret"}`, emoji)).toBe(`{"p":"${REDACTED}"}`);
  });

  it('finds every byte percent-encoded, in either case, and two layers deep', () => {
    const upper = everyByte(SECRET, (b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`);
    const lower = everyByte(SECRET, (b) => `%${b.toString(16).padStart(2, '0')}`);
    for (const form of [upper, lower, encodeURIComponent(encodeURIComponent(SECRET)), encodeURIComponent(upper)]) {
      expect(redactString(`https://x.example/cb?token=${form}&next=1`, set), form).toBe(`https://x.example/cb?token=${REDACTED}&next=1`);
    }
  });

  it('finds base64 wrapped at a fixed width (PEM 64, MIME 76 with CRLF), inside JSON strings, escaped or percent-encoded', () => {
    const long = needleSet(['a much longer credential value, long enough to wrap over several lines of base64: 0123456789abcdef']);
    const b64 = Buffer.from(`prefix:${'a much longer credential value, long enough to wrap over several lines of base64: 0123456789abcdef'}:suffix`).toString('base64');
    const forms = [wrap(b64, 64, '\n'), wrap(b64, 76, '\r\n'), wrap(b64, 4, '\n'), JSON.stringify(wrap(b64, 76, '\n')).slice(1, -1), JSON.stringify(wrap(b64, 64, '\n')).slice(1, -1).replace(/\//g, '\\/'), encodeURIComponent(b64)];
    for (const form of forms) {
      const out = redactString(`-----BEGIN BLOB-----\n${form}\n-----END BLOB-----`, long);
      expect(out, form).toContain(REDACTED);
      // What is left around the marker are only the characters that also encode the prefix or suffix.
      const left = out.replace('-----BEGIN BLOB-----\n', '').replace('\n-----END BLOB-----', '').split(REDACTED).join('').replace(/\\?[\r\n]|\\n|%[0-9A-F]{2}/g, '');
      expect(left.length, form).toBeLessThanOrEqual(24);
    }
  });

  it('finds the value in hex (either case) and HTML character references', () => {
    const hex = Buffer.from(SECRET).toString('hex');
    for (const form of [hex, hex.toUpperCase(), `00ff${hex}ee11`, everyByte(SECRET, (b) => `&#${b};`), everyByte(SECRET, (b) => `&#x${b.toString(16)};`), SECRET.replace('/', '&#x2F;').replace('+', '&#43;')]) {
      expect(redactString(`<p>${form}</p>`, set), form).toMatch(new RegExp(`^<p>(00ff)?\\[REDACTED\\](ee11)?</p>$`));
    }
  });

  it('finds the value embedded at any alignment inside longer base64 (Basic credentials, blobs)', () => {
    for (const prefix of ['', 'u:', 'us:', 'use:', 'user:', 'x'.repeat(7)]) {
      for (const suffix of ['', 'z', 'zz', 'zzz']) {
        const blob = Buffer.from(`${prefix}${SECRET}${suffix}`).toString('base64');
        const out = redactString(`Basic ${blob}`, set);
        expect(out, `${prefix}|${suffix}`).toContain(REDACTED);
        const left = out.replace(`Basic `, '').split(REDACTED).join('');
        expect(left.length, `${prefix}|${suffix}`).toBeLessThanOrEqual(Math.ceil(((prefix.length + 2) * 4) / 3) + 8);
      }
    }
  });

  it('leaves text without a value untouched (same buffer back), escapes and line breaks included', () => {
    for (const text of ['{"ok":true,"items":[1,2,3]}', '{\n  "a": "b\\nc \\u00e9 %41 &amp;",\n  "list": [\n    "x"\n  ]\n}\n', `-----BEGIN X-----\n${wrap(Buffer.alloc(300, 7).toString('base64'), 64, '\n')}\n-----END X-----`]) {
      const buf = Buffer.from(text);
      expect(redactBuffer(buf, set)).toBe(buf);
    }
    expect(redactHeader('max-age=60, private', set)).toBe('max-age=60, private');
  });

  it('redacts header values, escaped ones too', () => {
    expect(redactHeader(`</cb?t=${encodeURIComponent(SECRET)}>; rel="next"`, set)).toBe(`</cb?t=${REDACTED}>; rel="next"`);
  });

  it('never misses a value split across chunks, at every split point, in any of its forms', async () => {
    const text = `before ${SECRET} middle ${Buffer.from(SECRET).toString('base64')} json "${jsonEscapedAll(SECRET)}" url ${everyByte(SECRET, (b) => `%${b.toString(16)}`)} after ${SECRET}`;
    const expected = redactString(text, set);
    expect(expected.split(REDACTED)).toHaveLength(6);
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut += 1) {
      expect(await throughStream([bytes.subarray(0, cut), bytes.subarray(cut)], set), `cut at ${cut}`).toBe(expected);
    }
    const oneByte = [...bytes].map((b) => Buffer.from([b]));
    expect(await throughStream(oneByte, set)).toBe(expected);
  });

  it('prefers the longest value at a position and never leaves part of a longer value', async () => {
    const long = 'abcdefghijkl-secret-long';
    const short = 'defghi';
    const n = needleSet([long, short]);
    expect(redactString(`x${long}y`, n)).toBe(`x${REDACTED}y`);
    const bytes = Buffer.from(`x${long}y${short}z`);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(await throughStream([bytes.subarray(0, cut), bytes.subarray(cut)], n)).toBe(`x${REDACTED}y${REDACTED}z`);
    }
  });

  it('holds back no more than the longest value in its most escaped form while streaming', async () => {
    const stream = new RedactingStream(set);
    const seen: Buffer[] = [];
    stream.on('data', (c: Buffer) => seen.push(c));
    stream.write(Buffer.alloc(10_000, 'a'));
    await new Promise((r) => setImmediate(r));
    expect(set.hold).toBeLessThan(1000);
    expect(Buffer.concat(seen).length).toBeGreaterThanOrEqual(10_000 - set.hold);
    stream.end();
  });

  it('ignores values too short to redact safely', () => {
    expect(redactionNeedles(['abc'])).toEqual([]);
    expect(needleSet(['abc']).empty).toBe(true);
  });
});
