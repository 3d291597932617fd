import type { RemoteBackendName } from './backend-settings.ts';
import type { ICredentialVault } from './types.ts';

/**
 * What a vault shared by several machines adds to ICredentialVault (the interface stays as
 * it is; hosts and the lifecycle ask for these with the helpers below). The local vault has
 * one owner per $SOPHON_HOME and needs none of it.
 */
export interface VaultLeases {
  /**
   * Runs `work` while this installation holds the lease on the record of `key`, so that
   * another machine of the same user does not refresh the same token at the same time.
   * While someone else holds it, `satisfied` is asked between waits: a value it returns
   * (their refresh landed) is returned without taking the lease.
   */
  hold<T>(key: string, ttlMs: number, work: () => Promise<T>, options?: { satisfied?: () => Promise<T | undefined> }): Promise<T>;
}

/** Where the value of a key came from on its last read. */
export interface ReadOrigin {
  readonly backend: 'Local' | RemoteBackendName;
  /** Set when the store answered a transient error and the cached copy was served instead. */
  readonly cachedForMs?: number;
  readonly reason?: string;
}

export interface SharedVault extends ICredentialVault, VaultLeases {
  readOrigin(key: string): ReadOrigin;
  /** A fresh read next time, whatever the cache holds (after someone else may have written). */
  forget(key: string): void;
  /** How often at most the audit anchor is written to this store while busy (REMOTE_ANCHOR_EVERY_MS). */
  readonly anchorEveryMs: number;
}

export function isSharedVault(vault: ICredentialVault): vault is SharedVault {
  return typeof (vault as Partial<SharedVault>).hold === 'function' && typeof (vault as Partial<SharedVault>).readOrigin === 'function';
}

export function leasesOf(vault: ICredentialVault): VaultLeases | undefined {
  return isSharedVault(vault) ? vault : undefined;
}

export function readOrigin(vault: ICredentialVault, key: string): ReadOrigin {
  return isSharedVault(vault) ? vault.readOrigin(key) : { backend: 'Local' };
}
