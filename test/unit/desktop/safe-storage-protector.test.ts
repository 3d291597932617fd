import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openHostApi } from '../../../main/api/host.ts';
import { SafeStorageProtector, desktopProtectors, type SafeStorageLike } from '../../../main/desktop/safe-storage-protector.ts';
import { fastPassphrase } from '../../helpers/protectors.ts';
import { tempHome, type TempHome } from '../../helpers/temp-home.ts';

/** A stand-in for Electron's safeStorage with the same method names: AES-GCM under a per-"user" key. */
class FakeSafeStorage {
  readonly calls: string[] = [];
  constructor(
    readonly backend: string = 'gnome_libsecret',
    private readonly key: Buffer = randomBytes(32),
    readonly available = true,
  ) {}
  protected encrypt(text: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    return Buffer.concat([iv, cipher.update(text, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  }
  protected decrypt(box: Buffer): string {
    const decipher = createDecipheriv('aes-256-gcm', this.key, box.subarray(0, 12));
    decipher.setAuthTag(box.subarray(box.length - 16));
    return Buffer.concat([decipher.update(box.subarray(12, box.length - 16)), decipher.final()]).toString('utf8');
  }
  isEncryptionAvailable(): boolean {
    this.calls.push('isEncryptionAvailable');
    return this.available;
  }
  encryptString(text: string): Buffer {
    this.calls.push('encryptString');
    return this.encrypt(text);
  }
  decryptString(box: Buffer): string {
    this.calls.push('decryptString');
    return this.decrypt(box);
  }
  getSelectedStorageBackend(): string {
    return this.backend;
  }
}

class FakeAsyncSafeStorage extends FakeSafeStorage {
  async isAsyncEncryptionAvailable(): Promise<boolean> {
    this.calls.push('isAsyncEncryptionAvailable');
    return this.available;
  }
  async encryptStringAsync(text: string): Promise<Buffer> {
    this.calls.push('encryptStringAsync');
    return this.encrypt(text);
  }
  async decryptStringAsync(box: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }> {
    this.calls.push('decryptStringAsync');
    return { result: this.decrypt(box), shouldReEncrypt: false };
  }
}

const ctx = { vaultId: 'vault-1' };

describe('SafeStorageProtector', () => {
  it('prefers the async calls when Electron has them', async () => {
    const fake = new FakeAsyncSafeStorage();
    const protector = new SafeStorageProtector(fake satisfies SafeStorageLike, 'linux');
    const key = randomBytes(32);
    const sealed = await protector.seal(key, ctx);
    expect(sealed.kind).toBe('safe-storage');
    expect(JSON.stringify(sealed)).not.toContain(key.toString('base64'));
    expect((await protector.unseal(sealed, ctx)).equals(key)).toBe(true);
    expect(fake.calls).toEqual(['isAsyncEncryptionAvailable', 'encryptStringAsync', 'decryptStringAsync']);
    expect(protector.strength).toBe('strong');
    expect(protector.describe()).toBe('Electron safeStorage (gnome_libsecret)');
  });

  it('falls back to the sync calls on an older Electron', async () => {
    const fake = new FakeSafeStorage();
    const protector = new SafeStorageProtector(fake, 'darwin');
    const key = randomBytes(32);
    expect((await protector.unseal(await protector.seal(key, ctx), ctx)).equals(key)).toBe(true);
    expect(fake.calls).toEqual(['isEncryptionAvailable', 'encryptString', 'decryptString']);
    expect(protector.describe()).toContain('Keychain');
  });

  it("reports Linux basic_text as weak and says why", () => {
    const protector = new SafeStorageProtector(new FakeSafeStorage('basic_text'), 'linux');
    expect(protector.strength).toBe('weak');
    expect(protector.describe()).toMatch(/basic_text.*effectively unprotected/);
    // Only Linux has storage backends: elsewhere the call is not even made.
    expect(new SafeStorageProtector(new FakeSafeStorage('basic_text'), 'win32').strength).toBe('strong');
  });

  it('refuses a key sealed for another vault, a blob another user sealed, damaged parameters, and no encryption', async () => {
    const fake = new FakeAsyncSafeStorage();
    const protector = new SafeStorageProtector(fake, 'linux');
    const sealed = await protector.seal(randomBytes(32), ctx);
    await expect(protector.unseal(sealed, { vaultId: 'vault-2' })).rejects.toMatchObject({ code: 'VAULT_TAMPERED' });
    await expect(new SafeStorageProtector(new FakeAsyncSafeStorage(), 'linux').unseal(sealed, ctx)).rejects.toMatchObject({ code: 'VAULT_WRONG_PROTECTOR' });
    await expect(protector.unseal({ kind: 'safe-storage' }, ctx)).rejects.toMatchObject({ code: 'VAULT_TAMPERED' });
    await expect(new SafeStorageProtector(new FakeAsyncSafeStorage('gnome_libsecret', randomBytes(32), false), 'linux').seal(randomBytes(32), ctx)).rejects.toMatchObject({ code: 'NO_PROTECTOR' });
  });
});

describe('desktopProtectors with the real vault', () => {
  let home: TempHome | undefined;
  afterEach(async () => {
    await home?.dispose();
    home = undefined;
  });

  it('seals a new vault with safeStorage, reopens it, and shows a weak backend in vault.health', async () => {
    home = await tempHome();
    const fake = new FakeAsyncSafeStorage('basic_text');
    const first = await openHostApi({ home: home.dir, ownerName: 'test', protectors: desktopProtectors(fake, {}, 'linux') });
    await first.dispatcher.call('connections.add', { service: 'openrouter', secret: { type: 'api_key', key: 'sk-or-v1-kept-secret' } }, { actor: 'window' });
    await first.dispose();
    const file = await readFile(join(home.dir, 'config', 'vault.enc'), 'utf8');
    expect(file).not.toContain('sk-or-v1-kept-secret');

    const again = await openHostApi({ home: home.dir, ownerName: 'test', protectors: desktopProtectors(fake, {}, 'linux') });
    const health = await again.dispatcher.call('vault.health', {}, { actor: 'window' });
    expect(health).toMatchObject({ ok: true, data: { protector: 'safe-storage', strength: 'weak', records: expect.any(Number) } });
    const list = await again.dispatcher.call('connections.list', {}, { actor: 'window' });
    expect(list.ok && (list.data as unknown[]).length).toBe(1);
    await again.dispose();
  });

  it('opens a vault that `sophon serve` sealed with a passphrase (from SOPHON_VAULT_PASSPHRASE)', async () => {
    home = await tempHome();
    const made = await openHostApi({ home: home.dir, ownerName: 'test', protectors: fastPassphrase('a good passphrase') });
    await made.dispose();
    const opened = await openHostApi({ home: home.dir, ownerName: 'test', protectors: desktopProtectors(new FakeAsyncSafeStorage(), { SOPHON_VAULT_PASSPHRASE: 'a good passphrase' }, 'linux') });
    expect(opened.core.vault.health().protector).toBe('passphrase');
    await opened.dispose();
  });
});
