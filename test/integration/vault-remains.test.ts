import { describe, it, expect, afterEach } from 'vitest';
import { readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

const KEY = 'sk-or-v1-REMAINS0123456789abcdef';
let home: TempHome;
afterEach(async () => home?.dispose());

async function setUp(): Promise<NodeJS.ProcessEnv> {
  home = await tempHome();
  const env = { SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'a long test passphrase', HOME: home.dir };
  for (const label of ['one', 'two']) expect((await runCli(['connect', 'add', 'openrouter', '--label', label], { env, input: KEY })).code).toBe(0);
  return env;
}

describe('a missing vault.enc is never replaced by a new empty vault', () => {
  it('with vault.enc moved away, commands refuse, name `sophon vault restore`, and the backup and audit trail stay as they were', async () => {
    const env = await setUp();
    const config = join(home.dir, 'config');
    await rename(join(config, 'vault.enc'), join(home.dir, 'vault.enc.moved'));
    const backup = await readFile(join(config, 'vault.enc.bak'));
    const trail = await readFile(join(home.dir, 'audit', 'audit.jsonl'));
    for (const args of [['connect', 'list'], ['connect', 'add', 'openrouter', '--label', 'three'], ['audit', 'verify']]) {
      const result = await runCli(args, { env, input: KEY });
      expect(result.code, args.join(' ')).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/vault\.enc is missing, but an earlier vault left .*vault\.enc\.bak.* `sophon vault restore`/);
    }
    expect(await readdir(config)).not.toContain('vault.enc');
    expect(await readFile(join(config, 'vault.enc.bak'))).toEqual(backup);
    expect(await readFile(join(home.dir, 'audit', 'audit.jsonl'))).toEqual(trail);
  });

  it('refuses as well when only the audit trail is left, and creates a vault once nothing of the old one is there', async () => {
    const env = await setUp();
    await rm(join(home.dir, 'config', 'vault.enc'));
    await rm(join(home.dir, 'config', 'vault.enc.bak'));
    const refused = await runCli(['connect', 'list'], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/an earlier vault left .*audit/);
    await rm(join(home.dir, 'audit'), { recursive: true });
    const fresh = await runCli(['connect', 'list', '--json'], { env });
    expect(fresh.code).toBe(0);
    expect(JSON.parse(fresh.stdout)).toEqual([]);
  });
  it('vault migrate refuses too, where only the audit trail is left: it never copies a new empty vault out', async () => {
    const env = await setUp();
    const config = join(home.dir, 'config');
    await writeFile(join(config, 'appsettings.json'), JSON.stringify({ Sophon: { Credentials: { Vault: 'Local', HashiCorpVault: { Address: 'https://vault.example.com:8200' } } } }));
    await rm(join(config, 'vault.enc'));
    await rm(join(config, 'vault.enc.bak'));
    const result = await runCli(['vault', 'migrate', '--to', 'HashiCorpVault'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/an earlier vault left .*audit/);
    expect(await readdir(config)).not.toContain('vault.enc');
    expect(JSON.parse(await readFile(join(config, 'appsettings.json'), 'utf8')).Sophon.Credentials.Vault).toBe('Local');
  });
});
