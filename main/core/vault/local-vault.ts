import { randomBytes } from 'node:crypto';
import { readFile, readdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SophonError } from '../errors.ts';
import { atomicWrite } from '../fs-atomic.ts';
import type { KeyProtector } from '../ports.ts';
import {
  assembleVaultFile,
  decodeLines,
  decryptSegments,
  deriveKeys,
  encryptSegment,
  parseVaultFile,
  recordLine,
  segmentOf,
  type Segment,
  type VaultHeader,
  type VaultKeys,
} from './format.ts';
import type { ICredentialVault, ProtectorResolver, Unsubscribe, VaultChange, VaultHealth, VaultOp } from './types.ts';
import { deleteOne, putOne } from './vault-ops.ts';

interface Pending {
  readonly ops: readonly VaultOp[];
  resolve(): void;
  reject(error: unknown): void;
}

export interface LocalVaultOptions {
  readonly file: string;
  readonly backup: string;
  readonly protectors: ProtectorResolver;
  /**
   * What an earlier vault leaves behind besides its backup (the audit directory): a new
   * vault is never created while any of it holds data, since the first write of the new
   * vault would replace the backup, the only good copy.
   */
  readonly remains?: readonly string[];
}

/** Segments in a new vault: small enough to re-encrypt cheaply at 10,000 connections. */
const SEGMENTS = 64;

/**
 * The local file backend: one file of AES-256-GCM segments, rewritten atomically on
 * every change. Writes that arrive while one is in flight are committed together in the
 * next write (group commit); each caller's promise resolves only once its change is on
 * disk. A failed write is undone in memory, so what callers see is what is on disk.
 */
export class LocalFileVault implements ICredentialVault {
  private queue: Pending[] = [];
  private writing = false;
  private closed = false;
  private readonly listeners = new Set<(change: VaultChange) => void>();
  private count: number;

  private constructor(
    private readonly options: LocalVaultOptions,
    private readonly headerBytes: Buffer,
    private readonly keys: VaultKeys,
    private readonly protector: KeyProtector,
    /** Per segment: key → record line. */
    private readonly buckets: Map<string, string>[],
    /** Per segment: its current ciphertext, reused until the segment changes. */
    private readonly sealed: Segment[],
  ) {
    this.count = buckets.reduce((n, b) => n + b.size, 0);
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
    await removeStaleTemps(options.file);
    if (!bytes) {
      await refuseOverRemains(options);
      return LocalFileVault.create(options);
    }
    const parsed = parseVaultFile(bytes);
    const protector = await options.protectors.forExisting(parsed.header.protector);
    const dataKey = await protector.unseal(parsed.header.protector, { vaultId: parsed.header.vaultId }).catch((error: unknown) => tamperedOrWrong(options, parsed.headerBytes, protector, error));
    const keys = deriveKeys(dataKey, parsed.header.vaultId);
    dataKey.fill(0);
    const plaintexts = decryptSegments(parsed, keys);
    const buckets = plaintexts.map((plain, number) => {
      const bucket = new Map<string, string>();
      decodeLines(plain, bucket);
      for (const key of bucket.keys()) {
        if (segmentOf(key, parsed.header.segments) !== number) throw new SophonError('VAULT_TAMPERED', 'vault.enc holds a record in the wrong segment — it was not changed; run `sophon vault restore` to go back to config/vault.enc.bak');
      }
      return bucket;
    });
    const sealed = parsed.segments.map((s) => ({ iv: Buffer.from(s.iv), tag: Buffer.from(s.tag), body: Buffer.from(s.body) }));
    return new LocalFileVault(options, Buffer.from(parsed.headerBytes), keys, protector, buckets, sealed);
  }

  private static async create(options: LocalVaultOptions): Promise<LocalFileVault> {
    const protector = await options.protectors.forNewVault();
    const vaultId = randomBytes(16).toString('hex');
    const dataKey = randomBytes(32);
    const sealedKey = await protector.seal(dataKey, { vaultId });
    const header: VaultHeader = { format: 'sophon-vault', version: 1, vaultId, cipher: 'aes-256-gcm', segments: SEGMENTS, protector: sealedKey };
    const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
    const keys = deriveKeys(dataKey, vaultId);
    dataKey.fill(0);
    const buckets = Array.from({ length: SEGMENTS }, () => new Map<string, string>());
    const sealed = buckets.map((_, number) => encryptSegment(keys, headerBytes, number, ''));
    await atomicWrite(options.file, assembleVaultFile(keys, headerBytes, sealed), { mode: 0o600 });
    return new LocalFileVault(options, headerBytes, keys, protector, buckets, sealed);
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    this.assertOpen();
    const line = this.bucketOf(key).get(key);
    return line === undefined ? undefined : (JSON.parse(line.slice(line.indexOf('\t') + 1)) as T);
  }

  has(key: string): boolean {
    return this.bucketOf(key).has(key);
  }

  put(key: string, value: unknown): Promise<void> {
    return putOne(this, key, value);
  }

