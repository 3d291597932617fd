import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { runCli } from '../helpers/run-cli.ts';
import { startSecretService, startSessionBus, type SecretService } from '../helpers/secret-service.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

const KEY = 'sk-or-v1-KEYRINGCANARY0123456789';
let keyring: SecretService;
let home: TempHome;

beforeAll(async () => {
  keyring = await startSecretService();
  home = await tempHome();
});
afterAll(async () => {
  await keyring?.dispose();
  await home?.dispose();
});

describe('OS keyring protector against a real Secret Service (gnome-keyring on a private D-Bus)', () => {
  it('seals a new vault in the keyring when no passphrase is set, and opens it again', async () => {
    const env = { SOPHON_HOME: home.dir, HOME: home.dir, ...keyring.env };
    const add = await runCli(['connect', 'add', 'openrouter'], { env, input: KEY });
    expect(add.code, add.stderr).toBe(0);
    const vault = await readFile(join(home.dir, 'config', 'vault.enc'));
    const header = JSON.parse(vault.subarray(15, vault.indexOf(0x0a, 15)).toString('utf8')) as { protector: { kind: string; account: string; service: string } };
    expect(header.protector.kind).toBe('keyring');
    expect(vault.includes(Buffer.from(KEY))).toBe(false);

    // The key-encryption key really lives in gnome-keyring.
    const stored = execFileSync('secret-tool', ['lookup', 'service', header.protector.service, 'username', header.protector.account], { env: { ...process.env, ...keyring.env } }).toString();
    expect(Buffer.from(stored.trim(), 'base64')).toHaveLength(32);

    const list = await runCli(['connect', 'list', '--json'], { env });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toHaveLength(1);
    const doctor = await runCli(['doctor', '--json'], { env });
    expect(JSON.parse(doctor.stdout).checks).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'keyring', ok: true })]));
  });

  it('says the keyring is unreachable in one line, and changes nothing', async () => {
    const bus = await startSessionBus();
    try {
      const env = { SOPHON_HOME: home.dir, HOME: home.dir, ...bus.env };
      const before = await readFile(join(home.dir, 'config', 'vault.enc'));
      const result = await runCli(['connect', 'list'], { env });
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      // A keyring vault opens only with its keyring: no advice to set a passphrase.
      expect(result.stderr).toMatch(/OS keyring, which did not answer .* start and unlock your Secret Service .*a passphrase cannot open it/);
      expect(await readFile(join(home.dir, 'config', 'vault.enc'))).toEqual(before);

      const fresh = await tempHome();
      try {
        const none = await runCli(['connect', 'list'], { env: { SOPHON_HOME: fresh.dir, HOME: fresh.dir, ...bus.env } });
        expect(none.code).toBe(1);
        expect(none.stderr).toMatch(/no way to seal a new vault: the OS keyring did not answer .* set SOPHON_VAULT_PASSPHRASE/);
      } finally {
        await fresh.dispose();
      }
    } finally {
      await bus.dispose();
    }
  });
});
