import { createHash } from 'node:crypto';
import { readFile, rename, rm, stat } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { SophonError } from '../errors.ts';
import { atomicWrite } from '../fs-atomic.ts';
import { ensureDirs, type SophonPaths } from '../paths.ts';
import type { Clock } from '../ports.ts';
import { loadSettings } from '../settings.ts';
import { BACKEND_TITLES, remoteBackend, type VaultBackendName } from './backend-settings.ts';
import { LocalFileVault } from './local-vault.ts';
import { openVault } from './open-vault.ts';
import { OwnerLock } from './owner-lock.ts';
import { RemoteVault } from './remote-vault.ts';
import type { ICredentialVault, ProtectorResolver } from './types.ts';

export type MigrationStep = 'read' | 'copied' | 'verified' | 'switched';

export interface MigrateOptions {
  readonly paths: SophonPaths;
  readonly to: VaultBackendName;
  readonly protectors: ProtectorResolver;
  readonly env?: NodeJS.ProcessEnv;
  readonly clock?: Clock;
  readonly onStep?: (step: MigrationStep, detail: string) => void;
  /** Every record of the store in use has been read (the credentials among them): from where, how many. */
  readonly onRead?: (from: VaultBackendName, records: number) => void;
}

export interface MigrationResult {
  readonly from: VaultBackendName;
  readonly to: VaultBackendName;
  readonly keys: number;
  readonly connections: number;
  /** Where the old store's copy still is, for the person to remove once satisfied. */
  readonly oldStore: string;
}

/** Marks a remote target as being filled by this installation's migration, so a retry may overwrite what an interrupted one wrote. */
const MARKER = 'internal/migration';
/** Left in a remote store this installation migrated away from: what it held then, so coming back may replace it only if nobody changed it since. */
const LEFT = 'internal/migrated-away';
const isMarker = (key: string) => key === MARKER || key === LEFT;

/**
 * `sophon vault migrate --to <backend>`: copies every record from the backend in use to
 * another, reads every one back from a fresh connection and compares, and only then
 * switches `Sophon.Credentials.Vault` in appsettings.json (one atomic file replace). The
 * old store's records are never changed (a remote one gets a note of what it held when it
 * was left). Interrupted anywhere before the switch, the settings still
 * name the old store, which is complete; after it, they name the new one, which was
 * verified complete. A local target is built beside vault.enc and renamed into place
 * before the switch (an older vault.enc is kept aside, not overwritten).
 */
export async function migrateVault(options: MigrateOptions): Promise<MigrationResult> {
  const { paths, to, protectors } = options;
  const env = options.env ?? process.env;
  const step = options.onStep ?? (() => undefined);
  await ensureDirs(paths);
  const lock = await OwnerLock.acquire(paths.lockFile, 'sophon vault migrate');
  try {
    const settings = await loadSettings(paths.settingsFile);
    const credentials = settings.Sophon.Credentials;
    const from = credentials.Vault;
    if (from === to) throw new SophonError('INVALID_INPUT', `the vault already uses ${to} — nothing to migrate (Sophon.Credentials.Vault in ${paths.settingsFile})`);
    if (to !== 'Local' && !remoteBackend(credentials, to)) {
      throw new SophonError('SETTINGS_INVALID', `Sophon.Credentials.${to} is missing — add that section to ${paths.settingsFile} (see the README, Team vault backends), keep "Vault": "${from}", then run migrate again`);
    }
    const common = { paths, credentials, protectors, env, ...(options.clock ? { clock: options.clock } : {}) };
    // A Local source is opened as an owner opens it: never as a new empty vault over an earlier one's remains.
    const source = await openVault({ ...common, localRemains: [paths.auditDir] });
    let entries: Map<string, unknown>;
    let oldStore: string;
    try {
      entries = new Map();
      for (const key of source.list('')) {
        if (isMarker(key)) continue;
        entries.set(key, await source.get(key));
      }
      oldStore = source.health().path;
    } finally {
      await source.dispose();
    }
    options.onRead?.(from, entries.size);
    step('read', `${entries.size} record(s) from ${BACKEND_TITLES[from]}`);
    // The note in a remote store that is left is written before the switch, so that a migration
    // killed right after it can still be undone by migrating back.
    const beforeSwitch = from !== 'Local' ? () => leaveNote(common, to, entries) : async () => undefined;
    if (to === 'Local') await toLocal(paths, entries, protectors, step, beforeSwitch);
    else await toRemote({ ...common, backend: to }, entries, from, step, beforeSwitch);
    return { from, to, keys: entries.size, connections: [...entries.keys()].filter((k) => k.startsWith('connection/')).length, oldStore };
  } finally {
    await lock.release();
  }
}

