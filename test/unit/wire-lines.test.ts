import { PassThrough } from 'node:stream';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { lines } from '../../main/api/wire.ts';

function feed(chunks: readonly string[], max: number): { got: string[]; tooLong: number } {
  const stream = new PassThrough();
  const got: string[] = [];
  let tooLong = 0;
  lines(stream as unknown as Socket, (line) => got.push(line), () => tooLong++, max);
  for (const chunk of chunks) stream.write(chunk);
  return { got, tooLong };
}

const flushed = () => new Promise((resolve) => setImmediate(resolve));

describe('the owner socket reads lines no longer than its limit', () => {
  it('an over-long line that arrives whole, in one chunk, is refused, not dispatched', async () => {
    const result = feed([`{"pad":"${'x'.repeat(100)}"}\n{"after":1}\n`], 50);
    await flushed();
    expect(result.got).toEqual([]);
    expect(result.tooLong).toBe(1);
  });

  it('an over-long line still arriving is refused before its end comes', async () => {
    const result = feed(['x'.repeat(60)], 50);
    await flushed();
    expect(result.tooLong).toBe(1);
  });

  it('lines within the limit pass, split across chunks or several in one', async () => {
    const result = feed(['{"a":', '1}\n{"b":2}\n\n{"c"', ':3}\n'], 50);
    await flushed();
    expect(result.got).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
    expect(result.tooLong).toBe(0);
  });
});
