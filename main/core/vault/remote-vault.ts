import { isDeepStrictEqual } from 'node:util';
import { SophonError, firstLine } from '../errors.ts';
import type { Clock, TimerHandle } from '../ports.ts';
import { REMOTE_ANCHOR_EVERY_MS, BACKEND_TITLES } from './backend-settings.ts';
import { isOwnRecord, parseRecord, recordKeyOf, serialiseRecord, type RecordBody } from './record-layout.ts';
import { isStoreError, storeFailure, type SecretStore } from './secret-store.ts';
import type { ICredentialVault, Unsubscribe, VaultChange, VaultHealth, VaultOp } from './types.ts';
import { deleteOne, putOne } from './vault-ops.ts';
import type { ReadOrigin, SharedVault } from './vault-leases.ts';

export interface RemoteVaultOptions {
  readonly store: SecretStore;
  /** This installation: scopes `internal/` keys, names the lease holder. */
  readonly machineId: string;
  /** Shown to another machine waiting for a lease: "laptop (pid 4242)". */
  readonly holder: string;
  readonly clock: Pick<Clock, 'now' | 'setTimeout' | 'clearTimeout'>;
  /** How old a cached record may be and still be served while the store answers transient errors. */
  readonly cacheMs: number;
  /** Re-list the store this often to see records other machines added or removed (owners only). */
  readonly syncMs?: number;
}

interface Cached {
  readonly version: string;
  readonly body: RecordBody;
  readonly fetchedAt: number;
}

/** Reads within this long of the last fetch share it (a connection's metadata and secret are one record). */
const FRESH_MS = 2_000;
const OPEN_CONCURRENCY = 8;
const CONFLICT_ATTEMPTS = 12;
const LEASE_POLL_MS = 500;
const EMPTY = (): RecordBody => ({ sophon: 'record', v: 1, entries: {} });

/**
 * ICredentialVault over a remote secret store (HashiCorp Vault, AWS Secrets Manager, Azure
 * Key Vault). Every record is read at open, so `has` and `list` answer from memory; `get`
 * reads through when its copy is older than a couple of seconds, and falls back to the
 * copy (for `cacheMs` at most) only when the store answers a transient error. Writes go to
 * the store conditioned on the version last seen, and are re-applied on top of someone
 * else's newer version when they conflict; a write the store refuses changes nothing here.
 */
export class RemoteVault implements ICredentialVault, SharedVault {
  private readonly records = new Map<string, Cached>();
  /** vault key → its record key */
  private readonly keys = new Map<string, string>();
  private readonly reads = new Map<string, Promise<Cached | undefined>>();
  private readonly chains = new Map<string, Promise<unknown>>();
  /** record key → since when a cached copy has been served instead of the store's answer */
  private readonly served = new Map<string, { readonly reason: string }>();
  private readonly held = new Set<string>();
  /** Records to read from the store on their next use, whatever their age. */
  private readonly refetch = new Set<string>();
  private readonly listeners = new Set<(change: VaultChange) => void>();
  private lastError: { at: string; message: string } | undefined;
  private syncTimer: TimerHandle | undefined;
  private closed = false;

  private constructor(private readonly options: RemoteVaultOptions) {}

  static async open(options: RemoteVaultOptions): Promise<RemoteVault> {
    const vault = new RemoteVault(options);
    let names: string[];
    try {
      names = await options.store.list();
    } catch (error) {
      throw storeFailure(options.store, error, `list the records under ${options.store.location}`);
    }
    const own = names.filter((name) => isOwnRecord(name, options.machineId));
    for (let i = 0; i < own.length; i += OPEN_CONCURRENCY) {
      await Promise.all(own.slice(i, i + OPEN_CONCURRENCY).map((name) => vault.fetch(name, -1, 'open')));
    }
    vault.scheduleSync();
    return vault;
  }

  get backend() {
    return this.options.store.backend;
  }

