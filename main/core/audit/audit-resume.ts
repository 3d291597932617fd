import { fstatSync, ftruncateSync, readSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { GENESIS, checkLine, claimedSeq, type Position } from './audit-chain.ts';
import { MAX_LINE, forEachLineBackwards } from './audit-files.ts';

export interface Resumed {
  /** Where the next line chains on. */
  readonly position: Position;
  /** Whether the recorded line was found, unchanged, in the trail. */
  readonly confirmed: boolean;
  /** The seq the newest line claims (unverified, for messages). */
  readonly end: number;
}

/** How far past the recorded end the tail is looked at (a crash leaves well under a second of lines). */
const MAX_TAIL_LINES = 200_000;
const MAX_TAIL_BYTES = 64 * 1024 * 1024;

/**
 * Where new lines chain on: the authenticated end (the signed head or the vault's anchor,
 * whichever is further), extended only by lines after it whose MACs and links check out.
 * The end is never taken from a tail that does not: a trail cut short keeps its gap, since
 * the next line chains on from the recorded end, and verify reports the missing lines for
 * as long as the trail exists. With no record at all (a trail of an older version, or
 * both records deleted: verify says so) the newest line whose MAC checks out is the end.
 */
export async function resumePosition(files: readonly string[], key: KeyObject, recorded: Position | undefined): Promise<Resumed> {
  if (recorded === undefined) {
    let found: Position | undefined;
    let budget = MAX_TAIL_LINES;
    await forEachLineBackwards(files, (line) => {
      const check = checkLine(key, line);
      if (check.kind === 'ok') {
        found = { seq: check.seq, mac: check.mac };
        return false;
      }
      return --budget > 0;
    });
    return { position: found ?? { seq: 0, mac: GENESIS }, confirmed: true, end: found?.seq ?? 0 };
  }
  const after: string[] = [];
  let bytes = 0;
  let overflow = false;
  // The recorded line itself must be there, unchanged (genesis needs no line).
  let confirmed = recorded.seq === 0;
  let end: number | undefined;
  await forEachLineBackwards(files, (line) => {
    const seq = claimedSeq(line);
    end ??= seq;
    if (seq !== undefined && seq <= recorded.seq) {
      const check = checkLine(key, line);
      confirmed = check.kind === 'ok' && check.seq === recorded.seq && check.mac === recorded.mac;
      return false;
    }
    after.push(line);
    bytes += line.length;
    if (after.length > MAX_TAIL_LINES || bytes > MAX_TAIL_BYTES) {
      overflow = true;
      return false;
    }
    return true;
  });
  if (overflow) return { position: recorded, confirmed: true, end: end ?? 0 };
  let position = recorded;
  for (let i = after.length - 1; i >= 0; i--) {
    const check = checkLine(key, after[i] as string);
    if (check.kind !== 'ok' || check.seq !== position.seq + 1 || check.prev !== position.mac) break;
    position = { seq: check.seq, mac: check.mac };
  }
  return { position, confirmed, end: end ?? 0 };
}

/**
 * Cuts an unfinished last line (a write torn by a crash: every line is written whole,
 * newline included, so a file not ending in one ends in a line nobody was told of).
 * Returns the size after.
 */
export function cutTornLine(fd: number): number {
  const size = fstatSync(fd).size;
  if (size === 0) return 0;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  if (last[0] === 0x0a) return size;
  const window = Math.min(size, MAX_LINE + 1);
  const tail = Buffer.alloc(window);
  readSync(fd, tail, 0, window, size - window);
  const nl = tail.lastIndexOf(0x0a);
  const keep = nl < 0 ? (window === size ? 0 : size - window) : size - window + nl + 1;
  ftruncateSync(fd, keep);
  return keep;
}
