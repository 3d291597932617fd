import { describe, it, expect, afterEach } from 'vitest';
import { readFile, writeFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalFileVault, PassphraseProtector, SophonError, type ProtectorResolver } from '../../main/core/index.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { fastPassphrase } from '../helpers/protectors.ts';

let home: TempHome;
afterEach(async () => home?.dispose());

async function openVault(protectors: ProtectorResolver = fastPassphrase()) {
  const file = join(home.dir, 'vault.enc');
  return { file, vault: await LocalFileVault.open({ file, backup: `${file}.bak`, protectors }) };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof SophonError ? error.code : `not a SophonError: ${String(error)}`;
  }
  return 'no error';
}

describe('local file vault', () => {
  it('round-trips records across reopen and lists by prefix', async () => {
    home = await tempHome();
    const { vault } = await openVault();
    await vault.put('secret/a', { type: 'api_key', key: 'sk-or-aaaa' });
    await vault.put('secret/b', { type: 'api_key', key: 'tab\tnewline\n"quote"' });
    await vault.put('connection/a', { id: 'a' });
    expect(await vault.delete('secret/missing')).toBe(false);
    await vault.dispose();
    const { vault: again } = await openVault();
    expect(await again.get('secret/a')).toEqual({ type: 'api_key', key: 'sk-or-aaaa' });
    expect(await again.get('secret/b')).toEqual({ type: 'api_key', key: 'tab\tnewline\n"quote"' });
    expect(again.list('secret/')).toEqual(['secret/a', 'secret/b']);
    expect(await again.delete('secret/a')).toBe(true);
    expect(again.has('secret/a')).toBe(false);
    await again.dispose();
  });

  it('writes files 0600 and keeps no secret in clear', async () => {
    home = await tempHome();
    const { vault, file } = await openVault();
    await vault.put('secret/x', { key: 'sk-or-v1-PLAINTEXT-CANARY' });
    await vault.dispose();
    const bytes = await readFile(file);
    expect(bytes.includes(Buffer.from('PLAINTEXT-CANARY'))).toBe(false);
    expect(bytes.includes(Buffer.from(Buffer.from('PLAINTEXT-CANARY').toString('base64').slice(0, 12)))).toBe(false);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('keeps the previous good copy as vault.enc.bak', async () => {
    home = await tempHome();
    const { vault, file } = await openVault();
    await vault.put('k', 1);
    const before = await readFile(file);
    await vault.put('k', 2);
    expect(await readFile(`${file}.bak`)).toEqual(before);
    await vault.dispose();
  });

  it('commits concurrent writes together and acknowledges each', async () => {
    home = await tempHome();
    const { vault } = await openVault();
    const changes: string[] = [];
    vault.onChange((c) => changes.push(c.key));
    await Promise.all(Array.from({ length: 200 }, (_, i) => vault.put(`k/${i}`, i)));
    expect(vault.list('k/')).toHaveLength(200);
    expect(changes).toHaveLength(200);
    await vault.dispose();
    const { vault: again } = await openVault();
    expect(await again.get('k/199')).toBe(199);
    await again.dispose();
  });

  it('a batch is all or nothing, and a failed write changes nothing in memory', async () => {
    home = await tempHome();
    const dir = join(home.dir, 'sub');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir);
    const file = join(dir, 'vault.enc');
    const vault = await LocalFileVault.open({ file, backup: `${file}.bak`, protectors: fastPassphrase() });
    await vault.put('a', 1);
    await rm(dir, { recursive: true });
    expect(await codeOf(vault.batch([{ type: 'put', key: 'a', value: 2 }, { type: 'put', key: 'b', value: 3 }]))).toBe('VAULT_LOCKED');
    expect(await vault.get('a')).toBe(1);
    expect(vault.has('b')).toBe(false);
  });

  it('refuses a wrong passphrase and leaves the file untouched', async () => {
    home = await tempHome();
    const { vault, file } = await openVault(fastPassphrase('the right passphrase'));
    await vault.put('k', 'v');
    await vault.dispose();
    const before = await readFile(file);
    expect(await codeOf(openVault(fastPassphrase('a wrong passphrase')))).toBe('VAULT_WRONG_PASSPHRASE');
    expect(await readFile(file)).toEqual(before);
  });

  it('detects a tampered body or header and never overwrites the file', async () => {
    home = await tempHome();
    const { vault, file } = await openVault();
    await vault.put('k', 'v');
    await vault.dispose();
    const good = await readFile(file);
    const body = Buffer.from(good);
    body[body.length - 3]! ^= 0x01;
    await writeFile(file, body);
    expect(await codeOf(openVault())).toBe('VAULT_TAMPERED');
    expect(await readFile(file)).toEqual(body);

    const text = good.toString('latin1').replace('"aes-256-gcm"', '"aes-256-gcm" ');
    await writeFile(file, Buffer.from(text, 'latin1'));
    expect(await codeOf(openVault())).toBe('VAULT_TAMPERED');

    await writeFile(file, 'not a vault');
    const error = await openVault().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SophonError);
    expect((error as Error).message).toMatch(/vault\.enc\.bak/);
  });

  it('names the protector a vault needs', async () => {
    home = await tempHome();
    const { vault } = await openVault();
    await vault.dispose();
    const keyringOnly: ProtectorResolver = {
      forNewVault: async () => { throw new Error('unused'); },
      forExisting: async (sealed) => {
        if (sealed.kind !== 'keyring') throw new SophonError('VAULT_WRONG_PROTECTOR', `sealed by ${sealed.kind}`);
        return new PassphraseProtector(async () => 'x');
      },
    };
    expect(await codeOf(openVault(keyringOnly))).toBe('VAULT_WRONG_PROTECTOR');
  });
});
