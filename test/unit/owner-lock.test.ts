import { describe, it, expect, afterEach } from 'vitest';
import { readdir, writeFile } from 'node:fs/promises';
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

  it('creates each generation with its content in one step, and release keeps the newest so numbers only grow', async () => {
    home = await tempHome();
    const file = join(home.dir, 'owner.lock');
    const first = await OwnerLock.acquire(file, 'sophon cli');
    expect(first.file).toBe(`${file}.1`);
    expect(await readLock(file)).toMatchObject({ owner: 'sophon cli', pid: process.pid });
    await first.release();
    expect(await readLock(file)).toBeUndefined();
    expect(await readdir(home.dir)).toEqual(['owner.lock.1']);
    const second = await OwnerLock.acquire(file, 'sophon serve');
    expect(second.file).toBe(`${file}.2`);
    expect(await readdir(home.dir)).toEqual(['owner.lock.2']);
    await second.relabel('Sophon Desktop');
    expect((await readLock(file))?.owner).toBe('Sophon Desktop');
    await second.release();
  });

  it('waits for an owner it is told to wait for, then takes the lock', async () => {
    home = await tempHome();
    const file = join(home.dir, 'owner.lock');
    const first = await OwnerLock.acquire(file, 'sophon cli');
    let waited = 0;
    const second = OwnerLock.acquire(file, 'sophon cli', { waitMs: 30_000, waitFor: (o) => o.owner === 'sophon cli', onWait: () => waited++ });
    await new Promise((r) => setTimeout(r, 300));
    await first.release();
    const lock = await second;
    expect(waited).toBe(1);
    expect((await readLock(file))?.token).toBe(lock.info.token);
    await lock.release();
  });
});
