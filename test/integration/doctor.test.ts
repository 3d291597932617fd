// `sophon doctor` is where every error message sends people: each line must be true, and
// each FAIL must name its fix. Here the states it used to call "ok": a read-only or foreign
// SOPHON_HOME, a keyring that does not answer; and the owner running (one protector line).
import { describe, it, expect, afterEach } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BIN, runCli, startCli, type CliResult } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { startSecretService, startSessionBus, type SessionBus } from '../helpers/secret-service.ts';

const run = promisify(execFile);
const PASSPHRASE = 'doctor test passphrase';
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function home(): Promise<TempHome> {
  const made = await tempHome();
  cleanups.push(() => made.dispose());
  return made;
}

interface Line {
  readonly status: string;
  readonly name: string;
  readonly detail: string;
}

function lines(result: CliResult): Line[] {
  return result.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const match = /^(ok|FAIL|WARN|info)\s+(\S+)\s+(.*)$/.exec(line);
      if (!match) throw new Error(`not a doctor line: ${line}`);
      return { status: match[1]!, name: match[2]!, detail: match[3]! };
    });
}

function expectEveryFailNamesAFix(checks: readonly Line[]): void {
  for (const check of checks.filter((c) => c.status === 'FAIL')) expect(check.detail, check.name).toMatch(/ — .+/);
}

async function withOneConnection(env: NodeJS.ProcessEnv): Promise<void> {
  const add = await runCli(['connect', 'add', 'openrouter'], { env, input: 'sk-or-v1-doctor0123456789abcdef0123' });
  expect(add.code, add.stderr).toBe(0);
}

const root = process.getuid?.() === 0;

