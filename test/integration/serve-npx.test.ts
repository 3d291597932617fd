// `npx sophon serve` killed with SIGTERM (what a service manager or `kill` sends): npx does
// not pass the signal on, so the server has to notice that its launcher is gone, and stop.
import { describe, it, expect, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { readLock } from '../../main/core/index.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
let home: TempHome | undefined;
let servePid: number | undefined;

afterAll(async () => {
  if (servePid !== undefined) {
    try {
      process.kill(servePid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
  await home?.dispose();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('npx sophon serve', () => {
  it('stops, releasing the vault, when npx is killed', async () => {
    home = await tempHome();
    const env = {
      PATH: process.env['PATH'],
      HOME: home.dir,
      SOPHON_HOME: join(home.dir, 'sophon'),
      SOPHON_VAULT_PASSPHRASE: 'npx serve passphrase',
      // npx's own cache in the temp home, and no registry: it runs this checkout's bin.
      npm_config_cache: join(home.dir, 'npm-cache'),
      npm_config_offline: 'true',
      npm_config_update_notifier: 'false',
    };
    const npx = spawn('npx', ['sophon', 'serve'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    npx.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const lock = join(env.SOPHON_HOME, 'run', 'owner.lock');
    await until(() => /listening on/.test(stderr), `sophon serve to listen (stderr: ${stderr})`);
    servePid = (await readLock(lock))?.pid;
    expect(servePid).not.toBe(npx.pid);

    npx.kill('SIGTERM');
    await until(() => !alive(servePid!), 'the server to stop');
    expect(await readLock(lock)).toBeUndefined();
    expect(existsSync(join(env.SOPHON_HOME, 'run', 'sophon.sock'))).toBe(false);
  });
});
