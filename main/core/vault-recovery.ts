import { readFile, rename, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { SophonError, firstLine } from './errors.ts';
import { atomicWrite } from './fs-atomic.ts';
import { ensureDirs, sophonPaths, type SophonPaths } from './paths.ts';
import { connectionKey } from './connections/model.ts';
import { openCore } from './sophon-core.ts';
import { decodeLines, deriveKeys, parseVaultFile, salvageSegments, segmentOf, type VaultKeys } from './vault/format.ts';
import { OwnerLock } from './vault/owner-lock.ts';
import type { ProtectorResolver } from './vault/types.ts';

/** What one vault file (vault.enc or vault.enc.bak) holds, as far as it can be read. */
export interface VaultCopySummary {
  readonly file: string;
  readonly state: 'missing' | 'intact' | 'damaged';
  readonly bytes?: number;
  readonly modifiedAt?: string;
  /** Why it is damaged, in one line. */
  readonly problem?: string;
  readonly segments: number;
  /** Segments that no longer decrypt: what they held cannot be known. */
  readonly unreadableSegments: number;
  /** `service:label` of each connection it holds, sorted. */
  readonly connections: readonly string[];
  readonly records: number;
}

/** Restoring vault.enc.bak: what it holds, what the current vault has that it lacks. */
export interface RestorePlan {
  readonly current: VaultCopySummary;
  readonly backup: VaultCopySummary;
  /** In the current vault (where it can be read) but not in the backup, or newer there: lost by restoring. */
  readonly lost: readonly string[];
  /** In the backup but deleted from the current vault since: they come back. */
  readonly returns: readonly string[];
  /** The current vault has segments that cannot be read: more may be lost than `lost` names. */
  readonly unknownLoss: boolean;
}

interface ReadCopy {
  readonly summary: VaultCopySummary;
  readonly bytes?: Buffer;
  readonly records: ReadonlyMap<string, string>;
}

const AUDIT_ANCHOR_KEY = 'internal/audit-anchor';

/** What a record key means to a person (keys name things, never hold secrets). */
function describeKey(key: string, connections: ReadonlyMap<string, string>): string {
  const slash = key.indexOf('/');
  const prefix = slash > 0 ? key.slice(0, slash) : key;
  const rest = slash > 0 ? key.slice(slash + 1) : '';
  switch (prefix) {
    case 'connection':
    case 'secret':
    case 'provider-profile':
      return `connection ${connections.get(rest) ?? rest}`;
    case 'oauth-client':
      return `the OAuth client configured for ${rest}`;
    case 'skill-approval':
      return `the approval of skill ${rest}`;
    case 'models':
      return 'the order of model profiles';
    case 'internal':
      return `Sophon's internal ${rest || key}`;
    default:
      return key;
  }
}

/** service:label of each connection record, by connection id. */
function connectionNames(records: ReadonlyMap<string, string>): Map<string, string> {
  const names = new Map<string, string>();
  for (const [key, line] of records) {
    if (!key.startsWith(connectionKey(''))) continue;
    try {
      const value = JSON.parse(line.slice(line.indexOf('\t') + 1)) as { service?: unknown; label?: unknown };
      if (typeof value.service === 'string' && typeof value.label === 'string') names.set(key.slice(connectionKey('').length), `${value.service}:${value.label}`);
    } catch {
      // a record that does not parse is named by its key
    }
  }
  return names;
}

/**
 * Reads one vault file as far as it goes, never changing it. The data key is unsealed
 * once for copies that share a header (the backup and the vault it was taken from).
 */
async function readCopy(file: string, protectors: ProtectorResolver, keyCache: Map<string, VaultKeys>): Promise<ReadCopy> {
  let bytes: Buffer;
  let modifiedAt: string;
  try {
    bytes = await readFile(file);
    modifiedAt = (await stat(file)).mtime.toISOString();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { summary: { file, state: 'missing', segments: 0, unreadableSegments: 0, connections: [], records: 0 }, records: new Map() };
    throw new SophonError('PERMISSION_DENIED', `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? firstLine((error as Error).message)}) — it must be readable by you (mode 0600); run \`sophon doctor\``, { cause: error });
  }
  const base = { file, bytes: bytes.length, modifiedAt };
  let parsed;
  try {
    parsed = parseVaultFile(bytes);
  } catch (error) {
    return { summary: { ...base, state: 'damaged', problem: firstLine((error as Error).message).replace(/ — .*$/, ''), segments: 0, unreadableSegments: 0, connections: [], records: 0 }, bytes, records: new Map() };
  }
  const cacheKey = `${parsed.header.vaultId}\0${JSON.stringify(parsed.header.protector)}`;
  let keys = keyCache.get(cacheKey);
  if (!keys) {
    const protector = await protectors.forExisting(parsed.header.protector);
    const dataKey = await protector.unseal(parsed.header.protector, { vaultId: parsed.header.vaultId });
    keys = deriveKeys(dataKey, parsed.header.vaultId);
    dataKey.fill(0);
    keyCache.set(cacheKey, keys);
  }
  const { macOk, plaintexts } = salvageSegments(parsed, keys);
  const records = new Map<string, string>();
  let unreadable = 0;
  plaintexts.forEach((plain, number) => {
    if (!plain) {
      unreadable++;
      return;
    }
    const bucket = new Map<string, string>();
    try {
      decodeLines(plain, bucket);
    } catch {
      unreadable++;
      return;
    }
    for (const [key, line] of bucket) if (segmentOf(key, parsed.header.segments) === number) records.set(key, line);
  });
  const intact = macOk && unreadable === 0;
  const names = connectionNames(records);
  return {
    summary: {
      ...base,
      state: intact ? 'intact' : 'damaged',
      ...(intact ? {} : { problem: unreadable > 0 ? `${unreadable} of ${parsed.header.segments} segments ${unreadable === 1 ? 'does' : 'do'} not decrypt` : 'its index does not match its contents (a segment was replaced or rolled back)' }),
      segments: parsed.header.segments,
      unreadableSegments: unreadable,
      connections: [...names.values()].sort(),
      records: records.size,
    },
    bytes,
    records,
  };
}

function comparePlans(current: ReadCopy, backup: ReadCopy): Pick<RestorePlan, 'lost' | 'returns'> {
  const names = new Map([...connectionNames(backup.records), ...connectionNames(current.records)]);
  // A connection is several records (metadata, secret, profile): name it once, "added" over "changed".
  const lost = new Map<string, 'added' | 'changed'>();
  for (const [key, line] of current.records) {
    const before = backup.records.get(key);
    // Where the audit trail ended, kept by the owner: it always differs, and is no one's data.
    if (before === line || key === AUDIT_ANCHOR_KEY) continue;
    const thing = describeKey(key, names);
    if (before === undefined) lost.set(thing, 'added');
    else if (!lost.has(thing)) lost.set(thing, 'changed');
  }
  // Absent from the current vault means removed only when all of it could be read.
  const complete = current.summary.state !== 'missing' && current.summary.unreadableSegments === 0 && current.summary.segments > 0;
  const returns = new Set<string>();
  if (complete) for (const key of backup.records.keys()) if (!current.records.has(key)) returns.add(`${describeKey(key, names)} (removed since the backup)`);
  return {
    lost: [...lost].map(([thing, how]) => `${thing} (${how === 'added' ? 'added since the backup' : 'changed since the backup; the backup holds an older copy'})`).sort(),
    returns: [...returns].sort(),
  };
}

/**
 * Reads vault.enc and vault.enc.bak as far as they go, without the owner lock and without
 * changing anything (`sophon doctor`): whether each is intact, and what each holds.
 */
export async function checkVaultFiles(options: { readonly home: string; readonly protectors: ProtectorResolver }): Promise<{ readonly current: VaultCopySummary; readonly backup: VaultCopySummary }> {
  const paths = sophonPaths(options.home);
  const keyCache = new Map<string, VaultKeys>();
  try {
    const current = await readCopy(paths.vaultFile, options.protectors, keyCache);
    const backup = await readCopy(paths.vaultBackup, options.protectors, keyCache).catch((error: unknown) => ({ summary: { file: paths.vaultBackup, state: 'damaged' as const, problem: firstLine((error as Error).message).replace(/ — .*$/, ''), segments: 0, unreadableSegments: 0, connections: [], records: 0 } }));
    return { current: current.summary, backup: backup.summary };
  } finally {
    wipe(keyCache);
  }
}

function wipe(keyCache: Map<string, VaultKeys>): void {
  for (const keys of keyCache.values()) {
    keys.enc.fill(0);
    keys.mac.fill(0);
  }
  keyCache.clear();
}

export interface VaultRestore {
  readonly plan: RestorePlan;
  /** Moves the current vault aside (never deletes it), puts the backup in its place and checks it opens. */
  apply(): Promise<{ readonly keptAs?: string; readonly connections: number }>;
  dispose(): Promise<void>;
}

/**
 * `sophon vault restore`: holds the owner lock (no owner may run meanwhile), reads both
 * copies and says what restoring would change before anything is touched.
 */
export async function prepareVaultRestore(options: { readonly home: string; readonly protectors: ProtectorResolver; readonly now?: () => number }): Promise<VaultRestore> {
  const paths: SophonPaths = sophonPaths(options.home);
  await ensureDirs(paths);
  const lock = await OwnerLock.acquire(paths.lockFile, 'sophon vault restore');
  try {
    const keyCache = new Map<string, VaultKeys>();
    const backup = await readCopy(paths.vaultBackup, options.protectors, keyCache);
    if (backup.summary.state === 'missing') {
      throw new SophonError('INVALID_INPUT', `there is no backup to restore from (${paths.vaultBackup} does not exist) — nothing was changed`);
    }
    if (backup.summary.state !== 'intact') {
      throw new SophonError('VAULT_TAMPERED', `${basename(paths.vaultBackup)} is damaged too (${backup.summary.problem}) — nothing was changed; keep both files and restore them from your own backups`);
    }
    const current = await readCopy(paths.vaultFile, options.protectors, keyCache).catch((error: unknown) => {
      // A current vault sealed differently from its backup (a damaged header): all of it is unreadable.
      if (error instanceof SophonError && error.code === 'VAULT_TAMPERED') return { summary: { file: paths.vaultFile, state: 'damaged' as const, problem: firstLine(error.message).replace(/ — .*$/, ''), segments: 0, unreadableSegments: 0, connections: [], records: 0 }, records: new Map<string, string>() };
      throw error;
    });
    const unknownLoss = current.summary.state === 'damaged' && (current.summary.unreadableSegments > 0 || current.summary.segments === 0);
    const plan: RestorePlan = { current: current.summary, backup: backup.summary, ...comparePlans(current, backup), unknownLoss };
    wipe(keyCache);
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await lock.release();
    };
    return {
      plan,
      async apply() {
        const stamp = new Date(options.now?.() ?? Date.now()).toISOString().replace(/[:.]/g, '-');
        let keptAs: string | undefined;
        if (current.summary.state !== 'missing') {
          keptAs = `${paths.vaultFile}.replaced-${stamp}`;
          await rename(paths.vaultFile, keptAs);
        }
        await atomicWrite(paths.vaultFile, backup.bytes as Buffer, { mode: 0o600 });
        await release();
        // Open it as an owner would: proves the restored vault opens, and records the restore.
        // The trail then records the restore itself (not as a finding of a rolled-back vault).
        const restoredFromBackup = { lost: plan.lost.length, returned: plan.returns.length };
        const core = await openCore({ home: options.home, ownerName: 'sophon vault restore', protectors: options.protectors, scheduler: false, restoredFromBackup });
        try {
          return { ...(keptAs ? { keptAs } : {}), connections: core.vault.list(connectionKey('')).length };
        } finally {
          await core.dispose();
        }
      },
      dispose: release,
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}