describe('sophon doctor', () => {
  it('with the owner running: one protector line, the owner answering, nothing failing', async () => {
    const h = await home();
    const env = { SOPHON_HOME: h.dir, SOPHON_VAULT_PASSPHRASE: PASSPHRASE, HOME: h.dir };
    await withOneConnection(env);
    const serve = startCli(['serve'], { env, ready: /listening on/ });
    cleanups.push(() => serve.stop());
    await serve.ready;
    const doctor = await runCli(['doctor'], { env: { SOPHON_HOME: h.dir, HOME: h.dir } });
    const checks = lines(doctor);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(checks.filter((c) => c.name === 'protector')).toEqual([{ status: 'ok', name: 'protector', detail: 'passphrase (scrypt N=2^17, r=8, p=1)' }]);
    expect(checks.find((c) => c.name === 'owner')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^open in sophon serve \(pid \d+/) });
    expect(checks.find((c) => c.name === 'vault')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/open in the owner, \d+ records$/) });
    expect(checks.filter((c) => c.status === 'FAIL')).toEqual([]);
  });

  it.skipIf(!root)('FAIL for a SOPHON_HOME on a read-only file system, naming the fix; commands say the same in one line', async () => {
    const h = await home();
    const env = { SOPHON_HOME: h.dir, SOPHON_VAULT_PASSPHRASE: PASSPHRASE, HOME: h.dir };
    await withOneConnection(env);
    // A read-only bind mount of the home, in a mount namespace of this command only: nothing leaks out.
    const readOnly = (...args: string[]) =>
      spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$@"', h.dir, process.execPath, BIN, ...args], {
        env: { PATH: process.env['PATH'], ...env },
        encoding: 'utf8',
      });
    const doctor = readOnly('doctor');
    expect(doctor.status, doctor.stderr).toBe(1);
    const checks = lines({ code: doctor.status ?? -1, stdout: doctor.stdout, stderr: doctor.stderr });
    expect(checks.find((c) => c.name === 'home')).toEqual({ status: 'FAIL', name: 'home', detail: `${h.dir}/config is not writable (EROFS) — it is on a read-only file system: set SOPHON_HOME to a directory on a writable one; ${h.dir}/run is not writable (EROFS) — it is on a read-only file system: set SOPHON_HOME to a directory on a writable one; ${h.dir}/audit is not writable (EROFS) — it is on a read-only file system: set SOPHON_HOME to a directory on a writable one` });
    expectEveryFailNamesAFix(checks);

    const list = readOnly('connect', 'list');
    expect(list.status).toBe(1);
    expect(list.stderr).toBe(`sophon: cannot write in ${h.dir}/run (EROFS) — it is on a read-only file system: set SOPHON_HOME to a directory on a writable one\n`);
  });

  it.skipIf(!root)('FAIL for a SOPHON_HOME that is not yours (EACCES), naming chown/chmod; commands say which path', async () => {
    // A directory owned by root, used by an ordinary user (nobody), as after `sudo sophon …`.
    const parent = await mkdtemp(join(tmpdir(), 'sophon-foreign-'));
    cleanups.push(() => rm(parent, { recursive: true, force: true }));
    await chmod(parent, 0o755);
    const dir = join(parent, 'home');
    await mkdir(join(dir, 'config'), { recursive: true, mode: 0o755 });
    await chmod(dir, 0o755);
    const asNobody = (...args: string[]) =>
      spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, ...args], {
        env: { PATH: process.env['PATH'], SOPHON_HOME: dir, SOPHON_VAULT_PASSPHRASE: PASSPHRASE, HOME: parent },
        encoding: 'utf8',
      });
    const probe = asNobody('--version');
    if (probe.status !== 0) return; // this checkout is not readable by other users: nothing to learn here
    const doctor = asNobody('doctor');
    const checks = lines({ code: doctor.status ?? -1, stdout: doctor.stdout, stderr: doctor.stderr });
    expect(doctor.status).toBe(1);
    expect(checks.find((c) => c.name === 'home')?.detail).toContain(`${dir}/config is not writable (EACCES) — Sophon's directories must be yours with mode 0700: run \`chown -R "$(id -un)" ${dir}/config\` and \`chmod 700 ${dir}/config\`, or set SOPHON_HOME to a directory you own`);
    expectEveryFailNamesAFix(checks);
    const add = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, 'connect', 'add', 'openrouter'], {
      env: { PATH: process.env['PATH'], SOPHON_HOME: dir, SOPHON_VAULT_PASSPHRASE: PASSPHRASE, HOME: parent },
      input: 'sk-or-v1-x',
      encoding: 'utf8',
    });
    expect(add.status).toBe(1);
    expect(add.stderr).toBe(`sophon: cannot make ${dir} private (mode 0700) (EPERM) — Sophon's directories must be yours with mode 0700: run \`chown -R "$(id -un)" ${dir}\` and \`chmod 700 ${dir}\`, or set SOPHON_HOME to a directory you own\n`);
    expect(add.stderr).not.toMatch(/unexpected|report it/);
  });

  describe('a keyring that does not answer', () => {
    async function keyringVault(): Promise<{ dir: string; bus: SessionBus }> {
      const secrets = await startSecretService();
      cleanups.push(() => secrets.dispose());
      const h = await home();
      // No variable: a new vault is sealed by the keyring when it answers.
      const add = await runCli(['connect', 'add', 'openrouter'], { env: { SOPHON_HOME: h.dir, HOME: h.dir, ...secrets.env }, input: 'sk-or-v1-keyring0123456789abcdef' });
      expect(add.code, add.stderr).toBe(0);
      await secrets.dispose();
      // The session bus is back, but no Secret Service is on it (gnome-keyring stopped or never started).
      const bus = await startSessionBus();
      cleanups.push(() => bus.dispose());
      return { dir: h.dir, bus };
    }

    it('FAIL for a keyring vault whose keyring is gone, and no advice to set a passphrase', async () => {
      const { dir, bus } = await keyringVault();
      const env = { SOPHON_HOME: dir, HOME: dir, ...bus.env };
      const doctor = await runCli(['doctor'], { env });
      expect(doctor.code).toBe(1);
      const checks = lines(doctor);
      expect(checks.find((c) => c.name === 'keyring')).toMatchObject({ status: 'FAIL', detail: expect.stringMatching(/^the OS keyring does not answer \(.+\) — this vault's key is there: start and unlock your Secret Service/) });
      expect(checks.find((c) => c.name === 'vault')).toMatchObject({ status: 'FAIL', detail: expect.stringContaining('is sealed by the OS keyring, which does not answer, so it cannot be opened or checked — start and unlock your Secret Service') });
      expect(checks.filter((c) => c.name === 'protector')).toEqual([{ status: 'FAIL', name: 'protector', detail: 'OS keyring, which does not answer — start and unlock your Secret Service' }]);
      expectEveryFailNamesAFix(checks);

      const list = await runCli(['connect', 'list'], { env });
      expect(list.code).toBe(1);
      expect(list.stderr).toMatch(/^sophon: this vault's key is in the OS keyring, which did not answer \(.+\) — start and unlock your Secret Service .*; a passphrase cannot open it\n$/);
      expect(list.stderr).not.toContain('SOPHON_VAULT_PASSPHRASE');
    });

    it('FAIL when the bus accepts and never replies (no answer in time), instead of hanging', async () => {
      const { dir } = await keyringVault();
      const sockDir = await mkdtemp(join(tmpdir(), 'sophon-silent-bus-'));
      cleanups.push(() => rm(sockDir, { recursive: true, force: true }));
      const path = join(sockDir, 'bus');
      const held = new Set<Socket>();
      const silent: Server = createServer((socket) => void held.add(socket));
      await new Promise<void>((resolve) => silent.listen(path, resolve));
      cleanups.push(async () => {
        for (const socket of held) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      });
      const doctor = await runCli(['doctor'], { env: { SOPHON_HOME: dir, HOME: dir, DBUS_SESSION_BUS_ADDRESS: `unix:path=${path}` }, timeoutMs: 60_000 });
      expect(doctor.code).toBe(1);
      expect(lines(doctor).find((c) => c.name === 'keyring')).toMatchObject({ status: 'FAIL', detail: expect.stringMatching(/^the OS keyring does not answer \(no answer within 5 s\) — /) });
    });

    it('for a passphrase vault, a silent keyring is only information', async () => {
      const h = await home();
      const env = { SOPHON_HOME: h.dir, SOPHON_VAULT_PASSPHRASE: PASSPHRASE, HOME: h.dir };
      await withOneConnection(env);
      const bus = await startSessionBus();
      cleanups.push(() => bus.dispose());
      const doctor = await runCli(['doctor'], { env: { ...env, ...bus.env } });
      expect(doctor.code, doctor.stdout).toBe(0);
      expect(lines(doctor).find((c) => c.name === 'keyring')).toMatchObject({ status: 'info', detail: expect.stringMatching(/does not answer .* — a vault sealed by a passphrase does not need it$/) });
      expect(lines(doctor).find((c) => c.name === 'vault')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/intact, 1 connection \(openrouter:default\)$/) });
    });
  });

  it('FAIL for an invalid custom connector, naming the file', async () => {
    const h = await home();
    await mkdir(join(h.dir, 'connectors'), { recursive: true });
    await run('sh', ['-c', `printf '{"id":"acme","name":"Acme"}' > ${join(h.dir, 'connectors', 'acme.json')}`]);
    const doctor = await runCli(['doctor'], { env: { SOPHON_HOME: h.dir, SOPHON_VAULT_PASSPHRASE: PASSPHRASE } });
    const connectors = lines(doctor).find((c) => c.name === 'connectors');
    expect(connectors?.status).toBe('FAIL');
    expect(connectors?.detail).toMatch(/acme\.json: .+ — fix or remove the file/);
  });
});