async function toLocal(
  paths: SophonPaths,
  entries: ReadonlyMap<string, unknown>,
  protectors: ProtectorResolver,
  step: NonNullable<MigrateOptions['onStep']>,
  beforeSwitch: () => Promise<void>,
): Promise<void> {
  const building = `${paths.vaultFile}.migrating`;
  const buildingBackup = `${building}.bak`;
  // A file left by an interrupted migration is ours and incomplete: start it again.
  await rm(building, { force: true });
  await rm(buildingBackup, { force: true });
  const target = await LocalFileVault.open({ file: building, backup: buildingBackup, protectors });
  try {
    await target.batch([...entries].map(([key, value]) => ({ type: 'put' as const, key, value })));
  } finally {
    await target.dispose();
  }
  step('copied', `${entries.size} record(s) to ${building}`);
  const check = await LocalFileVault.open({ file: building, backup: buildingBackup, protectors });
  try {
    await verify(check, entries, 'the new vault.enc');
  } finally {
    await check.dispose();
  }
  step('verified', 'every record read back and compared');
  await beforeSwitch();
  // An older vault.enc (from before an earlier migration away) is kept aside, never overwritten.
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  for (const file of [paths.vaultFile, paths.vaultBackup]) {
    if (await exists(file)) await rename(file, `${file}.replaced-${stamp}`);
  }
  await rename(building, paths.vaultFile);
  await rm(buildingBackup, { force: true });
  await switchSettings(paths, 'Local');
  step('switched', `Sophon.Credentials.Vault is now Local (${paths.vaultFile})`);
}

async function toRemote(
  open: Parameters<typeof openVault>[0],
  entries: ReadonlyMap<string, unknown>,
  from: VaultBackendName,
  step: NonNullable<MigrateOptions['onStep']>,
  beforeSwitch: () => Promise<void>,
): Promise<void> {
  const to = open.backend as Exclude<VaultBackendName, 'Local'>;
  const target = await openVault(open);
  if (!(target instanceof RemoteVault)) throw new SophonError('INTERNAL', `${to} did not open as a remote vault`);
  try {
    const present = target.list('').filter((key) => !isMarker(key));
    const marker = await target.get<{ from?: string }>(MARKER);
    const left = await target.get<{ digest?: string }>(LEFT);
    const ours = marker?.from === from || (left?.digest !== undefined && left.digest === (await digest(target, present)));
    if (present.length > 0 && !ours) {
      throw new SophonError(
        'VAULT_MIGRATION',
        `${BACKEND_TITLES[to]} already holds ${present.length} record(s) under ${target.health().path} that this migration did not write — another machine may be using them; nothing was changed. Point Prefix somewhere empty, or set "Vault": "${to}" to use those records instead`,
      );
    }
    await target.put(MARKER, { from, startedAt: new Date().toISOString() });
    await target.putAll(entries);
    // Records an earlier, interrupted attempt wrote that the source no longer has.
    for (const key of target.list('')) if (!isMarker(key) && !entries.has(key)) await target.delete(key);
    if (left) await target.delete(LEFT);
    step('copied', `${entries.size} record(s) to ${target.health().path}`);
  } finally {
    await target.dispose();
  }
  const check = await openVault(open);
  try {
    await verify(check, entries, BACKEND_TITLES[to]);
  } finally {
    await check.dispose();
  }
  step('verified', 'every record read back from a fresh connection and compared');
  await beforeSwitch();
  await switchSettings(open.paths, to);
  step('switched', `Sophon.Credentials.Vault is now ${to}`);
  const done = await openVault(open);
  try {
    await done.delete(MARKER);
  } catch {
    // a leftover marker only lets a later migration from the same backend overwrite; harmless
  } finally {
    await done.dispose();
  }
}

async function verify(target: ICredentialVault, entries: ReadonlyMap<string, unknown>, where: string): Promise<void> {
  const extra = target.list('').filter((key) => !isMarker(key) && !entries.has(key));
  if (extra.length > 0) throw new SophonError('VAULT_MIGRATION', `${where} holds ${extra.length} record(s) the old store does not (${extra.slice(0, 3).join(', ')}) — nothing was switched; run migrate again`);
  for (const [key, value] of entries) {
    const copy = await target.get(key);
    if (!isDeepStrictEqual(JSON.parse(JSON.stringify(copy ?? null)), JSON.parse(JSON.stringify(value ?? null)))) {
      throw new SophonError('VAULT_MIGRATION', `${key} did not read back as written to ${where} — nothing was switched; the old store is complete and still in use; run migrate again`);
    }
  }
}

/** Just before the switch: notes in the remote store being left what it holds (best effort; only a later migration back reads it, and only while that still matches). */
async function leaveNote(open: Parameters<typeof openVault>[0], to: VaultBackendName, entries: ReadonlyMap<string, unknown>): Promise<void> {
  try {
    const old = await openVault({ ...open, backend: open.credentials.Vault });
    try {
      await old.put(LEFT, { to, at: new Date().toISOString(), digest: await digest(old, [...entries.keys()]) });
    } finally {
      await old.dispose();
    }
  } catch {
    // without the note, migrating back asks the person to empty the prefix first
  }
}

async function digest(vault: ICredentialVault, keys: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const key of [...keys].sort()) hash.update(JSON.stringify([key, (await vault.get(key)) ?? null]));
  return hash.digest('hex');
}

/** Rewrites only Sophon.Credentials.Vault, keeping everything else in the file; one atomic replace. */
async function switchSettings(paths: SophonPaths, to: VaultBackendName): Promise<void> {
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(await readFile(paths.settingsFile, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const sophon = (json['Sophon'] ??= {}) as Record<string, unknown>;
  const credentials = (sophon['Credentials'] ??= {}) as Record<string, unknown>;
  credentials['Vault'] = to;
  await atomicWrite(paths.settingsFile, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o600 });
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
