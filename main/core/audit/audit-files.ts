import { open, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * The audit trail on disk: the active file (`audit.jsonl`, appended to) and the sealed
 * segments it was rotated into, `audit.<last seq, 12 digits>.jsonl`, oldest first by name.
 * Readers here go through them in chunks, so memory stays flat whatever the trail's size.
 */
const SEALED = /^audit\.(\d{12})\.jsonl$/;
const CHUNK = 1024 * 1024;
/** A line longer than this is not one we wrote: it is reported as damaged, never held whole. */
export const MAX_LINE = 1024 * 1024;

export function sealedName(activeFile: string, lastSeq: number): string {
  return join(dirname(activeFile), `audit.${String(lastSeq).padStart(12, '0')}.jsonl`);
}

/** Every file of the trail, oldest first; the active file last (even when it does not exist yet). */
export async function trailFiles(activeFile: string): Promise<string[]> {
  const dir = dirname(activeFile);
  const names = await readdir(dir).catch(() => [] as string[]);
  const sealed = names.filter((n) => SEALED.test(n) && n !== basename(activeFile)).sort();
  return [...sealed.map((n) => join(dir, n)), activeFile];
}

/** A line too long to be ours, passed on in its place. */
export const OVERLONG = '\u0000overlong';

/**
 * Calls `onLine` for every line of the files in order (without the newline); a line
 * longer than MAX_LINE comes as OVERLONG. `onLine` returning false stops the reading.
 */
export async function forEachLine(files: readonly string[], onLine: (line: string) => boolean | void): Promise<void> {
  const buffer = Buffer.allocUnsafe(CHUNK);
  for (const file of files) {
    const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!handle) continue;
    try {
      let carry: Buffer | undefined;
      let overlong = false;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
        if (bytesRead === 0) break;
        let chunk = buffer.subarray(0, bytesRead);
        let start = 0;
        for (;;) {
          const nl = chunk.indexOf(0x0a, start);
          if (nl < 0) break;
          let line: string;
          if (carry) {
            line = overlong ? OVERLONG : Buffer.concat([carry, chunk.subarray(start, nl)]).toString('utf8');
            carry = undefined;
            overlong = false;
          } else line = nl - start > MAX_LINE ? OVERLONG : chunk.toString('utf8', start, nl);
          if (line.length > 0 && onLine(line) === false) return;
          start = nl + 1;
        }
        if (start < chunk.length) {
          chunk = chunk.subarray(start);
          if (overlong || (carry?.length ?? 0) + chunk.length > MAX_LINE) {
            overlong = true;
            carry = Buffer.alloc(0);
          } else carry = carry ? Buffer.concat([carry, chunk]) : Buffer.from(chunk);
        }
      }
      if (carry && (carry.length > 0 || overlong)) {
        const line = overlong ? OVERLONG : carry.toString('utf8');
        if (onLine(line) === false) return;
      }
    } finally {
      await handle.close();
    }
  }
}

/** Like forEachLine, newest line first (files newest first, each read from its end). */
export async function forEachLineBackwards(files: readonly string[], onLine: (line: string) => boolean | void): Promise<void> {
  for (const file of [...files].reverse()) {
    const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!handle) continue;
    try {
      let position = (await handle.stat()).size;
      // The bytes after the newest newline seen so far (the start of a line not yet complete).
      let carry: Buffer = Buffer.alloc(0);
      let overlong = false;
      while (position > 0) {
        const size = Math.min(CHUNK, position);
        position -= size;
        const chunk = Buffer.allocUnsafe(size);
        await handle.read(chunk, 0, size, position);
        let end = chunk.length;
        for (;;) {
          const nl = chunk.lastIndexOf(0x0a, end - 1);
          if (nl < 0) break;
          const line = overlong ? OVERLONG : Buffer.concat([chunk.subarray(nl + 1, end), carry]).toString('utf8');
          carry = Buffer.alloc(0);
          overlong = false;
          if (line.length > 0 && line.length <= MAX_LINE && onLine(line) === false) return;
          if (line.length > MAX_LINE && onLine(OVERLONG) === false) return;
          end = nl;
          if (end === 0) break;
        }
        if (end > 0) {
          if (overlong || carry.length + end > MAX_LINE) {
            overlong = true;
            carry = Buffer.alloc(0);
          } else carry = Buffer.concat([chunk.subarray(0, end), carry]);
        }
      }
      if (overlong) {
        if (onLine(OVERLONG) === false) return;
      } else if (carry.length > 0 && onLine(carry.toString('utf8')) === false) return;
    } finally {
      await handle.close();
    }
  }
}
