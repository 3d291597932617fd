// A damaged vault: doctor says FAIL and names the fix; `sophon vault restore` says what the
// backup holds and what would be lost, asks, and brings the backup back without deleting anything.
import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli, startCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { disposeAfterEach } from '../helpers/cleanup.ts';
import { breakIndexMac, breakLastSegment } from '../helpers/vault-damage.ts';
import { SOPHON, shellCommand, startTerminal, type Terminal } from '../helpers/terminal.ts';

const PASSPHRASE = 'restore test passphrase';
const disposeLater = disposeAfterEach();
let home: TempHome | undefined;
let terminal: Terminal | undefined;

/**
 * A vault holding openrouter:a and openrouter:b, whose backup is the copy from before b was
 * added. (Each write keeps the previous file as the backup, and the owner's own bookkeeping,
 * the audit anchor, writes once more after a change: so the backup is usually only that
 * write behind. Here it is set to an older copy, to see what a restore then says.)
 */
async function twoConnections(): Promise<{ env: NodeJS.ProcessEnv; vault: string }> {
  home = disposeLater(await tempHome());
  const env = { SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: PASSPHRASE, HOME: home.dir };
  const vault = join(home.dir, 'config', 'vault.enc');
  const add = (label: string) => runCli(['connect', 'add', 'openrouter', '--label', label], { env, input: `sk-or-v1-${label.repeat(32)}` });
  expect((await add('a')).code).toBe(0);
  const withA = await readFile(vault);
  expect((await add('b')).code).toBe(0);
  await writeFile(`${vault}.bak`, withA);
  return { env, vault };
}

function failLines(stdout: string): string[] {
  return stdout.split('\n').filter((line) => line.startsWith('FAIL'));
}

describe('a damaged vault, piped (scripts)', () => {
  it('doctor fails it and names the restore; restore --yes says what is lost and brings the backup back', async () => {
    const { env, vault } = await twoConnections();
    const damaged = await breakIndexMac(vault);

    const doctor = await runCli(['doctor'], { env });
    expect(doctor.code).toBe(1);
    expect(failLines(doctor.stdout)).toEqual([
      `FAIL  vault        ${vault} failed its integrity check (its index does not match its contents (a segment was replaced or rolled back)) — the backup is intact (1 connection (openrouter:a)): run \`sophon vault restore\`, which says what would be lost and asks first`,
    ]);

    // Without a terminal to ask, nothing happens unless --yes says so.
    const asked = await runCli(['vault', 'restore'], { env });
    expect(asked.code).toBe(1);
    expect(asked.stderr).toMatch(/^sophon: restoring replaces vault\.enc and there is no terminal to ask — .*--yes`\n$/);
    expect(asked.stdout).toContain('Restoring the backup loses:\n  - connection openrouter:b (added since the backup)\n');
    expect(await readFile(vault)).toEqual(damaged);

    const restore = await runCli(['vault', 'restore', '--yes'], { env });
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(/^vault\.enc: DAMAGED \(its index does not match its contents .*\), written .* UTC: 2 connections \(openrouter:a, openrouter:b\)\n/);
    expect(restore.stdout).toMatch(/\nvault\.enc\.bak: intact, written .* UTC: 1 connection \(openrouter:a\)\n/);
    expect(restore.stdout).toContain('Restoring the backup loses:\n  - connection openrouter:b (added since the backup)\n');
    expect(restore.stdout).toMatch(/restored vault\.enc from the backup: it opens and holds 1 connection; the replaced vault is kept as .*vault\.enc\.replaced-/);

    const list = JSON.parse((await runCli(['connect', 'list', '--json'], { env })).stdout) as Array<{ label: string }>;
    expect(list.map((c) => c.label)).toEqual(['a']);
    const kept = (await readdir(join(home!.dir, 'config'))).filter((name) => name.startsWith('vault.enc.replaced-'));
    expect(kept).toHaveLength(1);
    expect(await readFile(join(home!.dir, 'config', kept[0]!))).toEqual(damaged);

    const audit = JSON.parse((await runCli(['audit', '--json'], { env })).stdout) as { entries: Array<{ action: string; detail?: Record<string, unknown> }> };
    const restored = audit.entries.find((e) => e.action === 'vault.restore');
    expect(restored?.detail).toMatchObject({ lost: 1, returned: 0 });
    expect(audit.entries.map((e) => e.action)).not.toContain('audit.finding');
    // The restore the person asked for is a line of the trail, not tampering: verify stays clean,
    // and a later open does not flag the restored (older) vault again.
    const verify = JSON.parse((await runCli(['audit', 'verify', '--json'], { env })).stdout) as { problems: Array<{ problem: string }> };
    expect(verify.problems).toEqual([]);
    const after = await runCli(['doctor'], { env });
    expect(failLines(after.stdout)).toEqual([]);
    expect(after.code).toBe(0);
  });

  it('says when part of the damaged vault cannot be read at all', async () => {
    const { env, vault } = await twoConnections();
    await breakLastSegment(vault);
    const doctor = await runCli(['doctor'], { env });
    expect(doctor.code).toBe(1);
    expect(failLines(doctor.stdout)[0]).toMatch(/failed its integrity check \(1 of 64 segments does not decrypt\) — the backup is intact .*`sophon vault restore`/);
    const restore = await runCli(['vault', 'restore', '--yes'], { env });
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toContain('  - whatever the 1 unreadable segment of vault.enc held that the backup does not (cannot be read any more)\n');
  });

  it('with vault.enc gone and its backup there, doctor points at restore, which puts it back', async () => {
    const { env, vault } = await twoConnections();
    await rm(vault);
    const doctor = await runCli(['doctor'], { env });
    expect(failLines(doctor.stdout)).toEqual([`FAIL  vault        ${vault} is missing but its backup is there — the backup is intact (1 connection (openrouter:a)): run \`sophon vault restore\``]);
    const restore = await runCli(['vault', 'restore', '--yes'], { env });
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toMatch(/^vault\.enc: not there\n/);
    expect(restore.stdout).toContain('Restoring the backup loses nothing that can still be read.');
    expect(restore.stdout).toMatch(/it opens and holds 1 connection\n$/);
  });

  it('refuses while an owner holds the vault, and changes nothing', async () => {
    const { env, vault } = await twoConnections();
    const before = await readFile(vault);
    const serve = startCli(['serve'], { env, ready: /listening on/ });
    await serve.ready;
    try {
      const restore = await runCli(['vault', 'restore', '--yes'], { env });
      expect(restore.code).toBe(1);
      expect(restore.stderr).toMatch(/^sophon: the vault is already open in sophon serve \(pid \d+.*\) — stop it first .*, then run `sophon vault restore` again\n$/);
    } finally {
      await serve.stop();
    }
    expect(await readFile(vault)).toEqual(before);
  });

  it('has nothing to restore from without a backup', async () => {
    home = disposeLater(await tempHome());
    const env = { SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: PASSPHRASE };
    const restore = await runCli(['vault', 'restore', '--yes'], { env });
    expect(restore.code).toBe(1);
    expect(restore.stderr).toMatch(/^sophon: there is no backup to restore from \(.*vault\.enc\.bak does not exist\) — nothing was changed\n$/);
    expect(existsSync(join(home.dir, 'config', 'vault.enc'))).toBe(false);
  });
});

