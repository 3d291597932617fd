import { randomBytes, randomUUID } from 'node:crypto';
import { sendJson, standinServer, type StandinServer } from './standin-server.ts';

/**
 * A HashiCorp Vault stand-in written from the published HTTP API, not from our client:
 * - KV v2 (https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2): `GET/POST/PUT
 *   /v1/:mount/data/:path` (versions; `options.cas` must equal the current version, 0 for
 *   a new key, or the write fails 400 "check-and-set parameter did not match the current
 *   version"; `cas_required` makes it mandatory), `GET ?list=true` / `LIST` on
 *   `/v1/:mount/metadata/:path` (keys, folders ending in "/", 404 when empty), `DELETE
 *   /v1/:mount/metadata/:path` (every version), `DELETE /v1/:mount/data/:path` (soft).
 * - Tokens in `X-Vault-Token`, checked against ACL policies by capability (create, read,
 *   update, delete, list) on path globs; a missing, unknown or expired token and a path
 *   the policy does not grant both answer 403 {"errors":["permission denied"]}.
 * - `GET /v1/auth/token/lookup-self`, `POST /v1/auth/:approle/login` (role_id + secret_id).
 * - `X-Vault-Namespace`: with a namespace configured, requests outside it find no route.
 */
export interface Kv2Policy {
  /** A path glob as in Vault policies: a trailing `*` is a prefix match. */
  readonly path: string;
  readonly capabilities: readonly ('create' | 'read' | 'update' | 'delete' | 'list')[];
}

interface TokenInfo {
  readonly displayName: string;
  readonly policies: readonly string[];
  readonly expiresAt: number;
}

interface KeyVersion {
  readonly data: Record<string, unknown>;
  readonly created: string;
  deletion: string;
  destroyed: boolean;
}

export interface Kv2Standin extends StandinServer {
  readonly address: string;
  readonly mount: string;
  readonly namespace: string | undefined;
  /** A token with these policies (default: full access to the mount). */
  issueToken(options?: { policies?: readonly string[]; ttlSeconds?: number; displayName?: string }): string;
  definePolicy(name: string, rules: readonly Kv2Policy[]): void;
  /** An AppRole: the role id and a secret id that logs in to a token with `policies`. */
  defineAppRole(policies: readonly string[], ttlSeconds?: number): { roleId: string; secretId: string };
  revokeToken(token: string): void;
  /** Every key's current data, for assertions. */
  keys(): string[];
  current(path: string): Record<string, unknown> | undefined;
  versions(path: string): number;
  readonly counters: { reads: number; writes: number; casConflicts: number; lists: number; deletes: number; logins: number; denied: number };
}

