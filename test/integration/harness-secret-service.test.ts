// Proves the secret-service helper: a child process using @napi-rs/keyring reaches a private
// gnome-keyring through the private bus, fails without it, and dispose leaves nothing running.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSecretService, startSessionBus, type SecretService } from '../helpers/secret-service.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `node` with a keyring script; `store` pins @napi-rs/keyring to one Linux store (it otherwise falls back to keyutils). */
function keyring(env: Record<string, string>, body: string, store?: 'secret-service'): Promise<Run> {
  const options = store ? `{ linux: { store: '${store}' } }` : 'undefined';
  const script = `import { AsyncEntry } from '@napi-rs/keyring';
try { const entry = new AsyncEntry('sophon-harness', 'alice', ${options}); ${body} } catch (err) { console.error('keyring error:', err.message); process.exit(3); }`;
  return run(process.execPath, ['--input-type=module', '-e', script], env);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Live processes whose command line or environment mentions `dir` (catches anything the daemons spawned). */
async function processesMentioning(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
    if (Number(pid) === process.pid) continue;
    try {
      const [cmdline, environ] = await Promise.all([readFile(`/proc/${pid}/cmdline`, 'utf8'), readFile(`/proc/${pid}/environ`, 'utf8')]);
      if (cmdline.includes(dir) || environ.includes(dir)) found.push(`${pid} ${cmdline.replaceAll('\0', ' ')}`);
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

describe('secret-service harness', () => {
  let service: SecretService;
  beforeAll(async () => {
    service = await startSecretService();
  });
  afterAll(async () => service?.dispose());

  it('gives a child process a working Secret Service through env alone', async () => {
    expect(Object.keys(service.env)).toEqual(['DBUS_SESSION_BUS_ADDRESS']);
    const set = await keyring({ ...service.env }, `await entry.setPassword('s3cret-value'); console.log(await entry.getPassword());`);
    expect(set.stderr).not.toContain('keyring error');
    expect(set.code).toBe(0);
    expect(set.stdout.trim()).toBe('s3cret-value');

    // A second process (and secret-tool) sees it: it is really stored in gnome-keyring, not in a kernel keyring.
    const again = await keyring({ ...service.env }, `console.log(await entry.getPassword());`, 'secret-service');
    expect(again.stdout.trim()).toBe('s3cret-value');
    const lookup = await run('secret-tool', ['lookup', 'service', 'sophon-harness', 'username', 'alice'], { ...service.env });
    expect(lookup.stdout).toBe('s3cret-value');
  });

  it('fails with a D-Bus error when no bus is reachable', async () => {
    const result = await keyring({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${service.dir}/no-such-socket` }, `await entry.setPassword('x');`, 'secret-service');
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/keyring error: .*DBus error/);
  });

  it('fails when the bus is up but nothing provides org.freedesktop.secrets (no activation on the test bus)', async () => {
    const bus = await startSessionBus();
    try {
      const result = await keyring({ ...bus.env }, `await entry.setPassword('x');`, 'secret-service');
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('keyring error');
      expect(await processesMentioning(bus.dir)).toHaveLength(1); // the bus itself, nothing activated
    } finally {
      await bus.dispose();
    }
  });

  it('keeps separate instances separate and never touches the real HOME', async () => {
    const other = await startSecretService();
    try {
      const read = await keyring({ ...other.env }, `console.log(String(await entry.getPassword()));`, 'secret-service');
      expect(read.stdout.trim()).not.toBe('s3cret-value');
      expect(other.dir).not.toBe(service.dir);
    } finally {
      await other.dispose();
    }
  });
});

describe('secret-service dispose', () => {
  it('stops both daemons and removes the temp dir, leaving no process behind', async () => {
    const service = await startSecretService();
    const pids = service.pids;
    expect(pids).toHaveLength(2); // dbus-daemon and gnome-keyring-daemon (gdbus wait has exited)
    for (const pid of pids) expect(alive(pid)).toBe(true);
    expect(await processesMentioning(service.dir)).toHaveLength(2);

    await service.dispose();
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(await processesMentioning(service.dir)).toEqual([]);
    expect(existsSync(service.dir)).toBe(false);
    await service.dispose(); // idempotent
  });
});
