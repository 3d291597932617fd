import { SophonError, firstLine } from '../errors.ts';
import { BACKEND_TITLES, type RemoteBackendName } from './backend-settings.ts';
import type { Lease } from './record-layout.ts';

/** One record as the store holds it: its JSON text and the store's version of it. */
export interface StoreRecord {
  readonly value: string;
  readonly version: string;
}

/**
 * What went wrong, sorted by what the vault does about it: `transient` may be served from
 * the cache and retried; `conflict` means someone else wrote first (re-read, re-apply);
 * `quota` is a limit of the product that time lifts (not a retry a moment later); the rest
 * are reported as they are.
 */
export type StoreFailure = 'transient' | 'permission' | 'auth' | 'conflict' | 'not-found' | 'too-large' | 'quota' | 'invalid';

export class StoreError extends Error {
  constructor(
    readonly kind: StoreFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

export const isStoreError = (error: unknown, kind?: StoreFailure): error is StoreError => error instanceof StoreError && (kind === undefined || error.kind === kind);

/** A lease as a store without check-and-set keeps it (Azure Key Vault: a lease secret of its own). */
export interface LeaseRecords {
  /** Tries to take the lease: held when this holder has it once the store settled, else who has it. */
  claim(recordKey: string, lease: Lease): Promise<{ readonly held: true } | { readonly held: false; readonly holder: string }>;
  release(recordKey: string, holder: string): Promise<void>;
}

/**
 * A driver for one product: names, versions and errors in that product's terms, nothing
 * about vault keys. Version checks:
 * - `cas`: the store refuses a write whose expected version is not current (KV v2 `cas`,
 *   Secrets Manager's AWSCURRENT label moved only from the expected version).
 * - `checked`: the store has no conditional write (Key Vault); the driver compares the
 *   current version just before writing and keeps leases in `leases`.
 */
export interface SecretStore {
  readonly backend: RemoteBackendName;
  /** Where, in the product's words: "https://vault:8200 (namespace team) secret/sophon/alice/". */
  readonly location: string;
  readonly maxRecordBytes: number;
  readonly concurrency: 'cas' | 'checked';
  readonly leases?: LeaseRecords;
  /** Record keys under the prefix (decoded; names Sophon did not write are skipped). */
  list(): Promise<string[]>;
  read(recordKey: string): Promise<StoreRecord | undefined>;
  /** Writes when the current version is `expected` (undefined: only if absent); resolves to the new version or throws StoreError('conflict'). */
  write(recordKey: string, value: string, expected: string | undefined): Promise<string>;
  /** Removes the record and its history (or, where the product keeps deleted secrets, as far as it allows). */
  remove(recordKey: string): Promise<void>;
  /** Who the store sees: a token's display name and policies, an ARN, an Entra object. */
  whoami(): Promise<string>;
  dispose(): Promise<void>;
}

/**
 * Maps a StoreError to the core's error: one line naming the backend, what was refused and
 * (for permissions) what to grant. `write` adds that nothing was saved.
 */
export function storeFailure(store: Pick<SecretStore, 'backend'>, error: unknown, doing: string, write = false): SophonError {
  if (error instanceof SophonError) return error;
  const title = BACKEND_TITLES[store.backend];
  const unsaved = write ? '; nothing was saved' : '';
  if (error instanceof StoreError) {
    switch (error.kind) {
      case 'permission':
        return new SophonError('VAULT_PERMISSION', `${title} ${error.message}${unsaved}`, { cause: error });
      case 'auth':
        return new SophonError('VAULT_PERMISSION', `${title}: ${error.message}${unsaved}`, { cause: error });
      case 'transient':
        return new SophonError('VAULT_UNAVAILABLE', `${title} is unreachable or busy (${firstLine(error.message)}) — could not ${doing}${unsaved}; nothing stored was lost; retry when it answers`, { cause: error });
      case 'conflict':
        return new SophonError('VAULT_CONFLICT', `${title}: ${error.message} — could not ${doing}${unsaved}; retry`, { cause: error });
      case 'too-large':
        return new SophonError('VAULT_TOO_LARGE', `${title}: ${error.message}${unsaved}`, { cause: error });
      case 'quota':
        // The driver's message names the product and its limit already.
        return new SophonError('VAULT_QUOTA', `${error.message}${unsaved}`, { cause: error });
      case 'not-found':
      case 'invalid':
        return new SophonError('VAULT_UNAVAILABLE', `${title} could not ${doing}: ${firstLine(error.message)}${unsaved}`, { cause: error });
    }
  }
  return new SophonError('VAULT_UNAVAILABLE', `${title} could not ${doing} (${firstLine(error instanceof Error ? error.message : String(error))})${unsaved}`, { cause: error });
}