describe('a damaged vault, in a terminal with no variable', () => {
  it('doctor asks the passphrase to check it and says FAIL; restore asks before replacing, and "n" changes nothing', async () => {
    const { vault } = await twoConnections();
    const damaged = await breakIndexMac(vault);
    const sophon = (...args: string[]) => shellCommand(process.execPath, SOPHON, ...args);

    terminal = disposeLater(await startTerminal(sophon('doctor'), { env: { SOPHON_HOME: home!.dir } }));
    await terminal.answer(/Vault passphrase, to check vault\.enc \(Enter skips\):$/, PASSPHRASE);
    expect(await terminal.exitCode()).toBe(1);
    const report = await terminal.screen();
    expect(report).toMatch(/^Vault passphrase, to check vault\.enc \(Enter skips\):\nok {4}home/);
    expect(report).toMatch(/FAIL {2}vault +.*failed its integrity check .* run `sophon vault restore`/);
    expect(report).not.toContain(PASSPHRASE);
    await terminal.dispose();

    terminal = disposeLater(await startTerminal(sophon('vault', 'restore'), { env: { SOPHON_HOME: home!.dir } }));
    await terminal.answer(/Vault passphrase:$/, PASSPHRASE);
    await terminal.answer(/connection openrouter:b \(added since the backup\)[\s\S]*Replace vault\.enc with the backup\? \[y\/N\]$/, 'n');
    await terminal.waitFor(/sophon: nothing was changed/);
    expect(await terminal.exitCode()).toBe(1);
    expect(await readFile(vault)).toEqual(damaged);
    await terminal.dispose();

    terminal = disposeLater(await startTerminal(sophon('vault', 'restore'), { env: { SOPHON_HOME: home!.dir } }));
    await terminal.answer(/Vault passphrase:$/, PASSPHRASE);
    await terminal.answer(/\[y\/N\]$/, 'y');
    await terminal.waitFor(/restored vault\.enc from the backup: it opens and holds 1 connection/);
    expect(await terminal.exitCode()).toBe(0);
  });
});
