import { open, readFile, unlink, rename, writeFile, link } from 'node:fs/promises';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { SophonError } from '../errors.ts';

export const LockInfo = z.object({
  pid: z.number().int().positive(),
  owner: z.string(),
  hostname: z.string(),
  startedAt: z.string(),
  token: z.string(),
});
export type LockInfo = z.infer<typeof LockInfo>;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function readLock(file: string): Promise<LockInfo | undefined> {
  try {
    return LockInfo.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return undefined;
  }
}

/** True when the lock names a live process on this machine. */
export function lockIsLive(info: LockInfo): boolean {
  return info.hostname !== hostname() || alive(info.pid);
}

export function describeOwner(info: LockInfo): string {
  return `${info.owner} (pid ${info.pid} on ${info.hostname}, since ${info.startedAt})`;
}

/**
 * One owner per vault: an exclusive-create lock file under run/. A lock left by a dead
 * process on this host is taken over; a live one is refused with its owner's name.
 */
export class OwnerLock {
  private released = false;

  private constructor(
    readonly file: string,
    readonly info: LockInfo,
  ) {}

  static async acquire(file: string, owner: string): Promise<OwnerLock> {
    const info: LockInfo = { pid: process.pid, owner, hostname: hostname(), startedAt: new Date().toISOString(), token: randomBytes(8).toString('hex') };
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const handle = await open(file, 'wx', 0o600);
        try {
          await handle.writeFile(JSON.stringify(info));
          await handle.sync();
        } finally {
          await handle.close();
        }
        return new OwnerLock(file, info);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const existing = await readLock(file);
      if (existing && lockIsLive(existing)) {
        throw new SophonError('VAULT_OWNED', `the vault is already open in ${describeOwner(existing)} — use that one, or stop it first`);
      }
      // Stale (dead owner) or half-written: move it aside atomically so only one taker wins.
      const aside = `${file}.stale-${randomBytes(4).toString('hex')}`;
      try {
        await rename(file, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        continue;
      }
      const moved = await readLock(aside);
      if (moved && existing && moved.token !== existing.token && lockIsLive(moved)) {
        // Another process took the stale lock between our read and our rename: give it back.
        await link(aside, file).catch(() => undefined);
        await unlink(aside).catch(() => undefined);
        throw new SophonError('VAULT_OWNED', `the vault is already open in ${describeOwner(moved)} — use that one, or stop it first`);
      }
      await unlink(aside).catch(() => undefined);
    }
    throw new SophonError('VAULT_OWNED', `could not take the vault lock ${file} — another process keeps taking it; stop other Sophon processes and retry`);
  }

  /** Rewrites the owner name (e.g. once a host knows what it serves). */
  async relabel(owner: string): Promise<void> {
    (this.info as { owner: string }).owner = owner;
    await writeFile(this.file, JSON.stringify(this.info), { mode: 0o600 });
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const current = await readLock(this.file);
    if (current?.token === this.info.token) await unlink(this.file).catch(() => undefined);
  }
}
