import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { SophonError, firstLine } from '../errors.ts';
import type { AzureKeyVaultSettings } from './backend-settings.ts';
import { decodeName, encodeName, type Lease } from './record-layout.ts';
import { StoreError, type LeaseRecords, type SecretStore, type StoreRecord } from './secret-store.ts';

/**
 * Azure Key Vault through the official SecretClient and @azure/identity's
 * DefaultAzureCredential (environment, workload identity, managed identity, Azure CLI…).
 *
 * Key Vault has no conditional write: every set makes a new version and the latest wins.
 * So a write first reads the latest version (and the record's lease) and refuses when
 * either changed; the gap between that check and the write is one round trip, and two
 * machines whose checks both land in it both write: the later version wins and the other
 * change is lost silently. This is not closed (Key Vault offers nothing to close it with);
 * the README says so ("What Key Vault does not protect"). Refreshes
 * are kept to one machine by a lease secret per record: a claim is a new version carrying
 * the claimant's nonce, written within SETTLE_MS / 2 of checking that nobody held it; after
 * SETTLE_MS the latest version says who won, and every claimant reads the same answer.
 */
export interface AzureStoreOptions {
  readonly settings: AzureKeyVaultSettings;
  /** With `{user}` filled in, lower case, ending in `-`. */
  readonly prefix: string;
  /** This installation, as lease holder. */
  readonly holder: string;
  /** Tests pass a credential; otherwise DefaultAzureCredential. */
  readonly credential?: TokenCredential;
}

/** Key Vault secret values are limited to 25 KB. */
const MAX_RECORD = 25 * 1024;
const SETTLE_MS = 2_000;
const CONTENT_TYPE = 'application/vnd.sophon.record+json';

interface AzureError {
  readonly name?: string;
  readonly message?: string;
  readonly statusCode?: number;
  readonly code?: string;
  readonly details?: { readonly error?: { readonly innererror?: { readonly code?: string } } };
}

type Doing = 'list' | 'read' | 'write' | 'delete' | 'purge' | 'recover' | 'sign in';

/** What each operation needs, in RBAC and access-policy terms. */
const NEEDS: Record<Doing, string> = {
  list: 'the "Key Vault Secrets User" role (Microsoft.KeyVault/vaults/secrets/readMetadata/action), or List in the vault\'s access policy',
  read: 'the "Key Vault Secrets User" role (Microsoft.KeyVault/vaults/secrets/getSecret/action), or Get in the vault\'s access policy',
  write: 'the "Key Vault Secrets Officer" role (Microsoft.KeyVault/vaults/secrets/setSecret/action), or Set in the vault\'s access policy',
  delete: 'the "Key Vault Secrets Officer" role (Microsoft.KeyVault/vaults/secrets/delete), or Delete in the vault\'s access policy',
  purge: 'Microsoft.KeyVault/vaults/deletedSecrets/purge/action, or Purge in the vault\'s access policy',
  recover: 'Microsoft.KeyVault/vaults/deletedSecrets/recover/action, or Recover in the vault\'s access policy',
  'sign in': 'a Microsoft Entra identity',
};

export class AzureStore implements SecretStore, LeaseRecords {
  readonly backend = 'AzureKeyVault' as const;
  readonly concurrency = 'checked' as const;
  readonly maxRecordBytes = MAX_RECORD;
  readonly location: string;
  readonly leases: LeaseRecords = this;
  private readonly client: SecretClient;

  private constructor(
    private readonly options: AzureStoreOptions,
    private readonly credential: TokenCredential,
    ca: string | undefined,
  ) {
    const { settings, prefix } = options;
    this.location = `${settings.VaultUri.replace(/\/+$/, '')} ${prefix}*`;
    this.client = new SecretClient(settings.VaultUri, credential, {
      ...(settings.DisableChallengeResourceVerification ? { disableChallengeResourceVerification: true } : {}),
      ...(ca ? { tlsOptions: { ca } } : {}),
      retryOptions: { maxRetries: 1 },
    });
  }

