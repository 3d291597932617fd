import { open, readFile, readdir, unlink, rename, link } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { SophonError } from '../errors.ts';

export const LockInfo = z.object({
  pid: z.number().int().positive(),
  owner: z.string(),
  hostname: z.string(),
  startedAt: z.string(),
  token: z.string(),
  /** Set when the owner let go: the file stays (see OwnerLock) but names no owner. */
  released: z.boolean().optional(),
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

/** True when the lock names a live process on this machine (or one on another machine, which we cannot check). */
export function lockIsLive(info: LockInfo): boolean {
  return info.released !== true && (info.hostname !== hostname() || alive(info.pid));
}

export function describeOwner(info: LockInfo): string {
  return `${info.owner} (pid ${info.pid} on ${info.hostname}, since ${info.startedAt})`;
}

async function readInfo(file: string): Promise<LockInfo | undefined> {
  try {
    return LockInfo.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return undefined;
  }
}

interface Generation {
  readonly number: number;
  readonly file: string;
}

/**
 * The lock's generations in its directory, newest first. `owner.lock` itself (what
 * versions before generations wrote) counts as generation 0.
 */
async function generations(base: string): Promise<Generation[]> {
  const dir = dirname(base);
  const stem = basename(base);
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const found: Generation[] = [];
  for (const name of names) {
    if (name === stem) found.push({ number: 0, file: base });
    else if (name.startsWith(`${stem}.`)) {
      const rest = name.slice(stem.length + 1);
      if (/^[1-9][0-9]{0,14}$/.test(rest)) found.push({ number: Number(rest), file: join(dir, name) });
    }
  }
  return found.sort((a, b) => b.number - a.number);
}

/** Who holds the lock now: the newest generation, unless it was released. */
export async function readLock(base: string): Promise<LockInfo | undefined> {
  const [top] = await generations(base);
  if (!top) return undefined;
  const info = await readInfo(top.file);
  return info?.released ? undefined : info;
}

export interface AcquireOptions {
  /** How long to wait for a live owner that `waitFor` accepts (e.g. another one-shot command) to let go. */
  readonly waitMs?: number;
  readonly waitFor?: (owner: LockInfo) => boolean;
  /** Told once when acquire starts waiting. */
  readonly onWait?: (owner: LockInfo) => void;
}

/**
 * One owner per vault, without a kernel lock (Node has none that works on every
 * platform). The lock is a series of generation files `owner.lock.<n>`; the newest one
 * says who owns the vault. Three rules make it race-free:
 *
 * - A generation is created with its content in one step: written to a temp file, then
 *   hard-linked to its name, which fails if the name exists. Nobody ever sees it empty.
 * - Only the next number after one whose owner is dead (or that was released) may be
 *   created, and only one process can create a given number. Stale takeover is "create
 *   n+1", never "delete n", so two takers cannot both win.
 * - The newest generation is never removed (release marks it released), so the newest
 *   number only grows. A slow process that created a number lower than the newest (in
 *   a gap left by clean-up) sees the newer one when it checks again, and backs off.
 */
export class OwnerLock {
  private released = false;

  private constructor(
    readonly file: string,
    readonly info: LockInfo,
  ) {}

  static async acquire(base: string, owner: string, options: AcquireOptions = {}): Promise<OwnerLock> {
    const info: LockInfo = { pid: process.pid, owner, hostname: hostname(), startedAt: new Date().toISOString(), token: randomBytes(8).toString('hex') };
    const deadline = Date.now() + (options.waitMs ?? 0);
    let waited = false;
    for (let attempt = 0; ; attempt++) {
      const [top] = await generations(base);
      if (top) {
        const holder = await readInfo(top.file);
        // Content is written atomically, so an unreadable generation is damage, not a writer at work: take it over.
        if (holder && lockIsLive(holder)) {
          if (options.waitFor?.(holder) && Date.now() < deadline) {
            if (!waited) options.onWait?.(holder);
            waited = true;
            await pause(50 + Math.random() * 100);
            continue;
          }
          throw new SophonError('VAULT_OWNED', `the vault is already open in ${describeOwner(holder)} — use that one, or stop it first`);
        }
      }
      const number = (top?.number ?? 0) + 1;
      const file = `${base}.${number}`;
      if (await createWith(file, info)) {
        const [newest] = await generations(base);
        if (newest && newest.number > number) {
          // We were slow and wrote into a gap below a newer generation: it is not ours to own.
          await unlink(file).catch(() => undefined);
        } else {
          await removeOlder(base, number);
          return new OwnerLock(file, info);
        }
      }
      if (attempt > 1000) {
        throw new SophonError('VAULT_OWNED', `could not take the vault lock ${base} — other processes keep taking it; stop other Sophon processes and retry`);
      }
      // Lost a race: look again (the winner is live now, so the next look refuses or waits).
      if (attempt > 3) await pause(Math.random() * 20);
    }
  }

  /** Rewrites the owner name (e.g. once a host knows what it serves), in one step. */
  async relabel(owner: string): Promise<void> {
    (this.info as { owner: string }).owner = owner;
    await replaceWith(this.file, this.info);
  }

  /** Lets go: the generation stays, marked released, so the newest number never goes down. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const current = await readInfo(this.file);
    if (current?.token === this.info.token) await replaceWith(this.file, { ...this.info, released: true }).catch(() => undefined);
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function writeTemp(target: string, info: LockInfo): Promise<string> {
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(info));
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw error;
  } finally {
    await handle.close().catch(() => undefined);
  }
  return tmp;
}

/** Creates `file` holding `info`, or false when it exists already. */
async function createWith(file: string, info: LockInfo): Promise<boolean> {
  const tmp = await writeTemp(file, info);
  try {
    await link(tmp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function replaceWith(file: string, info: LockInfo): Promise<void> {
  const tmp = await writeTemp(file, info);
  try {
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}

/** Generations below ours, and temp files of processes that died while writing one. */
async function removeOlder(base: string, ours: number): Promise<void> {
  for (const old of await generations(base)) {
    if (old.number < ours) await unlink(old.file).catch(() => undefined);
  }
  const dir = dirname(base);
  const prefix = `.${basename(base)}.`;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(/\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) await unlink(join(dir, name)).catch(() => undefined);
  }
}
