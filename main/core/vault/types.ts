import type { KeyProtector, ProtectorKind, ProtectorStrength, SealedKey } from '../ports.ts';

export type VaultOp =
  | { readonly type: 'put'; readonly key: string; readonly value: unknown }
  | { readonly type: 'delete'; readonly key: string };

export interface VaultChange {
  readonly type: 'put' | 'delete';
  readonly key: string;
}

export type Unsubscribe = () => void;

/**
 * The credential vault. Values are JSON data; keys are namespaced strings
 * (`connection/<id>`, `secret/<id>`, …). A write resolves once it is durable.
 */
export interface ICredentialVault {
  get<T = unknown>(key: string): Promise<T | undefined>;
  has(key: string): boolean;
  put(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Applies several changes in one durable write: all of them or none. */
  batch(ops: readonly VaultOp[]): Promise<void>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): string[];
  onChange(listener: (change: VaultChange) => void): Unsubscribe;
  health(): VaultHealth;
  dispose(): Promise<void>;
}

export interface VaultHealth {
  /** 'local', or the remote backend's settings name (HashiCorpVault, AwsSecretsManager, AzureKeyVault). */
  readonly backend: 'local' | 'HashiCorpVault' | 'AwsSecretsManager' | 'AzureKeyVault';
  readonly path: string;
  /** For a remote backend, 'remote': the store's own encryption and access control protect the records. */
  readonly protector: ProtectorKind | 'remote';
  readonly strength: ProtectorStrength;
  readonly protectorDescription: string;
  readonly records: number;
  /** Remote backends: records served from the cache because the store answered transient errors. */
  readonly remote?: RemoteHealth;
}

export interface RemoteHealth {
  readonly cachedRecords: number;
  /** Age of the oldest cached record served while the store failed, ms. */
  readonly oldestCachedMs?: number;
  readonly lastError?: { readonly at: string; readonly message: string };
}

/** Picks the protector for a new vault, or the one that can unseal an existing vault. */
export interface ProtectorResolver {
  forNewVault(): Promise<KeyProtector>;
  forExisting(sealed: SealedKey): Promise<KeyProtector>;
}