  get anchorEveryMs(): number {
    return REMOTE_ANCHOR_EVERY_MS[this.options.store.backend];
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    this.assertOpen();
    const recordKey = this.keys.get(key);
    if (recordKey === undefined) return undefined;
    const record = await this.fetch(recordKey, FRESH_MS, 'read');
    const value = record?.body.entries[key];
    return value === undefined ? undefined : (structuredClone(value) as T);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  put(key: string, value: unknown): Promise<void> {
    return putOne(this, key, value);
  }

  delete(key: string): Promise<boolean> {
    return deleteOne(this, key);
  }

  /** One record per batch: the core only ever batches one connection's keys, which share a record. */
  async batch(ops: readonly VaultOp[]): Promise<void> {
    this.assertOpen();
    if (ops.length === 0) return;
    const recordKeys = new Set(ops.map((op) => this.recordOf(op.key)));
    if (recordKeys.size > 1) throw new SophonError('INTERNAL', `a vault batch touched ${recordKeys.size} records (${[...recordKeys].join(', ')}); a remote store changes one record at a time`);
    for (const op of ops) if (op.type === 'put' && op.value === undefined) throw new SophonError('INTERNAL', `vault put of ${op.key} without a value`);
    const recordKey = [...recordKeys][0] as string;
    await this.serialised(recordKey, () => this.apply(recordKey, ops));
  }

  /** Migration: writes every record once; a record that already exists must hold the same entries. */
  async putAll(entries: ReadonlyMap<string, unknown>): Promise<void> {
    const byRecord = new Map<string, VaultOp[]>();
    for (const [key, value] of entries) {
      const recordKey = this.recordOf(key);
      const ops = byRecord.get(recordKey) ?? [];
      ops.push({ type: 'put', key, value });
      byRecord.set(recordKey, ops);
    }
    const work = [...byRecord];
    for (let i = 0; i < work.length; i += OPEN_CONCURRENCY) {
      await Promise.all(work.slice(i, i + OPEN_CONCURRENCY).map(([recordKey, ops]) => this.serialised(recordKey, () => this.apply(recordKey, ops))));
    }
  }

  list(prefix: string): string[] {
    const out: string[] = [];
    for (const key of this.keys.keys()) if (key.startsWith(prefix)) out.push(key);
    return out.sort();
  }

  onChange(listener: (change: VaultChange) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  health(): VaultHealth {
    const now = this.options.clock.now();
    let oldest: number | undefined;
    for (const recordKey of this.served.keys()) {
      const record = this.records.get(recordKey);
      if (record) oldest = Math.max(oldest ?? 0, now - record.fetchedAt);
    }
    const { store } = this.options;
    return {
      backend: store.backend,
      path: store.location,
      protector: 'remote',
      strength: 'strong',
      protectorDescription: `${BACKEND_TITLES[store.backend]} at ${store.location}`,
      records: this.keys.size,
      remote: { cachedRecords: this.served.size, ...(oldest !== undefined ? { oldestCachedMs: oldest } : {}), ...(this.lastError ? { lastError: this.lastError } : {}) },
    };
  }

  readOrigin(key: string): ReadOrigin {
    const recordKey = this.keys.get(key) ?? this.recordOf(key);
    const served = this.served.get(recordKey);
    const record = this.records.get(recordKey);
    if (!served || !record) return { backend: this.backend };
    return { backend: this.backend, cachedForMs: this.options.clock.now() - record.fetchedAt, reason: served.reason };
  }

  forget(key: string): void {
    this.refetch.add(this.keys.get(key) ?? this.recordOf(key));
  }

  async hold<T>(key: string, ttlMs: number, work: () => Promise<T>, options: { satisfied?: () => Promise<T | undefined> } = {}): Promise<T> {
    const recordKey = this.recordOf(key);
    const { clock } = this.options;
    const giveUpAt = clock.now() + ttlMs + 30_000;
    let waited = false;
    for (;;) {
      if (waited && options.satisfied) {
        this.forget(key);
        const done = await options.satisfied();
        if (done !== undefined) return done;
      }
      const outcome = await this.claim(recordKey, ttlMs);
      if (outcome.held) break;
      if (clock.now() > giveUpAt) {
        throw new SophonError('VAULT_CONFLICT', `${key} is being refreshed by ${outcome.holder} on another machine and it has not finished — retry in a minute`);
      }
      waited = true;
      await this.sleep(LEASE_POLL_MS);
    }
    try {
      this.forget(key);
      return await work();
    } finally {
      await this.release(recordKey).catch(() => undefined);
    }
  }

  async dispose(): Promise<void> {
    if (this.closed) return;
    if (this.syncTimer !== undefined) this.options.clock.clearTimeout(this.syncTimer);
    await Promise.allSettled([...this.chains.values()]);
    this.closed = true;
    this.listeners.clear();
    await this.options.store.dispose();
  }

  /** Re-lists the store: records another machine added appear, removed ones go. */
  async sync(): Promise<void> {
    let names: string[];
    try {
      names = await this.options.store.list();
    } catch (error) {
      this.noteError(error);
      return;
    }
    const own = new Set(names.filter((name) => isOwnRecord(name, this.options.machineId)));
    for (const recordKey of [...this.records.keys()]) {
      if (!own.has(recordKey) && !this.chains.has(recordKey)) this.drop(recordKey);
    }
    for (const name of own) if (!this.records.has(name)) await this.fetch(name, -1, 'read').catch((error: unknown) => this.noteError(error));
  }

  private recordOf(key: string): string {
    return recordKeyOf(key, this.options.machineId);
  }

  private serialised<T>(recordKey: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(recordKey) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.chains.set(recordKey, next);
    const clear = () => {
      if (this.chains.get(recordKey) === next) this.chains.delete(recordKey);
    };
    next.then(clear, clear);
    return next;
  }

  /**
   * The record as the store has it now, or the cached copy when it is younger than `maxAgeMs`.
   * A transient failure serves the cached copy if it is younger than `cacheMs`.
   */
  private fetch(recordKey: string, maxAgeMs: number, doing: 'open' | 'read'): Promise<Cached | undefined> {
    const cached = this.records.get(recordKey);
    const now = this.options.clock.now();
    if (cached && maxAgeMs >= 0 && !this.refetch.has(recordKey) && now - cached.fetchedAt <= maxAgeMs) return Promise.resolve(cached);
    const running = this.reads.get(recordKey);
    if (running) return running;
    const promise = this.readStore(recordKey, doing).finally(() => this.reads.delete(recordKey));
    this.reads.set(recordKey, promise);
    return promise;
  }

  private async readStore(recordKey: string, doing: 'open' | 'read'): Promise<Cached | undefined> {
    const { store, clock } = this.options;
    let stored;
    try {
      stored = await store.read(recordKey);
    } catch (error) {
      this.noteError(error);
      const cached = this.records.get(recordKey);
      if (isStoreError(error, 'transient') && cached && clock.now() - cached.fetchedAt <= this.options.cacheMs) {
        this.served.set(recordKey, { reason: firstLine(error.message) });
        return cached;
      }
      throw storeFailure(store, error, doing === 'open' ? `read ${recordKey} while opening the vault` : `read ${recordKey}`);
    }
    this.served.delete(recordKey);
    this.refetch.delete(recordKey);
    if (!stored) {
      this.drop(recordKey);
      return undefined;
    }
    let body: RecordBody;
    try {
      body = parseRecord(stored.value, `${store.location}${recordKey}`);
    } catch (error) {
      // Something under the prefix that Sophon did not write: leave it alone rather than refuse to open.
      if (doing !== 'open') throw error;
      this.noteError(error);
      return undefined;
    }
    const record: Cached = { version: stored.version, body, fetchedAt: clock.now() };
    this.remember(recordKey, record);
    return record;
  }

  private async apply(recordKey: string, ops: readonly VaultOp[]): Promise<void> {
    const { store } = this.options;
    let base = this.records.get(recordKey);
    const existed = base !== undefined;
    for (let attempt = 0; ; attempt++) {
      const current = base?.body ?? EMPTY();
      const entries: Record<string, unknown> = { ...current.entries };
      for (const op of ops) {
        if (op.type === 'put') entries[op.key] = structuredClone(op.value);
        else delete entries[op.key];
      }
      // Writing the credential ends this installation's refresh lease in the same write.
      const releases = store.concurrency === 'cas' && this.held.has(recordKey) && ops.some((op) => op.key.startsWith('secret/'));
      const lease = current.lease && !(releases && current.lease.holder === this.options.holder) ? current.lease : undefined;
      const next: RecordBody = { sophon: 'record', v: 1, entries, ...(lease ? { lease } : {}) };
      if (base && isDeepStrictEqual(next, base.body)) return;
      if (!base && Object.keys(entries).length === 0) return;
      try {
        if (Object.keys(entries).length === 0) {
          await store.remove(recordKey);
          this.drop(recordKey);
        } else {
          const text = serialiseRecord(next);
          const bytes = Buffer.byteLength(text, 'utf8');
          if (bytes > store.maxRecordBytes) {
            throw new SophonError('VAULT_TOO_LARGE', `${describeRecord(recordKey)} would be ${Math.ceil(bytes / 1024)} KB and ${BACKEND_TITLES[store.backend]} holds at most ${Math.floor(store.maxRecordBytes / 1024)} KB per secret — nothing was changed`);
          }
          const version = await store.write(recordKey, text, base?.version);
          this.remember(recordKey, { version, body: next, fetchedAt: this.options.clock.now() });
        }
        if (releases) this.held.delete(recordKey);
        this.lastError = undefined;
        for (const op of ops) for (const listener of this.listeners) listener({ type: op.type, key: op.key });
        return;
      } catch (error) {
        this.noteError(error);
        if (!isStoreError(error, 'conflict') || attempt >= CONFLICT_ATTEMPTS) {
          // The store may have applied a write it did not confirm: read it again next time.
          if (isStoreError(error, 'transient')) this.refetch.add(recordKey);
          throw storeFailure(store, error, `save ${describeRecord(recordKey)}`, true);
        }
        if (attempt > 2) await this.sleep(Math.min(1_000, 50 * 2 ** attempt) * (0.5 + Math.random()));
        base = await this.fetch(recordKey, -1, 'read');
        if (existed && base === undefined) {
          throw new SophonError('VAULT_CONFLICT', `${describeRecord(recordKey)} was removed meanwhile (on another machine?) — nothing was written`);
        }
      }
    }
  }

  private async claim(recordKey: string, ttlMs: number): Promise<{ held: true } | { held: false; holder: string }> {
    const { store, holder, clock } = this.options;
    const lease = { holder, until: clock.now() + ttlMs };
    if (store.concurrency === 'checked' && store.leases) {
      let outcome;
      try {
        outcome = await store.leases.claim(recordKey, lease);
      } catch (error) {
        throw storeFailure(store, error, `take the refresh lease on ${describeRecord(recordKey)}`);
      }
      if (outcome.held) this.held.add(recordKey);
      return outcome;
    }
    return this.serialised(recordKey, async () => {
      for (let attempt = 0; attempt < CONFLICT_ATTEMPTS; attempt++) {
        const record = await this.fetch(recordKey, -1, 'read');
        if (!record) return { held: true as const };
        const current = record.body.lease;
        if (current && current.holder !== holder && current.until > clock.now()) return { held: false as const, holder: current.holder };
        const body: RecordBody = { ...record.body, lease };
        try {
          const version = await store.write(recordKey, serialiseRecord(body), record.version);
          this.remember(recordKey, { version, body, fetchedAt: clock.now() });
          this.held.add(recordKey);
          return { held: true as const };
        } catch (error) {
          if (!isStoreError(error, 'conflict')) throw storeFailure(store, error, `take the refresh lease on ${describeRecord(recordKey)}`);
        }
      }
      return { held: false as const, holder: 'another machine (the record kept changing)' };
    });
  }

  private async release(recordKey: string): Promise<void> {
    if (!this.held.has(recordKey)) return;
    this.held.delete(recordKey);
    const { store, holder } = this.options;
    if (store.concurrency === 'checked' && store.leases) return store.leases.release(recordKey, holder);
    await this.serialised(recordKey, async () => {
      for (let attempt = 0; attempt < CONFLICT_ATTEMPTS; attempt++) {
        const record = await this.fetch(recordKey, -1, 'read');
        if (!record || record.body.lease?.holder !== holder) return;
        const { lease: _mine, ...body } = record.body;
        try {
          const version = await store.write(recordKey, serialiseRecord(body), record.version);
          this.remember(recordKey, { version, body, fetchedAt: this.options.clock.now() });
          return;
        } catch (error) {
          if (!isStoreError(error, 'conflict')) return;
        }
      }
    });
  }

  private remember(recordKey: string, record: Cached): void {
    const before = this.records.get(recordKey);
    this.records.set(recordKey, record);
    if (before) for (const key of Object.keys(before.body.entries)) if (!(key in record.body.entries)) this.keys.delete(key);
    for (const key of Object.keys(record.body.entries)) this.keys.set(key, recordKey);
  }

  private drop(recordKey: string): void {
    const before = this.records.get(recordKey);
    this.records.delete(recordKey);
    this.served.delete(recordKey);
    if (before) for (const key of Object.keys(before.body.entries)) this.keys.delete(key);
  }

  private noteError(error: unknown): void {
    this.lastError = { at: new Date(this.options.clock.now()).toISOString(), message: firstLine(error instanceof Error ? error.message : String(error)) };
  }

  private scheduleSync(): void {
    const { syncMs, clock } = this.options;
    if (!syncMs || this.closed) return;
    const handle = clock.setTimeout(() => {
      void this.sync().finally(() => this.scheduleSync());
    }, syncMs);
    handle.unref?.();
    this.syncTimer = handle;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.options.clock.setTimeout(resolve, ms);
      handle.unref?.();
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new SophonError('VAULT_CLOSED', 'the vault is closed — this is a bug; restart the command');
  }
}

function describeRecord(recordKey: string): string {
  return recordKey.startsWith('connection/') ? `the record of connection ${recordKey.slice('connection/'.length)}` : `the record ${recordKey}`;
}
