import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SophonError } from '../errors.ts';
import { atomicWrite } from '../fs-atomic.ts';
import type { KeyProtector } from '../ports.ts';
import { decodeRecords, decryptBody, encodeRecords, encodeVaultFile, parseVaultFile, type VaultHeader } from './format.ts';
import type { ICredentialVault, ProtectorResolver, Unsubscribe, VaultChange, VaultHealth, VaultOp } from './types.ts';

interface Pending {
  readonly ops: readonly VaultOp[];
  resolve(): void;
  reject(error: unknown): void;
}

export interface LocalVaultOptions {
  readonly file: string;
  readonly backup: string;
  readonly protectors: ProtectorResolver;
}

/**
 * The local file backend: one AES-256-GCM file, rewritten atomically on every change.
 * Writes that arrive while one is in flight are committed together in the next write
 * (group commit); each caller's promise resolves only once its change is on disk, and
 * memory changes only after the disk did, so a failed write loses nothing.
 */
export class LocalFileVault implements ICredentialVault {
  private records: Map<string, string>;
  private queue: Pending[] = [];
  private writing = false;
  private closed = false;
  private readonly listeners = new Set<(change: VaultChange) => void>();

  private constructor(
    private readonly options: LocalVaultOptions,
    private readonly headerBytes: Buffer,
    private readonly dataKey: Buffer,
    private readonly protector: KeyProtector,
    records: Map<string, string>,
  ) {
    this.records = records;
  }

  /** Opens vault.enc, or creates an empty one when there is none. Never overwrites a file it cannot open. */
  static async open(options: LocalVaultOptions): Promise<LocalFileVault> {
    let bytes: Buffer | undefined;
    try {
      bytes = await readFile(options.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new SophonError('VAULT_LOCKED', `cannot read ${options.file} (${(error as Error).message}) — check its permissions with \`sophon doctor\``, { cause: error });
      }
    }
    if (!bytes) return LocalFileVault.create(options);
    const parsed = parseVaultFile(bytes);
    const protector = await options.protectors.forExisting(parsed.header.protector);
    const dataKey = await protector.unseal(parsed.header.protector, { vaultId: parsed.header.vaultId });
    const records = decodeRecords(decryptBody(parsed, dataKey));
    return new LocalFileVault(options, Buffer.from(parsed.headerBytes), dataKey, protector, records);
  }

  private static async create(options: LocalVaultOptions): Promise<LocalFileVault> {
    const protector = await options.protectors.forNewVault();
    const vaultId = randomBytes(16).toString('hex');
    const dataKey = randomBytes(32);
    const sealed = await protector.seal(dataKey, { vaultId });
    const header: VaultHeader = { format: 'sophon-vault', version: 1, vaultId, cipher: 'aes-256-gcm', protector: sealed };
    const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
    const vault = new LocalFileVault(options, headerBytes, dataKey, protector, new Map());
    await atomicWrite(options.file, encodeVaultFile(headerBytes, dataKey, ''), { mode: 0o600 });
    return vault;
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    this.assertOpen();
    const json = this.records.get(key);
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  has(key: string): boolean {
    return this.records.has(key);
  }

  put(key: string, value: unknown): Promise<void> {
    return this.batch([{ type: 'put', key, value }]);
  }

  async delete(key: string): Promise<boolean> {
    if (!this.records.has(key)) return false;
    await this.batch([{ type: 'delete', key }]);
    return true;
  }

  batch(ops: readonly VaultOp[]): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    for (const op of ops) {
      if (op.type === 'put' && op.value === undefined) {
        return Promise.reject(new SophonError('INTERNAL', `vault put of ${op.key} without a value`));
      }
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ops, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  list(prefix: string): string[] {
    const keys: string[] = [];
    for (const key of this.records.keys()) if (key.startsWith(prefix)) keys.push(key);
    return keys.sort();
  }

  onChange(listener: (change: VaultChange) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  health(): VaultHealth {
    return {
      backend: 'local',
      path: this.options.file,
      protector: this.protector.kind,
      strength: this.protector.strength,
      protectorDescription: this.protector.describe(),
      records: this.records.size,
    };
  }

  /** Waits for queued writes, then refuses further use. */
  async dispose(): Promise<void> {
    while (this.writing || this.queue.length > 0) await new Promise((r) => setImmediate(r));
    this.closed = true;
    this.dataKey.fill(0);
    this.listeners.clear();
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        const next = new Map(this.records);
        const changes: VaultChange[] = [];
        for (const pending of group) {
          for (const op of pending.ops) {
            if (op.type === 'put') next.set(op.key, JSON.stringify(op.value));
            else next.delete(op.key);
            changes.push({ type: op.type, key: op.key });
          }
        }
        try {
          const bytes = encodeVaultFile(this.headerBytes, this.dataKey, encodeRecords(next));
          await atomicWrite(this.options.file, bytes, { backup: this.options.backup, mode: 0o600 });
        } catch (error) {
          const failure = new SophonError(
            'VAULT_LOCKED',
            `could not save vault.enc (${(error as Error).message}) — the change was not saved and nothing stored was lost; free disk space or fix permissions, then retry`,
            { cause: error },
          );
          for (const pending of group) pending.reject(failure);
          continue;
        }
        this.records = next;
        for (const pending of group) pending.resolve();
        for (const change of changes) for (const listener of this.listeners) listener(change);
      }
    } finally {
      this.writing = false;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw closedError();
  }
}

function closedError(): SophonError {
  return new SophonError('VAULT_CLOSED', 'the vault is closed — this is a bug; restart the command');
}
