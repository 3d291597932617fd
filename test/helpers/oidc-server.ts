import { generateKeyPair, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { Provider, type KoaContext, type KoaMiddleware } from 'oidc-provider';

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface OidcServerOptions {
  /** Client id of the registered public native client. Default 'sophon-test'. */
  readonly clientId?: string;
  /** Access token lifetime in seconds. Default 3600. */
  readonly accessTokenTtl?: number;
  /** Refresh token lifetime in seconds. Default 14 days. */
  readonly refreshTokenTtl?: number;
  /** Device code lifetime in seconds. Default 600. */
  readonly deviceCodeTtl?: number;
  /** Answer the first N device_code token polls with `slow_down` (RFC 8628 §3.5) instead of asking the provider. */
  readonly slowDownPolls?: number;
  /**
   * oidc-provider leaves `interval` out of the device authorization response (clients must assume
   * 5 s, RFC 8628 §3.2). Set this to have the harness add `interval: N` to that response.
   */
  readonly deviceInterval?: number;
}

export interface TokenRequestRecord {
  readonly grantType: string;
  readonly status: number;
  /** The OAuth `error` code when the token endpoint refused, e.g. 'invalid_grant', 'authorization_pending'. */
  readonly error?: string;
  /** True when the harness answered (slow_down injection) rather than oidc-provider. */
  readonly injected: boolean;
}

export interface OidcCounters {
  /** Token endpoint requests, all grant types. */
  readonly token: number;
  /** Token endpoint requests keyed by the full grant_type value. */
  readonly tokenByGrantType: Readonly<Record<string, number>>;
  readonly deviceAuthorization: number;
  readonly revocation: number;
}

export interface OidcServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly issuer: string;
  readonly clientId: string;
  /** Registered redirect URIs; the loopback one accepts any port (RFC 8252 §7.3). */
  readonly redirectUris: readonly string[];
  /** Live view; read it after the requests you care about. */
  readonly counters: OidcCounters;
  /** Every token endpoint request in order, with its outcome. */
  readonly tokenRequests: readonly TokenRequestRecord[];
  /** Answer the next `polls` device_code polls with slow_down (adds to any remaining). */
  injectSlowDown(polls: number): void;
  /**
   * Destroys every grant (optionally only `accountId`'s) and every token issued under it, so
   * the next refresh gets `invalid_grant`. Resolves to the number of grants revoked.
   */
  revokeAllGrants(accountId?: string): Promise<number>;
  resetCounters(): void;
  dispose(): Promise<void>;
}

const generateKeyPairAsync = promisify(generateKeyPair);

/** A real oidc-provider on 127.0.0.1 with one public native client, devInteractions and device flow. */
export async function startOidcServer(options: OidcServerOptions = {}): Promise<OidcServer> {
  const clientId = options.clientId ?? 'sophon-test';
  // Listen first: the issuer has to contain the port before the provider is built.
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const redirectUris = ['http://127.0.0.1/oauth/callback', 'sophon://oauth/callback'] as const;

  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_name: 'Sophon test client',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token', DEVICE_CODE_GRANT],
        response_types: ['code'],
        redirect_uris: [...redirectUris],
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'api:read'],
    claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
    findAccount: (_ctx: unknown, accountId: string) => ({
      accountId,
      claims: async () => ({ sub: accountId, name: accountId, email: `${accountId}@example.test`, email_verified: true }),
    }),
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
    },
    // Without this a refresh token needs offline_access *and* a consent prompt; tests want one every time.
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(g: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    // The token would otherwise die with the browser session whenever offline_access was dropped
    // (oidc-provider drops it unless prompt=consent is sent); real IdPs hand out offline tokens.
    expiresWithSession: async () => false,
    rotateRefreshToken: true,
    ttl: {
      AccessToken: options.accessTokenTtl ?? 3600,
      RefreshToken: options.refreshTokenTtl ?? 14 * 24 * 3600,
      DeviceCode: options.deviceCodeTtl ?? 600,
      // Explicit values only to keep oidc-provider's "default ttl function called" notices out of test output.
      IdToken: 3600,
      Interaction: 3600,
      Grant: 14 * 24 * 3600,
      Session: 14 * 24 * 3600,
    },
  });

  const grantIds = new Set<string>();
  provider.on('grant.saved', (grant) => grantIds.add(grant.jti));

  const records: TokenRequestRecord[] = [];
  let deviceAuthorization = 0;
  let revocation = 0;
  let slowDownRemaining = options.slowDownPolls ?? 0;

  const record = (ctx: KoaContext, grantType: string, injected: boolean) => {
    const body = ctx.body as { error?: unknown } | undefined;
    const error = typeof body?.error === 'string' ? body.error : undefined;
    records.push({ grantType, status: ctx.status, ...(error ? { error } : {}), injected });
  };

  const harness: KoaMiddleware = async (ctx, next) => {
    if (ctx.method !== 'POST') return next();
    if (ctx.path === '/device/auth') {
      deviceAuthorization += 1;
      await next();
      const body = ctx.body as Record<string, unknown> | undefined;
      if (options.deviceInterval !== undefined && ctx.status === 200 && body?.['device_code']) ctx.body = { ...body, interval: options.deviceInterval };
      return;
    }
    if (ctx.path === '/token/revocation') revocation += 1;
    if (ctx.path !== '/token') return next();

    let peeked: string | undefined;
    if (slowDownRemaining > 0) {
      // Reading the body here means oidc-provider takes its documented "already parsed" path (req.body).
      const raw = await readRaw(ctx);
      ctx.req.body = raw;
      peeked = new URLSearchParams(raw).get('grant_type') ?? undefined;
      if (peeked === DEVICE_CODE_GRANT) {
        slowDownRemaining -= 1;
        ctx.status = 400;
        ctx.set('Cache-Control', 'no-store');
        ctx.body = { error: 'slow_down', error_description: 'you are polling too quickly and should back off at a reasonable rate' };
        record(ctx, peeked, true);
        return;
      }
    }
    await next();
    const grantType = ctx.oidc?.params?.['grant_type'] ?? ctx.oidc?.body?.['grant_type'] ?? peeked;
    record(ctx, typeof grantType === 'string' ? grantType : 'unknown', false);
  };
  provider.use(harness);
  server.on('request', provider.callback());

  const counters: OidcCounters = {
    get token() {
      return records.length;
    },
    get tokenByGrantType() {
      const out: Record<string, number> = {};
      for (const r of records) out[r.grantType] = (out[r.grantType] ?? 0) + 1;
      return out;
    },
    get deviceAuthorization() {
      return deviceAuthorization;
    },
    get revocation() {
      return revocation;
    },
  };

  return {
    issuer,
    clientId,
    redirectUris,
    counters,
    tokenRequests: records,
    injectSlowDown(polls) {
      slowDownRemaining += polls;
    },
    async revokeAllGrants(accountId) {
      let revoked = 0;
      for (const id of [...grantIds]) {
        const grant = await provider.Grant.find(id);
        if (!grant) {
          grantIds.delete(id);
          continue;
        }
        if (accountId !== undefined && grant.accountId !== accountId) continue;
        // Same set of models oidc-provider's own revoke helper clears.
        await Promise.all([provider.AccessToken, provider.RefreshToken, provider.AuthorizationCode, provider.DeviceCode].map((m) => m.revokeByGrantId(id)));
        await grant.destroy();
        grantIds.delete(id);
        revoked += 1;
      }
      return revoked;
    },
    resetCounters() {
      records.length = 0;
      deviceAuthorization = 0;
      revocation = 0;
    },
    dispose: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

async function readRaw(ctx: KoaContext): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
