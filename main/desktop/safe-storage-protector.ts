import { headlessProtectors, SophonError, firstLine, type KeyProtector, type ProtectorResolver, type ProtectorStrength, type SealedKey } from '../core/index.ts';

/**
 * The parts of Electron's safeStorage the protector uses, by their Electron names (tests
 * pass a fake with the same methods). Newer Electron adds the async pair and may drop
 * the sync one; either is enough.
 */
export interface SafeStorageLike {
  isEncryptionAvailable?(): boolean;
  isAsyncEncryptionAvailable?(): Promise<boolean>;
  encryptString?(plainText: string): Buffer;
  decryptString?(encrypted: Buffer): string;
  encryptStringAsync?(plainText: string): Promise<Buffer>;
  decryptStringAsync?(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }>;
  getSelectedStorageBackend?(): string;
}

const PREFIX = 'sophon-vault-key:v1:';

/**
 * Seals the vault's data key with Electron safeStorage (DPAPI on Windows, Keychain on
 * macOS, libsecret/KWallet on Linux). On Linux without a keyring Chromium falls back to
 * `basic_text`, a hard-coded password: the protector then reports itself weak and the
 * window says so. The vault id is sealed with the key so a sealed key cannot be moved
 * to another vault file.
 */
export class SafeStorageProtector implements KeyProtector {
  readonly kind = 'safe-storage' as const;
  readonly strength: ProtectorStrength;
  private readonly backend: string | undefined;

  constructor(
    private readonly safeStorage: SafeStorageLike,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {
    this.backend = platform === 'linux' ? safeStorage.getSelectedStorageBackend?.() : undefined;
    this.strength = this.backend === 'basic_text' ? 'weak' : 'strong';
  }

  /** Whether safeStorage can encrypt at all (call after the app's `ready`). */
  async available(): Promise<boolean> {
    if (this.safeStorage.isAsyncEncryptionAvailable) return this.safeStorage.isAsyncEncryptionAvailable();
    return this.safeStorage.isEncryptionAvailable?.() ?? false;
  }

  describe(): string {
    switch (this.platform) {
      case 'darwin':
        return 'Electron safeStorage (macOS Keychain)';
      case 'win32':
        return 'Electron safeStorage (Windows DPAPI — readable by other programs of the same user)';
      default:
        if (this.backend === 'basic_text') return 'Electron safeStorage with basic_text: no keyring was found, so the key is protected by a fixed password (effectively unprotected) — install and unlock gnome-keyring or KWallet';
        return `Electron safeStorage (${this.backend ?? 'unknown backend'})`;
    }
  }

  async seal(dataKey: Buffer, context: { vaultId: string }): Promise<SealedKey> {
    if (!(await this.available())) {
      throw new SophonError('NO_PROTECTOR', 'Electron safeStorage cannot encrypt on this system — unlock your keyring (or log in to a desktop session) and start Sophon again');
    }
    const plain = `${PREFIX}${context.vaultId}:${dataKey.toString('base64')}`;
    let sealed: Buffer;
    try {
      sealed = this.safeStorage.encryptStringAsync ? await this.safeStorage.encryptStringAsync(plain) : this.requireSync('encryptString')(plain);
    } catch (error) {
      throw new SophonError('NO_PROTECTOR', `Electron safeStorage could not encrypt the vault key (${firstLine(String((error as Error)?.message ?? error))}) — unlock your keyring and retry`, { cause: error });
    }
    return { kind: 'safe-storage', backend: this.backend ?? this.platform, sealed: Buffer.from(sealed).toString('base64') };
  }

  async unseal(sealed: SealedKey, context: { vaultId: string }): Promise<Buffer> {
    const blob = sealed['sealed'];
    if (typeof blob !== 'string' || blob.length === 0) {
      throw new SophonError('VAULT_TAMPERED', 'vault.enc has damaged safeStorage parameters — it was not changed; restore config/vault.enc.bak or run `sophon doctor`');
    }
    let plain: string;
    try {
      const encrypted = Buffer.from(blob, 'base64');
      plain = this.safeStorage.decryptStringAsync ? (await this.safeStorage.decryptStringAsync(encrypted)).result : this.requireSync('decryptString')(encrypted);
    } catch (error) {
      throw new SophonError(
        'VAULT_WRONG_PROTECTOR',
        'Electron safeStorage could not decrypt the vault key — the vault was sealed by another user or keyring; it was not changed. Unlock the keyring it was made with, or restore config/vault.enc.bak',
        { cause: error },
      );
    }
    const expected = `${PREFIX}${context.vaultId}:`;
    if (!plain.startsWith(expected)) {
      throw new SophonError('VAULT_TAMPERED', 'the sealed vault key belongs to another vault — vault.enc was not changed; restore config/vault.enc.bak');
    }
    const key = Buffer.from(plain.slice(expected.length), 'base64');
    if (key.length !== 32) throw new SophonError('VAULT_TAMPERED', 'the sealed vault key has the wrong length — vault.enc was not changed; restore config/vault.enc.bak');
    return key;
  }

  private requireSync<M extends 'encryptString' | 'decryptString'>(method: M): NonNullable<SafeStorageLike[M]> {
    const fn = this.safeStorage[method];
    if (!fn) throw new SophonError('NO_PROTECTOR', 'this Electron has no usable safeStorage — update Sophon Desktop');
    return fn.bind(this.safeStorage) as NonNullable<SafeStorageLike[M]>;
  }
}

/**
 * How the desktop app picks its protector: safeStorage for a new vault; an existing vault
 * names the protector that sealed it (one made by `sophon serve` keeps its keyring or
 * passphrase — SOPHON_VAULT_PASSPHRASE — and still opens here).
 */
export function desktopProtectors(safeStorage: SafeStorageLike, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): ProtectorResolver {
  const fallback = headlessProtectors({ env });
  return {
    async forNewVault() {
      return new SafeStorageProtector(safeStorage, platform);
    },
    async forExisting(sealed: SealedKey) {
      if (sealed.kind === 'safe-storage') return new SafeStorageProtector(safeStorage, platform);
      return fallback.forExisting(sealed);
    },
  };
}
