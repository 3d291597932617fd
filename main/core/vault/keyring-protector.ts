import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AsyncEntry } from '@napi-rs/keyring';
import { SophonError, firstLine } from '../errors.ts';
import type { KeyProtector, SealedKey } from '../ports.ts';

export const KEYRING_SERVICE = 'Sophon Desktop';

/**
 * On Linux, pin the Secret Service: the library otherwise falls back silently to the
 * kernel keyring, which does not survive a reboot (a vault sealed there would be lost).
 */
function keyringEntry(service: string, account: string): AsyncEntry {
  return new AsyncEntry(service, account, { linux: { store: 'secret-service' } });
}

function unavailable(error: unknown): SophonError {
  const cause = error instanceof Error ? firstLine(error.message) : String(error);
  return new SophonError(
    'KEYRING_UNAVAILABLE',
    `the OS keyring did not answer (${cause}) — start and unlock your Secret Service (gnome-keyring, KWallet), or set SOPHON_VAULT_PASSPHRASE to use a passphrase instead`,
    { cause: error },
  );
}

/**
 * Seals the data key with a random key-encryption key held in the OS keyring
 * (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows).
 */
export class KeyringProtector implements KeyProtector {
  readonly kind = 'keyring' as const;
  readonly strength = 'strong' as const;

  constructor(private readonly service = KEYRING_SERVICE) {}

  describe(): string {
    const store = process.platform === 'darwin' ? 'macOS Keychain' : process.platform === 'win32' ? 'Windows Credential Manager' : 'Secret Service';
    return `OS keyring (${store})`;
  }

  /** True when the keyring stores and returns a value (a read alone can succeed with no store behind it). */
  static async probe(service = KEYRING_SERVICE): Promise<{ ok: true } | { ok: false; reason: string }> {
    try {
      const entry = keyringEntry(service, `probe-${process.pid}`);
      const value = randomBytes(8).toString('hex');
      await entry.setPassword(value);
      const back = await entry.getPassword();
      await entry.deletePassword().catch(() => undefined);
      return back === value ? { ok: true } : { ok: false, reason: 'the keyring did not return what was stored' };
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? firstLine(error.message) : String(error) };
    }
  }

  async seal(dataKey: Buffer, context: { vaultId: string }): Promise<SealedKey> {
    const account = `vault-key:${context.vaultId}`;
    const kek = randomBytes(32);
    try {
      await keyringEntry(this.service, account).setPassword(kek.toString('base64'));
    } catch (error) {
      throw unavailable(error);
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', kek, iv);
    cipher.setAAD(Buffer.from(context.vaultId));
    const wrapped = Buffer.concat([cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
    return { kind: 'keyring', service: this.service, account, iv: iv.toString('base64'), wrapped: wrapped.toString('base64') };
  }

  async unseal(sealed: SealedKey, context: { vaultId: string }): Promise<Buffer> {
    const { service, account, iv, wrapped } = sealed as SealedKey & Record<string, unknown>;
    if (typeof service !== 'string' || typeof account !== 'string' || typeof iv !== 'string' || typeof wrapped !== 'string') {
      throw new SophonError('VAULT_TAMPERED', 'vault.enc has damaged keyring parameters — it was not changed; restore config/vault.enc.bak or run `sophon doctor`');
    }
    let stored: string | null;
    try {
      stored = await keyringEntry(service, account).getPassword();
    } catch (error) {
      throw unavailable(error);
    }
    if (stored === null) {
      throw new SophonError(
        'VAULT_WRONG_PROTECTOR',
        `the OS keyring has no key for this vault ("${service}" / "${account}") — it was sealed in another keyring or user session; open it there, or restore the keyring item`,
      );
    }
    const box = Buffer.from(wrapped, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', Buffer.from(stored, 'base64'), Buffer.from(iv, 'base64'));
      decipher.setAAD(Buffer.from(context.vaultId));
      decipher.setAuthTag(box.subarray(box.length - 16));
      return Buffer.concat([decipher.update(box.subarray(0, box.length - 16)), decipher.final()]);
    } catch (error) {
      throw new SophonError('VAULT_WRONG_PROTECTOR', `the key in the OS keyring ("${account}") does not open vault.enc — it was not changed; restore config/vault.enc.bak or the keyring item`, { cause: error });
    }
  }
}
