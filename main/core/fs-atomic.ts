import { open, rename, link, unlink, readFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` with `data` so that a crash at any point leaves either the old or the
 * new file whole: temp file, fsync, rename, fsync of the directory. With `backup`, the
 * file being replaced is kept there first (a hard link, so it costs no copy).
 */
export async function atomicWrite(path: string, data: Uint8Array | string | readonly Buffer[], options: { backup?: string; mode?: number } = {}): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', options.mode ?? 0o600);
  try {
    if (Array.isArray(data)) {
      let pending: readonly Buffer[] = data;
      while (pending.length > 0) {
        const { bytesWritten } = await handle.writev(pending as Buffer[]);
        pending = skipWritten(pending, bytesWritten);
      }
    } else {
      await handle.writeFile(data as Uint8Array | string);
    }
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    if (options.backup) {
      const staged = `${options.backup}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await link(path, staged);
        await rename(staged, options.backup);
      } catch (error) {
        await unlink(staged).catch(() => undefined);
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  await fsyncDir(dir);
}

function skipWritten(buffers: readonly Buffer[], written: number): Buffer[] {
  const rest: Buffer[] = [];
  let skip = written;
  for (const buffer of buffers) {
    if (skip >= buffer.length) {
      skip -= buffer.length;
      continue;
    }
    rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
    skip = 0;
  }
  return rest;
}

export async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
