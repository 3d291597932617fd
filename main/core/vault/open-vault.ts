import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { atomicWrite } from '../fs-atomic.ts';
import type { SophonPaths } from '../paths.ts';
import { systemClock, type Clock } from '../ports.ts';
import { currentUser, expandPrefix, remoteBackend, type CredentialsSettings, type RemoteBackendSettings, type VaultBackendName } from './backend-settings.ts';
import { LocalFileVault } from './local-vault.ts';
import { RemoteVault } from './remote-vault.ts';
import type { SecretStore } from './secret-store.ts';
import type { ICredentialVault, ProtectorResolver } from './types.ts';
import { SophonError } from '../errors.ts';

export interface OpenVaultOptions {
  readonly paths: SophonPaths;
  readonly credentials: CredentialsSettings;
  /** Another backend than the one the settings name (migration). */
  readonly backend?: VaultBackendName;
  readonly protectors: ProtectorResolver;
  readonly clock?: Clock;
  readonly env?: NodeJS.ProcessEnv;
  /** Owners re-list a remote store now and then to see other machines' records. */
  readonly syncMs?: number;
  /** Local vault: what an earlier vault leaves behind, so that none is created over it (LocalFileVault `remains`). */
  readonly localRemains?: readonly string[];
}

/** Opens the vault the settings name: vault.enc for Local, else the remote store (vault.enc is then neither read nor created). */
export async function openVault(options: OpenVaultOptions): Promise<ICredentialVault> {
  const name = options.backend ?? options.credentials.Vault;
  const remote = remoteBackend(options.credentials, name);
  if (name === 'Local') {
    return LocalFileVault.open({ file: options.paths.vaultFile, backup: options.paths.vaultBackup, protectors: options.protectors, ...(options.localRemains ? { remains: options.localRemains } : {}) });
  }
  if (!remote) throw new SophonError('SETTINGS_INVALID', `Sophon.Credentials.${name} is missing — add that section to ${options.paths.settingsFile} (see the README, Team vault backends)`);
  const env = options.env ?? process.env;
  const id = await machineId(options.paths);
  const holder = installationName(id);
  const store = await openStore(remote, { env, holder });
  try {
    return await RemoteVault.open({
      store,
      machineId: id,
      holder,
      clock: options.clock ?? systemClock,
      cacheMs: remote.settings.CacheSeconds * 1000,
      ...(options.syncMs ? { syncMs: options.syncMs } : {}),
    });
  } catch (error) {
    await store.dispose().catch(() => undefined);
    throw error;
  }
}

/** A driver for the backend, its prefix filled in. The SDKs load only when their backend is used. */
export async function openStore(remote: RemoteBackendSettings, context: { env: NodeJS.ProcessEnv; holder: string; user?: string }): Promise<SecretStore> {
  const user = context.user ?? currentUser();
  switch (remote.backend) {
    case 'HashiCorpVault': {
      const { HashiCorpStore } = await import('./hashicorp-store.ts');
      return HashiCorpStore.create({ settings: remote.settings, prefix: expandPrefix(remote.settings.Prefix, user, '/'), env: context.env });
    }
    case 'AwsSecretsManager': {
      const { AwsStore } = await import('./aws-store.ts');
      return new AwsStore({ settings: remote.settings, prefix: expandPrefix(remote.settings.Prefix, user, '/') });
    }
    case 'AzureKeyVault': {
      const { AzureStore } = await import('./azure-store.ts');
      return AzureStore.create({ settings: remote.settings, prefix: expandPrefix(remote.settings.Prefix, user, '-').toLowerCase(), holder: context.holder });
    }
  }
}

/** This installation's id ($SOPHON_HOME/config/machine-id): scopes its audit key in a shared store. */
export async function machineId(paths: SophonPaths): Promise<string> {
  const file = join(paths.configDir, 'machine-id');
  try {
    const text = (await readFile(file, 'utf8')).trim();
    if (/^[a-f0-9]{16,64}$/.test(text)) return text;
  } catch {
    // created below
  }
  const id = randomBytes(8).toString('hex');
  await atomicWrite(file, `${id}\n`, { mode: 0o600 });
  return id;
}

export function installationName(id: string): string {
  return `${hostname()} (pid ${process.pid}, ${id.slice(0, 6)})`;
}
