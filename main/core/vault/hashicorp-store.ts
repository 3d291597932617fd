import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Agent, request, type Dispatcher } from 'undici';
import { SophonError, firstLine } from '../errors.ts';
import type { HashiCorpVaultSettings } from './backend-settings.ts';
import { decodeName, encodeName } from './record-layout.ts';
import { StoreError, type SecretStore, type StoreRecord } from './secret-store.ts';

/**
 * HashiCorp Vault's KV secrets engine, version 2, over its HTTP API
 * (https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2). HashiCorp publishes no
 * Node client, so this is the documented API through undici: `X-Vault-Token`, optional
 * `X-Vault-Namespace`, writes with `options.cas` (0: only if absent) so a write based on a
 * version someone else replaced is refused, deletes through `metadata/` (every version).
 * Token auth (VAULT_TOKEN, else the token file) or AppRole login
 * (https://developer.hashicorp.com/vault/api-docs/auth/approle#login-with-approle).
 */
export interface HashiCorpStoreOptions {
  readonly settings: HashiCorpVaultSettings;
  /** With `{user}` filled in, ending in `/`. */
  readonly prefix: string;
  readonly env: NodeJS.ProcessEnv;
}

interface VaultAnswer {
  readonly status: number;
  readonly json: Record<string, unknown> | undefined;
}

/** Vault's default storage entry limit with Consul is 512 KiB; integrated storage allows 1 MiB. Stay under both. */
const MAX_RECORD = 512 * 1024;

export class HashiCorpStore implements SecretStore {
  readonly backend = 'HashiCorpVault' as const;
  readonly concurrency = 'cas' as const;
  readonly maxRecordBytes = MAX_RECORD;
  readonly location: string;
  private token: string | undefined;
  private tokenExpiresAt = Number.POSITIVE_INFINITY;
  private login: Promise<void> | undefined;
  private readonly base: string;

  private constructor(
    private readonly options: HashiCorpStoreOptions,
    private readonly dispatcher: Dispatcher,
  ) {
    const { settings, prefix } = options;
    this.base = settings.Address.replace(/\/+$/, '');
    this.location = `${this.base}${settings.Namespace ? ` (namespace ${settings.Namespace})` : ''} ${settings.Mount}/${prefix}`;
  }

  static async create(options: HashiCorpStoreOptions): Promise<HashiCorpStore> {
    const caFile = options.settings.CaFile ?? options.env['VAULT_CACERT'];
    let ca: string | undefined;
    if (caFile) {
      try {
        ca = await readFile(caFile, 'utf8');
      } catch (error) {
        throw new SophonError('SETTINGS_INVALID', `cannot read the Vault CA file ${caFile} (${(error as Error).message}) — fix Sophon.Credentials.HashiCorpVault.CaFile or VAULT_CACERT`);
      }
    }
    const timeout = options.settings.TimeoutSeconds * 1000;
    const dispatcher = new Agent({ connect: { ...(ca ? { ca } : {}), timeout }, headersTimeout: timeout, bodyTimeout: timeout, keepAliveTimeout: 30_000 });
    const store = new HashiCorpStore(options, dispatcher);
    await store.authenticate();
    return store;
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (folder: string): Promise<void> => {
      const answer = await this.call('GET', `${this.metadataPath(folder)}?list=true`, undefined, 'list');
      if (answer.status === 404) return;
      const keys = ((answer.json?.['data'] as { keys?: unknown } | undefined)?.keys ?? []) as unknown[];
      for (const entry of keys) {
        if (typeof entry !== 'string') continue;
        if (entry.endsWith('/')) await walk(`${folder}${entry}`);
        else {
          const key = decodeName(`${folder}${entry}`, 'path');
          if (key !== undefined) out.push(key);
        }
      }
    };
    await walk('');
    return out;
  }

