import { randomBytes, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sendJson, standinServer, type StandinServer } from './standin-server.ts';

/**
 * Microsoft Entra's token endpoint and an Azure Key Vault, written from the published
 * references, on one HTTPS server (test CA):
 * - OAuth 2.0 client credentials (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow):
 *   `POST /{tenant}/oauth2/v2.0/token` (client_id, client_secret, scope ending in
 *   /.default) → {token_type, expires_in, ext_expires_in, access_token}; errors as
 *   {error, error_description "AADSTS…", error_codes}. The tenant's OpenID metadata at
 *   `/{tenant}/v2.0/.well-known/openid-configuration`. Instance discovery
 *   (`/common/discovery/instance`) is counted: the client is told to skip it.
 * - Key Vault secrets REST (https://learn.microsoft.com/rest/api/keyvault/secrets/):
 *   every call needs `api-version`; without a bearer token the answer is 401 with the
 *   `WWW-Authenticate: Bearer authorization="…/{tenant}", resource="https://vault.azure.net"`
 *   challenge the client library authenticates from; RBAC per caller ("Key Vault
 *   Secrets User" reads and lists, "Key Vault Secrets Officer" also sets and deletes), 403
 *   ForbiddenByRbac naming the data action; names `^[0-9a-zA-Z-]{1,127}$`, case-insensitive;
 *   values up to 25 KB; every set a new version; soft delete (409
 *   ObjectIsDeletedButRecoverable on reuse until purged or recovered).
 */
export type KvRole = 'Key Vault Secrets User' | 'Key Vault Secrets Officer';

export interface AzureApp {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly objectId: string;
  roles: KvRole[];
}

interface SecretVersion {
  readonly version: string;
  readonly value: string;
  readonly contentType: string | undefined;
  readonly tags: Record<string, string>;
  readonly created: number;
}

interface StoredSecret {
  readonly name: string;
  readonly versions: SecretVersion[];
}

export interface AzureKvStandin extends StandinServer {
  readonly tenantId: string;
  /** https://127.0.0.1:PORT: the vault URI and the authority host. */
  readonly vaultUri: string;
  addApp(roles: KvRole[]): AzureApp;
  readonly counters: { tokens: number; instanceDiscovery: number; metadata: number; challenges: number; byOperation: Record<string, number>; forbidden: number; badApiVersion: number; badTokens: number };
  readonly apiVersions: Set<string>;
  names(): string[];
  current(name: string): string | undefined;
  versionCount(name: string): number;
  deletedNames(): string[];
  /** Refuse purges, as a vault with purge protection does. */
  purgeProtection: boolean;
}

const API_VERSIONS = new Set(['7.0', '7.1', '7.2', '7.3', '7.4', '7.5', '7.6', '2025-07-01']);
const MAX_VALUE = 25 * 1024;
const ACTIONS = {
  get: 'Microsoft.KeyVault/vaults/secrets/getSecret/action',
  list: 'Microsoft.KeyVault/vaults/secrets/readMetadata/action',
  set: 'Microsoft.KeyVault/vaults/secrets/setSecret/action',
  delete: 'Microsoft.KeyVault/vaults/secrets/delete',
  purge: 'Microsoft.KeyVault/vaults/deletedSecrets/purge/action',
  recover: 'Microsoft.KeyVault/vaults/deletedSecrets/recover/action',
  readDeleted: 'Microsoft.KeyVault/vaults/deletedSecrets/read',
} as const;
const ROLE_ACTIONS: Record<KvRole, readonly string[]> = {
  'Key Vault Secrets User': [ACTIONS.get, ACTIONS.list],
  'Key Vault Secrets Officer': Object.values(ACTIONS),
};

