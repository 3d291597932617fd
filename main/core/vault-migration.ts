import { SophonError, firstLine, toSophonError } from './errors.ts';
import { openCore } from './sophon-core.ts';
import type { VaultBackendName } from './vault/backend-settings.ts';
import { migrateVault, type MigrateOptions, type MigrationResult, type MigrationStep } from './vault/migrate.ts';

export interface AuditedMigration extends MigrationResult {
  /** Set when the migration succeeded but its audit line could not be written: why. */
  readonly notAudited?: string;
}

/**
 * `sophon vault migrate` as the CLI runs it. A migration reads and copies every credential,
 * so, like every other access, it is audited: one `vault.migrate` line (from, to, how many
 * records, how far it got, the outcome; never a value), written once the migration is over
 * through the store then in use (the new one, or the old one when it failed: both hold the
 * same audit key). A migration refused before it read anything records nothing.
 */
export async function migrateVaultAudited(options: MigrateOptions): Promise<AuditedMigration> {
  let read: { from: VaultBackendName; records: number } | undefined;
  let reached: MigrationStep | undefined;
  const tracked: MigrateOptions = {
    ...options,
    onRead: (from, records) => {
      read = { from, records };
      options.onRead?.(from, records);
    },
    onStep: (step, detail) => {
      reached = step;
      options.onStep?.(step, detail);
    },
  };
  let result: MigrationResult;
  try {
    result = await migrateVault(tracked);
  } catch (error) {
    if (!read) throw error;
    const failure = toSophonError(error);
    const detail = { from: read.from, to: options.to, records: read.records, reached: reached ?? 'read', code: failure.code };
    const unrecorded = await record(options, { outcome: 'error', reason: firstLine(failure.message), detail });
    if (unrecorded === undefined) throw error;
    throw new SophonError(failure.code, `${firstLine(failure.message)}; the audit trail could not record the attempt (${unrecorded})`, { cause: error });
  }
  const detail = { from: result.from, to: result.to, records: result.keys, connections: result.connections, reached: reached ?? 'switched' };
  const unrecorded = await record(options, { outcome: 'ok', detail });
  return unrecorded === undefined ? result : { ...result, notAudited: unrecorded };
}

/** Opens the vault the settings now name, as an owner would, and appends the line; resolves to why it could not, if it could not. */
async function record(options: MigrateOptions, line: { outcome: 'ok' | 'error'; reason?: string; detail: Readonly<Record<string, string | number>> }): Promise<string | undefined> {
  try {
    const core = await openCore({ home: options.paths.home, ownerName: 'sophon vault migrate', protectors: options.protectors, scheduler: false, ...(options.env ? { env: options.env } : {}), ...(options.clock ? { clock: options.clock } : {}) });
    try {
      core.audit.append({ actor: 'cli', action: 'vault.migrate', ...line });
    } finally {
      await core.dispose();
    }
    return undefined;
  } catch (error) {
    return firstLine(toSophonError(error).message);
  }
}