  async read(recordKey: string): Promise<StoreRecord | undefined> {
    const answer = await this.call('GET', this.dataPath(recordKey), undefined, 'read');
    if (answer.status === 404) return undefined;
    const data = answer.json?.['data'] as { data?: unknown; metadata?: { version?: unknown; deletion_time?: unknown } } | undefined;
    if (!data || data.data === null || data.data === undefined || typeof data.metadata?.version !== 'number') return undefined;
    return { value: JSON.stringify(data.data), version: String(data.metadata.version) };
  }

  async write(recordKey: string, value: string, expected: string | undefined): Promise<string> {
    const answer = await this.call('POST', this.dataPath(recordKey), { options: { cas: expected === undefined ? 0 : Number(expected) }, data: JSON.parse(value) as unknown }, 'write');
    const version = (answer.json?.['data'] as { version?: unknown } | undefined)?.version;
    if (typeof version !== 'number') throw new StoreError('invalid', `Vault answered a write of ${recordKey} without a version`);
    return String(version);
  }

  async remove(recordKey: string): Promise<void> {
    await this.call('DELETE', this.metadataPath(recordKey), undefined, 'delete');
  }

  async whoami(): Promise<string> {
    const answer = await this.call('GET', '/v1/auth/token/lookup-self', undefined, 'lookup');
    const data = (answer.json?.['data'] ?? {}) as { display_name?: string; policies?: string[]; entity_id?: string; ttl?: number };
    const ttl = typeof data.ttl === 'number' && data.ttl > 0 ? `, ${Math.round(data.ttl / 60)} min left` : '';
    return `token ${data.display_name ?? '(no display name)'} (policies ${(data.policies ?? []).join(', ') || 'none'}${ttl})`;
  }

  async dispose(): Promise<void> {
    await this.dispatcher.close();
  }

  private dataPath(recordKey: string): string {
    return `/v1/${this.options.settings.Mount}/data/${this.options.prefix}${encodeName(recordKey, 'path')}`;
  }

  private metadataPath(folderOrKey: string): string {
    const encoded = folderOrKey.endsWith('/') || folderOrKey === '' ? folderOrKey : encodeName(folderOrKey, 'path');
    return `/v1/${this.options.settings.Mount}/metadata/${this.options.prefix}${encoded}`;
  }

  /** The paths a policy must grant, for permission errors. */
  private policyHint(): string {
    const { Mount } = this.options.settings;
    const p = this.options.prefix;
    return `path "${Mount}/data/${p}*" { capabilities = ["create", "read", "update"] }, path "${Mount}/metadata/${p}*" { capabilities = ["list", "delete"] }`;
  }

  private async authenticate(): Promise<void> {
    const { settings, env } = this.options;
    if (settings.Auth.Method === 'Token') {
      const fromEnv = env['VAULT_TOKEN']?.trim();
      if (fromEnv) {
        this.token = fromEnv;
        return;
      }
      const file = settings.Auth.TokenFile ?? join(env['HOME'] ?? homedir(), '.vault-token');
      try {
        this.token = (await readFile(file, 'utf8')).trim();
      } catch {
        throw new SophonError('VAULT_PERMISSION', `no Vault token: VAULT_TOKEN is not set and ${file} does not exist — run \`vault login\`, set VAULT_TOKEN, or use "Auth": {"Method": "AppRole"}`);
      }
      if (!this.token) throw new SophonError('VAULT_PERMISSION', `${file} is empty — run \`vault login\` again`);
      return;
    }
    const { RoleId, SecretIdFile, Mount } = settings.Auth;
    let secretId: string;
    try {
      secretId = (await readFile(SecretIdFile, 'utf8')).trim();
    } catch (error) {
      throw new SophonError('SETTINGS_INVALID', `cannot read the AppRole secret id from ${SecretIdFile} (${(error as Error).message}) — fix Sophon.Credentials.HashiCorpVault.Auth.SecretIdFile`);
    }
    this.token = undefined;
    const answer = await this.call('POST', `/v1/auth/${Mount}/login`, { role_id: RoleId, secret_id: secretId }, 'login', false);
    const auth = answer.json?.['auth'] as { client_token?: unknown; lease_duration?: unknown } | undefined;
    if (typeof auth?.client_token !== 'string') throw new StoreError('auth', 'the AppRole login answered without a client token');
    this.token = auth.client_token;
    const lease = typeof auth.lease_duration === 'number' && auth.lease_duration > 0 ? auth.lease_duration * 1000 : undefined;
    // Log in again at three quarters of the token's life rather than renewing: a secret id may be single-use, a new login is always allowed.
    this.tokenExpiresAt = lease ? Date.now() + lease * 0.75 : Number.POSITIVE_INFINITY;
  }