export async function startKv2Standin(options: { mount?: string; namespace?: string; casRequired?: boolean; tls?: { cert: string; key: string } } = {}): Promise<Kv2Standin> {
  const mount = options.mount ?? 'secret';
  const store = new Map<string, { versions: Map<number, KeyVersion>; current: number }>();
  const tokens = new Map<string, TokenInfo>();
  const policies = new Map<string, Kv2Policy[]>([['sophon-all', [{ path: `${mount}/*`, capabilities: ['create', 'read', 'update', 'delete', 'list'] }]]]);
  const approles = new Map<string, { secretId: string; policies: readonly string[]; ttl: number }>();
  const counters = { reads: 0, writes: 0, casConflicts: 0, lists: 0, deletes: 0, logins: 0, denied: 0 };
  const errors = (res: Parameters<typeof sendJson>[0], status: number, ...messages: string[]) => sendJson(res, status, { errors: messages });

  const allowed = (token: TokenInfo, path: string, capability: Kv2Policy['capabilities'][number]) => {
    for (const name of token.policies) {
      for (const rule of policies.get(name) ?? []) {
        const match = rule.path.endsWith('*') ? path.startsWith(rule.path.slice(0, -1)) : path === rule.path;
        if (match && rule.capabilities.includes(capability)) return true;
      }
    }
    return false;
  };
  const envelope = (data: unknown) => ({ request_id: randomUUID(), lease_id: '', renewable: false, lease_duration: 0, data, wrap_info: null, warnings: null, auth: null });

  const server = await standinServer(({ req, body }, res) => {
    const url = new URL(req.url ?? '/', 'http://vault.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    if (options.namespace !== undefined && req.headers['x-vault-namespace'] !== options.namespace) {
      return errors(res, 404, `no handler for route "${url.pathname.replace(/^\/v1\//, '')}". route entry not found.`);
    }
    const json = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};

    const approle = /^\/v1\/auth\/([^/]+)\/login$/.exec(url.pathname);
    if (approle && method === 'POST') {
      counters.logins++;
      const role = approles.get(String(json['role_id']));
      if (!role || role.secretId !== json['secret_id']) return errors(res, 400, 'invalid role or secret ID');
      const token = `hvs.${randomBytes(18).toString('base64url')}`;
      tokens.set(token, { displayName: `approle`, policies: ['default', ...role.policies], expiresAt: Date.now() + role.ttl * 1000 });
      return sendJson(res, 200, { ...envelope(null), auth: { client_token: token, accessor: randomUUID(), policies: ['default', ...role.policies], token_policies: ['default', ...role.policies], metadata: { role_name: 'sophon' }, lease_duration: role.ttl, renewable: true } });
    }

    const tokenValue = String(req.headers['x-vault-token'] ?? '');
    const token = tokens.get(tokenValue);
    if (!token || token.expiresAt < Date.now()) {
      counters.denied++;
      return errors(res, 403, 'permission denied');
    }
    if (url.pathname === '/v1/auth/token/lookup-self' && method === 'GET') {
      return sendJson(res, 200, envelope({ display_name: token.displayName, policies: token.policies, ttl: Math.max(0, Math.round((token.expiresAt - Date.now()) / 1000)), entity_id: '', path: 'auth/token/create', meta: null }));
    }

    const route = new RegExp(`^/v1/${mount}/(data|metadata)/(.*)$`).exec(url.pathname);
    if (!route) return errors(res, 404, `no handler for route "${url.pathname.replace(/^\/v1\//, '')}". route entry not found.`);
    const [, area, path = ''] = route;
    const policyPath = `${mount}/${area}/${path}`;
    const deny = () => {
      counters.denied++;
      errors(res, 403, '1 error occurred:\n\t* permission denied\n\n');
    };

    if (area === 'metadata' && (method === 'LIST' || (method === 'GET' && url.searchParams.get('list') === 'true'))) {
      if (!allowed(token, policyPath, 'list')) return deny();
      counters.lists++;
      const folder = path === '' || path.endsWith('/') ? path : `${path}/`;
      const keys = new Set<string>();
      for (const [key, entry] of store) {
        if (!key.startsWith(folder) || entry.current === 0) continue;
        const rest = key.slice(folder.length);
        const slash = rest.indexOf('/');
        keys.add(slash < 0 ? rest : rest.slice(0, slash + 1));
      }
      if (keys.size === 0) return errors(res, 404);
      return sendJson(res, 200, envelope({ keys: [...keys].sort() }));
    }
    if (area === 'metadata' && method === 'DELETE') {
      if (!allowed(token, policyPath, 'delete')) return deny();
      counters.deletes++;
      store.delete(path);
      res.writeHead(204).end();
      return;
    }
    if (area === 'data' && method === 'GET') {
      if (!allowed(token, policyPath, 'read')) return deny();
      counters.reads++;
      const entry = store.get(path);
      const wanted = Number(url.searchParams.get('version') ?? entry?.current ?? 0);
      const version = entry?.versions.get(wanted);
      if (!entry || !version) return errors(res, 404);
      const metadata = { created_time: version.created, custom_metadata: null, deletion_time: version.deletion, destroyed: version.destroyed, version: wanted };
      if (version.deletion || version.destroyed) return sendJson(res, 404, envelope({ data: null, metadata }));
      return sendJson(res, 200, envelope({ data: version.data, metadata }));
    }
    if (area === 'data' && (method === 'POST' || method === 'PUT')) {
      const entry = store.get(path);
      const exists = entry !== undefined && entry.current > 0;
      if (!allowed(token, policyPath, exists ? 'update' : 'create')) return deny();
      const data = json['data'];
      if (!data || typeof data !== 'object' || Array.isArray(data)) return errors(res, 400, 'no data provided');
      const cas = (json['options'] as { cas?: unknown } | undefined)?.cas;
      if (cas === undefined && options.casRequired) return errors(res, 400, 'check-and-set parameter required for this call');
      if (cas !== undefined) {
        if (typeof cas !== 'number' || !Number.isInteger(cas)) return errors(res, 400, "error converting input for field \"cas\": expected type 'int'");
        if (cas !== (entry?.current ?? 0)) {
          counters.casConflicts++;
          return errors(res, 400, 'check-and-set parameter did not match the current version');
        }
      }
      counters.writes++;
      const next = entry ?? { versions: new Map<number, KeyVersion>(), current: 0 };
      next.current += 1;
      const created = new Date().toISOString();
      next.versions.set(next.current, { data: data as Record<string, unknown>, created, deletion: '', destroyed: false });
      // Like Vault's default max_versions of 10.
      for (const v of next.versions.keys()) if (v <= next.current - 10) next.versions.delete(v);
      store.set(path, next);
      return sendJson(res, 200, envelope({ created_time: created, custom_metadata: null, deletion_time: '', destroyed: false, version: next.current }));
    }
    if (area === 'data' && method === 'DELETE') {
      if (!allowed(token, policyPath, 'delete')) return deny();
      const entry = store.get(path);
      const version = entry?.versions.get(entry.current);
      if (version) version.deletion = new Date().toISOString();
      res.writeHead(204).end();
      return;
    }
    return errors(res, 405, 'unsupported operation');
  }, options.tls);

  return {
    ...server,
    address: server.url,
    mount,
    namespace: options.namespace,
    counters,
    issueToken({ policies: names = ['sophon-all'], ttlSeconds = 3600, displayName = 'token-alice' } = {}) {
      const token = `hvs.${randomBytes(18).toString('base64url')}`;
      tokens.set(token, { displayName, policies: ['default', ...names], expiresAt: Date.now() + ttlSeconds * 1000 });
      return token;
    },
    definePolicy(name, rules) {
      policies.set(name, [...rules]);
    },
    defineAppRole(names, ttlSeconds = 3600) {
      const roleId = randomUUID();
      const secretId = randomUUID();
      approles.set(roleId, { secretId, policies: names, ttl: ttlSeconds });
      return { roleId, secretId };
    },
    revokeToken(token) {
      tokens.delete(token);
    },
    keys: () => [...store].filter(([, e]) => e.current > 0).map(([k]) => k).sort(),
    current(path) {
      const entry = store.get(path);
      return entry ? entry.versions.get(entry.current)?.data : undefined;
    },
    versions: (path) => store.get(path)?.current ?? 0,
  };
}