  delete(key: string): Promise<boolean> {
    return deleteOne(this, key);
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
    for (const bucket of this.buckets) for (const key of bucket.keys()) if (key.startsWith(prefix)) keys.push(key);
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
      records: this.count,
    };
  }

  /** Waits for queued writes, then refuses further use. */
  async dispose(): Promise<void> {
    while (this.writing || this.queue.length > 0) await new Promise((r) => setImmediate(r));
    this.closed = true;
    this.keys.enc.fill(0);
    this.keys.mac.fill(0);
    this.listeners.clear();
  }

  private bucketOf(key: string): Map<string, string> {
    return this.buckets[segmentOf(key, this.buckets.length)] as Map<string, string>;
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        const undo: Array<{ key: string; line: string | undefined }> = [];
        const dirty = new Set<number>();
        const changes: VaultChange[] = [];
        for (const pending of group) {
          for (const op of pending.ops) {
            const number = segmentOf(op.key, this.buckets.length);
            const bucket = this.buckets[number] as Map<string, string>;
            undo.push({ key: op.key, line: bucket.get(op.key) });
            if (op.type === 'put') bucket.set(op.key, recordLine(op.key, JSON.stringify(op.value)));
            else bucket.delete(op.key);
            dirty.add(number);
            changes.push({ type: op.type, key: op.key });
          }
        }
        const next = [...this.sealed];
        for (const number of dirty) {
          next[number] = encryptSegment(this.keys, this.headerBytes, number, [...(this.buckets[number] as Map<string, string>).values()].join('\n'));
        }
        try {
          await atomicWrite(this.options.file, assembleVaultFile(this.keys, this.headerBytes, next), { backup: this.options.backup, mode: 0o600 });
        } catch (error) {
          for (const { key, line } of undo.reverse()) {
            const bucket = this.bucketOf(key);
            if (line === undefined) bucket.delete(key);
            else bucket.set(key, line);
          }
          const failure = new SophonError(
            'VAULT_LOCKED',
            `could not save vault.enc (${(error as Error).message}) — the change was not saved and nothing stored was lost; free disk space or fix permissions, then retry`,
            { cause: error },
          );
          for (const pending of group) pending.reject(failure);
          continue;
        }
        for (const number of dirty) this.sealed[number] = next[number] as Segment;
        this.count = this.buckets.reduce((n, b) => n + b.size, 0);
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

/**
 * A wrong passphrase and an edited header look the same to the key wrap. The header never
 * changes after a vault is created, so the backup holds the same one: when they differ and
 * the backup's opens with what was given, it was vault.enc's header that was edited.
 */
async function tamperedOrWrong(options: LocalVaultOptions, headerBytes: Buffer, protector: KeyProtector, error: unknown): Promise<never> {
  if (!(error instanceof SophonError) || error.code !== 'VAULT_WRONG_PASSPHRASE') throw error;
  const backup = await readFile(options.backup).catch(() => undefined);
  if (!backup) throw error;
  let other: ReturnType<typeof parseVaultFile>;
  try {
    other = parseVaultFile(backup);
  } catch {
    throw error;
  }
  if (other.headerBytes.equals(headerBytes)) throw error;
  const opened = await protector.unseal(other.header.protector, { vaultId: other.header.vaultId }).then(
    (key) => {
      key.fill(0);
      return true;
    },
    () => false,
  );
  if (!opened) throw error;
  throw new SophonError('VAULT_TAMPERED', `the passphrase opens ${basename(options.backup)} but not ${basename(options.file)}, whose header differs from the backup's: it was edited — nothing was changed; bring the vault back with \`sophon vault restore\``);
}

/** Paths (files, or directories holding a non-empty file) that hold data of an earlier vault. */
async function remainsOf(paths: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) continue;
    if (info.isFile() && info.size > 0) found.push(path);
    else if (info.isDirectory()) {
      for (const name of await readdir(path).catch(() => [] as string[])) {
        const inner = await stat(join(path, name)).catch(() => undefined);
        if (inner?.isFile() && inner.size > 0) {
          found.push(path);
          break;
        }
      }
    }
  }
  return found;
}

async function refuseOverRemains(options: LocalVaultOptions): Promise<void> {
  const found = await remainsOf([options.backup, ...(options.remains ?? [])]);
  if (found.length === 0) return;
  throw new SophonError(
    'VAULT_MISSING',
    `${options.file} is missing, but an earlier vault left ${found.join(' and ')} — no new vault was created (it would replace the backup); bring it back with \`sophon vault restore\`, or move those away to start an empty vault`,
  );
}

/** Temp files a killed writer left behind (never the vault or its backup). */
async function removeStaleTemps(file: string): Promise<void> {
  const dir = dirname(file);
  const stem = basename(file);
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((name) => name.endsWith('.tmp') && (name.startsWith(`.${stem}.`) || name.startsWith(`${stem}.bak.`)))
      .map((name) => unlink(join(dir, name)).catch(() => undefined)),
  );
}

function closedError(): SophonError {
  return new SophonError('VAULT_CLOSED', 'the vault is closed — this is a bug; restart the command');
}