  static async create(options: AzureStoreOptions): Promise<AzureStore> {
    const { settings } = options;
    let ca: string | undefined;
    if (settings.CaFile) {
      try {
        ca = await readFile(settings.CaFile, 'utf8');
      } catch (error) {
        throw new SophonError('SETTINGS_INVALID', `cannot read the CA file ${settings.CaFile} (${(error as Error).message}) — fix Sophon.Credentials.AzureKeyVault.CaFile`);
      }
    }
    const credential =
      options.credential ??
      new DefaultAzureCredential({
        ...(settings.TenantId ? { tenantId: settings.TenantId } : {}),
        ...(settings.ClientId ? { managedIdentityClientId: settings.ClientId, workloadIdentityClientId: settings.ClientId } : {}),
        ...(settings.AuthorityHost ? { authorityHost: settings.AuthorityHost } : {}),
        ...(settings.DisableInstanceDiscovery ? { disableInstanceDiscovery: true } : {}),
        ...(ca ? { tlsOptions: { ca } } : {}),
      });
    return new AzureStore(options, credential, ca);
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    const prefix = this.options.prefix;
    await this.call('list', async () => {
      for await (const properties of this.client.listPropertiesOfSecrets()) {
        const name = properties.name.toLowerCase();
        if (!name.startsWith(prefix) || properties.managed) continue;
        const key = decodeName(name.slice(prefix.length), 'azure');
        if (key !== undefined) out.push(key);
      }
    });
    return out;
  }

  async read(recordKey: string): Promise<StoreRecord | undefined> {
    const secret = await this.latest(this.name(recordKey));
    return secret && secret.value !== undefined ? { value: secret.value, version: secret.version } : undefined;
  }

  async write(recordKey: string, value: string, expected: string | undefined): Promise<string> {
    const name = this.name(recordKey);
    const [latest, lease] = await Promise.all([this.latest(name), this.liveLease(recordKey)]);
    if (latest?.version !== expected) throw new StoreError('conflict', `${name} changed since it was read`);
    if (lease && lease.holder !== this.options.holder) throw new StoreError('conflict', `${name} is being refreshed by ${lease.holder}`);
    return this.set(name, value, { sophon: 'record' });
  }

  async remove(recordKey: string): Promise<void> {
    const name = this.name(recordKey);
    try {
      const poller = await this.call('delete', () => this.client.beginDeleteSecret(name, { intervalInMs: 250 }));
      await this.call('delete', () => poller.pollUntilDone());
    } catch (error) {
      if (error instanceof StoreError && error.kind === 'not-found') return;
      throw error;
    }
    // Soft delete keeps the name taken; purge frees it where the vault allows (no purge protection, and the permission).
    await this.call('purge', () => this.client.purgeDeletedSecret(name)).catch(() => undefined);
    if (!recordKey.startsWith('lease/')) await this.remove(`lease/${recordKey}`).catch(() => undefined);
  }

