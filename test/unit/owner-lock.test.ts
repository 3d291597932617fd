import { describe, it, expect, afterEach } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { OwnerLock, SophonError, readLock } from '../../main/core/index.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

let home: TempHome;
afterEach(async () => home?.dispose());

describe('owner lock', () => {
  it('refuses a second owner, naming the first', async () => {
    home = await tempHome();
    const file = join(home.dir, 'owner.lock');
    const first = await OwnerLock.acquire(file, 'sophon serve');
    const error = await OwnerLock.acquire(file, 'sophon cli').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SophonError);
    expect((error as SophonError).code).toBe('VAULT_OWNED');
    expect((error as SophonError).message).toContain(`sophon serve (pid ${process.pid}`);
    await first.release();
    const second = await OwnerLock.acquire(file, 'sophon cli');
    await second.release();
  });

  it('takes over a stale lock left by a dead process', async () => {
    home = await tempHome();
    const file = join(home.dir, 'owner.lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    await writeFile(file, JSON.stringify({ pid: deadPid, owner: 'sophon serve', hostname: hostname(), startedAt: new Date().toISOString(), token: 'old' }));
    const lock = await OwnerLock.acquire(file, 'sophon cli');
    expect((await readLock(file))?.pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over a damaged lock file', async () => {
    home = await tempHome();
    const file = join(home.dir, 'owner.lock');
    await writeFile(file, '{"pid":');
    const lock = await OwnerLock.acquire(file, 'sophon cli');
    await lock.release();
  });
});