export async function startAzureKvStandin(tls: { cert: string; key: string }): Promise<AzureKvStandin> {
  const tenantId = randomUUID();
  const apps = new Map<string, AzureApp>();
  const tokens = new Map<string, { app: AzureApp; audience: string; expiresAt: number }>();
  const secrets = new Map<string, StoredSecret>();
  const deleted = new Map<string, StoredSecret & { deletedAt: number }>();
  const counters = { tokens: 0, instanceDiscovery: 0, metadata: 0, challenges: 0, byOperation: {} as Record<string, number>, forbidden: 0, badApiVersion: 0, badTokens: 0 };
  const apiVersions = new Set<string>();
  let base = '';
  const kvError = (res: ServerResponse, status: number, code: string, message: string, inner?: string, headers: Record<string, string> = {}) =>
    sendJson(res, status, { error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) } }, headers);
  const challenge = () => ({ 'www-authenticate': `Bearer authorization="${base}/${tenantId}", resource="https://vault.azure.net"` });

  const bundle = (secret: StoredSecret, version: SecretVersion, withValue = true) => ({
    ...(withValue ? { value: version.value } : {}),
    id: `${base}/secrets/${secret.name}/${version.version}`,
    ...(version.contentType ? { contentType: version.contentType } : {}),
    attributes: { enabled: true, created: Math.floor(version.created / 1000), updated: Math.floor(version.created / 1000), recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 },
    tags: version.tags,
  });

  let purgeProtection = false;
  const server = await standinServer(({ req, body }, res) => {
    const url = new URL(req.url ?? '/', 'https://kv.invalid');
    const method = req.method ?? 'GET';

    // ---- Microsoft Entra ----
    if (url.pathname === '/common/discovery/instance') {
      counters.instanceDiscovery++;
      return sendJson(res, 404, { error: 'not_supported', error_description: 'this stand-in is no public cloud authority' });
    }
    const meta = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
    if (meta && method === 'GET') {
      counters.metadata++;
      const t = meta[1];
      return sendJson(res, 200, {
        token_endpoint: `${base}/${t}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${base}/${t}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${base}/${t}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${base}/oidc/userinfo`,
        authorization_endpoint: `${base}/${t}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/${t}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/${t}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'oid', 'tid'],
        kerberos_endpoint: `${base}/${t}/kerberos`,
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net',
      });
    }
    const tokenPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (tokenPath && method === 'POST') {
      counters.tokens++;
      const form = new URLSearchParams(body.toString('utf8'));
      const aad = (status: number, error: string, code: number, description: string) =>
        sendJson(res, status, { error, error_description: `AADSTS${code}: ${description} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`, error_codes: [code], timestamp: new Date().toISOString(), trace_id: randomUUID(), correlation_id: randomUUID() });
      if (tokenPath[1] !== tenantId) return aad(400, 'invalid_request', 90002, `Tenant '${tokenPath[1]}' not found.`);
      if (form.get('grant_type') !== 'client_credentials') return aad(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
      const app = apps.get(form.get('client_id') ?? '');
      if (!app) return aad(400, 'unauthorized_client', 700016, `Application with identifier '${form.get('client_id')}' was not found in the directory.`);
      if (form.get('client_secret') !== app.clientSecret) return aad(401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
      const scope = form.get('scope') ?? '';
      if (!scope.endsWith('/.default')) return aad(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`);
      const audience = scope.slice(0, -'/.default'.length);
      const now = Math.floor(Date.now() / 1000);
      const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const accessToken = `${enc({ typ: 'JWT', alg: 'RS256', kid: 'standin' })}.${enc({ aud: audience, iss: `https://sts.windows.net/${tenantId}/`, iat: now, nbf: now, exp: now + 3600, appid: app.clientId, oid: app.objectId, tid: tenantId, sub: app.objectId, idtyp: 'app' })}.${randomBytes(32).toString('base64url')}`;
      tokens.set(accessToken, { app, audience, expiresAt: Date.now() + 3_600_000 });
      return sendJson(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken });
    }

    // ---- Key Vault ----
    const apiVersion = url.searchParams.get('api-version');
    if (!apiVersion) {
      counters.badApiVersion++;
      return kvError(res, 400, 'BadParameter', "The 'api-version' query parameter is missing.");
    }
    if (!API_VERSIONS.has(apiVersion)) {
      counters.badApiVersion++;
      return kvError(res, 400, 'BadParameter', `The specified version (${apiVersion}) is not recognized. Consider using the latest supported version (2025-07-01).`);
    }
    apiVersions.add(apiVersion);
    const authorization = String(req.headers.authorization ?? '');
    if (!authorization.startsWith('Bearer ')) {
      counters.challenges++;
      return kvError(res, 401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', undefined, challenge());
    }
    const grant = tokens.get(authorization.slice('Bearer '.length));
    if (!grant || grant.expiresAt < Date.now() || grant.audience !== 'https://vault.azure.net') {
      counters.badTokens++;
      return kvError(res, 401, 'Unauthorized', grant ? 'AKV10022: Invalid audience.' : 'AKV10032: Invalid issuer.', undefined, challenge());
    }
    const authorize = (action: string) => {
      if (grant.app.roles.some((role) => ROLE_ACTIONS[role].includes(action))) return true;
      counters.forbidden++;
      kvError(res, 403, 'Forbidden', `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: appid=${grant.app.clientId};oid=${grant.app.objectId};iss=https://sts.windows.net/${tenantId}/\r\nAction: '${action}'\r\nResource: '/subscriptions/0000/resourcegroups/rg/providers/microsoft.keyvault/vaults/standin'\r\nAssignment: (not found)\r\nDecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: standin;location=westeurope\r\n`, 'ForbiddenByRbac');
      return false;
    };
    const op = (name: string) => (counters.byOperation[name] = (counters.byOperation[name] ?? 0) + 1);
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const validName = (name: string | undefined): name is string => name !== undefined && /^[0-9a-zA-Z-]{1,127}$/.test(name);

    if (segments[0] === 'secrets' && segments.length === 1 && method === 'GET') {
      op('list');
      if (!authorize(ACTIONS.list)) return;
      const max = Math.min(Number(url.searchParams.get('maxresults') ?? 25), 25);
      const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
      const all = [...secrets.values()].sort((a, b) => a.name.localeCompare(b.name));
      const page = all.slice(skip, skip + max).map((s) => {
        const { value: _v, ...props } = bundle(s, s.versions.at(-1) as SecretVersion);
        return { ...props, id: `${base}/secrets/${s.name}` };
      });
      const next = skip + max < all.length ? `${base}/secrets?api-version=${apiVersion}&$skiptoken=${skip + max}&maxresults=${max}` : null;
      return sendJson(res, 200, { value: page, nextLink: next });
    }
    if (segments[0] === 'secrets' && segments.length >= 2) {
      const name = segments[1];
      if (!validName(name)) return kvError(res, 400, 'BadParameter', `The request URI contains an invalid name: ${name}`);
      const key = name.toLowerCase();
      const secret = secrets.get(key);
      if (segments.length === 2 && method === 'PUT') {
        op('set');
        if (!authorize(ACTIONS.set)) return;
        if (deleted.has(key)) return kvError(res, 409, 'Conflict', `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`, 'ObjectIsDeletedButRecoverable');
        const input = JSON.parse(body.toString('utf8') || '{}') as { value?: unknown; contentType?: unknown; tags?: unknown };
        if (typeof input.value !== 'string') return kvError(res, 400, 'BadParameter', 'Property value is required.');
        if (Buffer.byteLength(input.value) > MAX_VALUE) return kvError(res, 400, 'BadParameter', 'The secret value exceeds the maximum size of 25 KB.');
        const tags = (input.tags ?? {}) as Record<string, string>;
        if (Object.keys(tags).length > 15 || Object.entries(tags).some(([k, v]) => k.length > 512 || String(v).length > 256)) return kvError(res, 400, 'BadParameter', 'Tags: at most 15, names up to 512 and values up to 256 characters.');
        const entry = secret ?? { name, versions: [] };
        const version: SecretVersion = { version: randomBytes(16).toString('hex'), value: input.value, contentType: typeof input.contentType === 'string' ? input.contentType : undefined, tags, created: Date.now() };
        entry.versions.push(version);
        secrets.set(key, entry);
        return sendJson(res, 200, bundle(entry, version));
      }
      if (segments.length === 2 && method === 'DELETE') {
        op('delete');
        if (!authorize(ACTIONS.delete)) return;
        if (!secret) return kvError(res, 404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.`);
        secrets.delete(key);
        deleted.set(key, { ...secret, deletedAt: Date.now() });
        const { value: _v, ...props } = bundle(secret, secret.versions.at(-1) as SecretVersion);
        return sendJson(res, 200, { ...props, recoveryId: `${base}/deletedsecrets/${secret.name}`, deletedDate: Math.floor(Date.now() / 1000), scheduledPurgeDate: Math.floor(Date.now() / 1000) + 90 * 86_400 });
      }
      if (segments.length === 3 && segments[2] === 'versions' && method === 'GET') {
        op('versions');
        if (!authorize(ACTIONS.list)) return;
        if (!secret) return kvError(res, 404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault.`);
        return sendJson(res, 200, { value: secret.versions.map((v) => { const { value: _v, ...props } = bundle(secret, v); return props; }), nextLink: null });
      }
      if (method === 'GET' && segments.length <= 3) {
        op('get');
        if (!authorize(ACTIONS.get)) return;
        const wanted = segments[2];
        const version = wanted ? secret?.versions.find((v) => v.version === wanted) : secret?.versions.at(-1);
        if (!secret || !version) return kvError(res, 404, 'SecretNotFound', `A secret with (name/id) ${name}${wanted ? `/${wanted}` : ''} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.`);
        return sendJson(res, 200, bundle(secret, version));
      }
    }
    if (segments[0] === 'deletedsecrets' && segments.length >= 2) {
      const name = segments[1] as string;
      const key = name.toLowerCase();
      const gone = deleted.get(key);
      if (segments.length === 2 && method === 'GET') {
        op('getDeleted');
        if (!authorize(ACTIONS.readDeleted)) return;
        if (!gone) return kvError(res, 404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
        const { value: _v, ...props } = bundle(gone, gone.versions.at(-1) as SecretVersion);
        return sendJson(res, 200, { ...props, recoveryId: `${base}/deletedsecrets/${gone.name}`, deletedDate: Math.floor(gone.deletedAt / 1000), scheduledPurgeDate: Math.floor(gone.deletedAt / 1000) + 90 * 86_400 });
      }
      if (segments.length === 2 && method === 'DELETE') {
        op('purge');
        if (!authorize(ACTIONS.purge)) return;
        if (purgeProtection) return kvError(res, 403, 'Forbidden', `Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.`, 'PurgeProtectionEnabled');
        if (!gone) return kvError(res, 404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
        deleted.delete(key);
        res.writeHead(204).end();
        return;
      }
      if (segments.length === 3 && segments[2] === 'recover' && method === 'POST') {
        op('recover');
        if (!authorize(ACTIONS.recover)) return;
        if (!gone) return kvError(res, 404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
        deleted.delete(key);
        const { deletedAt: _d, ...restored } = gone;
        secrets.set(key, restored);
        const { value: _v, ...props } = bundle(restored, restored.versions.at(-1) as SecretVersion);
        return sendJson(res, 200, props);
      }
    }
    return kvError(res, 404, 'NotFound', `no route for ${method} ${url.pathname}`);
  }, tls);
  base = server.url;

  return {
    ...server,
    tenantId,
    vaultUri: server.url,
    counters,
    apiVersions,
    get purgeProtection() {
      return purgeProtection;
    },
    set purgeProtection(value: boolean) {
      purgeProtection = value;
    },
    addApp(roles) {
      const app: AzureApp = { tenantId, clientId: randomUUID(), clientSecret: `${randomBytes(3).toString('hex')}~${randomBytes(24).toString('base64url')}`, objectId: randomUUID(), roles };
      apps.set(app.clientId, app);
      return app;
    },
    names: () => [...secrets.values()].map((s) => s.name).sort(),
    current: (name) => secrets.get(name.toLowerCase())?.versions.at(-1)?.value,
    versionCount: (name) => secrets.get(name.toLowerCase())?.versions.length ?? 0,
    deletedNames: () => [...deleted.values()].map((s) => s.name).sort(),
  };
}