  private async relogin(): Promise<void> {
    this.login ??= this.authenticate().finally(() => (this.login = undefined));
    await this.login;
  }

  private async call(method: 'GET' | 'POST' | 'DELETE', path: string, body: unknown, doing: 'list' | 'read' | 'write' | 'delete' | 'lookup' | 'login', authed = true, retried = false): Promise<VaultAnswer> {
    if (authed && this.options.settings.Auth.Method === 'AppRole' && Date.now() > this.tokenExpiresAt) await this.relogin();
    const { settings } = this.options;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (authed && this.token) headers['x-vault-token'] = this.token;
    if (settings.Namespace) headers['x-vault-namespace'] = settings.Namespace;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let status: number;
    let text: string;
    try {
      const response = await request(`${this.base}${path}`, { method, headers, dispatcher: this.dispatcher, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      throw new StoreError('transient', `${this.base} did not answer (${firstLine(cause)})`, { cause: error });
    }
    let json: Record<string, unknown> | undefined;
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      json = undefined;
    }
    if (status < 300 || (status === 404 && (doing === 'list' || doing === 'read' || doing === 'delete'))) return { status, json };
    const errors = Array.isArray(json?.['errors']) ? (json['errors'] as unknown[]).map(String).join('; ').replace(/\s+/g, ' ').trim() : `HTTP ${status}`;
    if (status === 400 && doing === 'write' && /check-and-set parameter did not match/.test(errors)) {
      throw new StoreError('conflict', `${path} changed since it was read (check-and-set)`);
    }
    if (doing === 'login' && status >= 400 && status < 500) {
      throw new StoreError('auth', `the AppRole login was refused (${errors}) — check RoleId and the secret id in ${settings.Auth.Method === 'AppRole' ? settings.Auth.SecretIdFile : 'the secret id file'}`);
    }
    if (status === 403) {
      // Vault answers 403 both for a dead token and for a policy that does not allow the path: ask which.
      if (doing !== 'lookup' && (await this.tokenIsDead())) {
        if (settings.Auth.Method === 'AppRole' && !retried) {
          await this.relogin();
          return this.call(method, path, body, doing, authed, true);
        }
        throw new StoreError('auth', 'the Vault token is expired or revoked — run `vault login` (or set a fresh VAULT_TOKEN)');
      }
      const capability = { list: 'list', read: 'read', write: 'create/update', delete: 'delete', lookup: 'read', login: 'update' }[doing];
      throw new StoreError('permission', `denied ${capability} on ${path.replace(/^\/v1\//, '').replace(/\?.*$/, '')} — the token's policy needs ${this.policyHint()}`);
    }
    if (status === 429 || status === 412 || status >= 500) throw new StoreError('transient', `HTTP ${status}: ${errors}`);
    if (status === 413) throw new StoreError('too-large', `Vault refused the record as too large (${errors})`);
    throw new StoreError('invalid', `Vault answered HTTP ${status} to ${method} ${path.replace(/\?.*$/, '')}: ${errors}`);
  }

  private async tokenIsDead(): Promise<boolean> {
    try {
      await this.call('GET', '/v1/auth/token/lookup-self', undefined, 'lookup');
      return false;
    } catch (error) {
      return error instanceof StoreError && error.kind === 'permission';
    }
  }
}