  async whoami(): Promise<string> {
    const host = new URL(this.options.settings.VaultUri).hostname;
    const resource = /^[^.]+\.(vault\..+)$/.exec(host)?.[1] ?? 'vault.azure.net';
    const token = await this.call('sign in', () => this.credential.getToken(`https://${resource}/.default`));
    if (!token) throw new StoreError('auth', 'the Azure credential returned no token');
    let claims: Record<string, unknown> = {};
    try {
      claims = JSON.parse(Buffer.from(token.token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      // not a JWT: say so rather than fail
    }
    const who = claims['upn'] ?? claims['preferred_username'] ?? claims['unique_name'] ?? (claims['appid'] ? `app ${String(claims['appid'])}` : undefined) ?? 'an identity without a name claim';
    return `${String(who)} (object ${String(claims['oid'] ?? '?')}, tenant ${String(claims['tid'] ?? '?')})`;
  }

  async dispose(): Promise<void> {
    // The client holds no sockets of its own beyond the shared agent.
  }

  // ---- leases (one lease secret per record) ----

  async claim(recordKey: string, lease: Lease): Promise<{ held: true } | { held: false; holder: string }> {
    const started = performance.now();
    const current = await this.liveLease(recordKey);
    if (current && current.holder !== lease.holder) return { held: false, holder: current.holder };
    const nonce = randomUUID();
    const name = this.name(`lease/${recordKey}`);
    await this.set(name, nonce, { sophon: 'lease', state: 'held', holder: lease.holder, until: String(lease.until), nonce });
    if (performance.now() - started > SETTLE_MS / 2) {
      // Too slow between the check and the claim to be sure nobody claimed in between: withdraw and try again.
      await this.release(recordKey, lease.holder);
      return { held: false, holder: 'nobody yet (the claim was slow; trying again)' };
    }
    await sleep(SETTLE_MS);
    const latest = await this.latest(name);
    if (latest?.tags['nonce'] === nonce) return { held: true };
    return { held: false, holder: latest?.tags['holder'] ?? 'another machine' };
  }

  async release(recordKey: string, holder: string): Promise<void> {
    const name = this.name(`lease/${recordKey}`);
    const latest = await this.latest(name);
    if (latest?.tags['state'] !== 'held' || latest.tags['holder'] !== holder) return;
    await this.set(name, 'released', { sophon: 'lease', state: 'released', holder });
  }

  private async liveLease(recordKey: string): Promise<Lease | undefined> {
    const latest = await this.latest(this.name(`lease/${recordKey}`));
    if (!latest || latest.tags['state'] !== 'held') return undefined;
    const until = Number(latest.tags['until']);
    return until > Date.now() ? { holder: latest.tags['holder'] ?? 'another machine', until } : undefined;
  }

  // ---- plumbing ----

  private name(recordKey: string): string {
    const name = `${this.options.prefix}${encodeName(recordKey, 'azure')}`;
    if (name.length > 127) throw new StoreError('too-large', `the Key Vault secret name for ${recordKey} would be ${name.length} characters; Key Vault allows 127 — use a shorter Prefix`);
    return name;
  }

  private async latest(name: string): Promise<{ value: string | undefined; version: string; tags: Record<string, string> } | undefined> {
    try {
      const secret = await this.call('read', () => this.client.getSecret(name));
      return { value: secret.value, version: secret.properties.version ?? '', tags: secret.properties.tags ?? {} };
    } catch (error) {
      if (error instanceof StoreError && error.kind === 'not-found') return undefined;
      throw error;
    }
  }

  private async set(name: string, value: string, tags: Record<string, string>): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        const secret = await this.call('write', () => this.client.setSecret(name, value, { contentType: CONTENT_TYPE, tags }));
        return secret.properties.version ?? '';
      } catch (error) {
        // 409: the name belongs to a soft-deleted secret. Purge it if allowed, else recover it and let the caller re-read.
        if (!(error instanceof StoreError && error.kind === 'conflict') || attempt > 0) throw error;
        const purged = await this.call('purge', () => this.client.purgeDeletedSecret(name)).then(
          () => true,
          () => false,
        );
        if (!purged) {
          const poller = await this.call('recover', () => this.client.beginRecoverDeletedSecret(name, { intervalInMs: 250 }));
          await this.call('recover', () => poller.pollUntilDone());
          throw new StoreError('conflict', `${name} was recovered from soft delete`);
        }
        await sleep(500);
      }
    }
  }

  private async call<T>(doing: Doing, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (raw) {
      throw this.classify(raw as AzureError, doing);
    }
  }

  private classify(error: AzureError, doing: Doing): StoreError {
    if (error instanceof StoreError) return error;
    const message = firstLine(error.message ?? String(error));
    const name = error.name ?? '';
    if (name === 'CredentialUnavailableError' || name === 'AggregateAuthenticationError') {
      return new StoreError('auth', `no usable Azure credential (${message}) — sign in with \`az login\`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or a managed/workload identity)`, { cause: error });
    }
    if (name === 'AuthenticationError' || name === 'AuthenticationRequiredError') {
      return new StoreError('auth', `Microsoft Entra refused the sign-in (${message}) — check the tenant, client id and secret`, { cause: error });
    }
    const status = error.statusCode;
    const inner = error.details?.error?.innererror?.code ?? error.code ?? '';
    if (status === 401) return new StoreError('auth', `Key Vault did not accept the token (${message})`, { cause: error });
    if (status === 403) {
      if (/disabled/i.test(message)) return new StoreError('invalid', message, { cause: error });
      // Key Vault's RBAC refusal names the data action on a later line of its message.
      const action = /Action: '([^']+)'/.exec(error.message ?? '')?.[1];
      const rbac = inner === 'ForbiddenByRbac' || /role assignments|DecisionReason/.test(error.message ?? '');
      return new StoreError('permission', `${rbac ? 'RBAC' : 'the access policy'} denied ${action ?? doing} — to ${doing} Sophon's secrets the identity needs ${NEEDS[doing]}`, { cause: error });
    }
    if (status === 404) return new StoreError('not-found', message, { cause: error });
    if (status === 409) return new StoreError('conflict', message, { cause: error });
    if (status === 413 || (status === 400 && /too large|exceeds|size/i.test(message))) return new StoreError('too-large', `${message} — Key Vault holds at most 25 KB per secret`, { cause: error });
    if (status === undefined || status === 408 || status === 429 || status >= 500) return new StoreError('transient', `${inner || name || 'error'}: ${message}`, { cause: error });
    return new StoreError('invalid', `HTTP ${status} ${inner}: ${message}`, { cause: error });
  }
}
