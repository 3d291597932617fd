import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { startUpstream, type RecordedRequest } from './http-upstream.ts';

/*
 * One OAuth provider as its own documentation describes it (the profile says which page),
 * on 127.0.0.1. Written from the providers' docs, not from Sophon's catalog: a profile names
 * what the provider does (the issuer it sends, how it compares redirect URIs, whether the
 * token endpoint wants a secret and in which body, its error shapes, refresh rotation,
 * revocation, the read-only call a token must pass) and this server does exactly that.
 */

export type ClientAuth = 'basic' | 'post' | 'basic-or-post';

export interface ProviderProfile {
  /** The provider's page this behaviour comes from. */
  readonly docs: string;
  /** The origins this simulation stands in for (Sophon reaches them through Sophon.Services.<id>.origins). */
  readonly origins: readonly string[];
  /** Serves RFC 8414/OIDC discovery at this origin (GitLab). */
  readonly discovery?: boolean;
  readonly authorize?: {
    readonly path: string;
    /** RFC 9207 `iss` appended to every authorization response; absent: none. */
    readonly iss?: string;
    /** any-port: RFC 8252 §7.3 (host and path compared, port ignored); exact: the whole URI; registered-only: no redirect_uri parameter, always back to the one registered (Todoist). */
    readonly redirect: 'any-port' | 'exact' | 'registered-only';
    readonly pkce: 'required' | 'optional' | 'unsupported';
    /** How a refresh token is asked for: a parameter (access_type=offline) or a scope (offline_access); absent: always issued when `refresh` is not none. */
    readonly offline?: { readonly param: readonly [string, string] } | { readonly scope: string };
    /** Parameters every authorization request must carry (Atlassian's audience). */
    readonly requireParams?: Readonly<Record<string, string>>;
    readonly scopeSeparator: ' ' | ',';
  };
  /** deniedError: what a poll answers once the person declined (Microsoft says authorization_declined). */
  readonly device?: { readonly codePath: string; readonly verificationUri: string; readonly deniedError: string };
  readonly token: {
    readonly path: string;
    readonly body: 'form' | 'json';
    /** When refresh requests take another body than the code exchange (Codex: JSON). */
    readonly refreshBody?: 'form' | 'json';
    readonly clientAuth: ClientAuth;
    /** required: always; unless-pkce: required when the code was not bound to a PKCE challenge; none: public client. */
    readonly secret: 'required' | 'unless-pkce' | 'none';
    /** rfc6749: HTTP 400 JSON; http200: HTTP 200 with error (GitHub); slack: HTTP 200 {ok:false,error}. */
    readonly errors: 'rfc6749' | 'http200' | 'slack';
    /** GitHub answers form-encoded unless the request says Accept: application/json. */
    readonly formUnlessJsonAccepted?: boolean;
    readonly tokenType: string;
    readonly accessPrefix: string;
    readonly expiresIn?: number;
    /** rotate: a new refresh token each time and the old one dies; reuse: the same one stays valid; none: never issued. */
    readonly refresh: 'rotate' | 'reuse' | 'none';
    /** When openid is asked: the id_token `iss`, taking turns through the list (Google uses two spellings). */
    readonly idTokenIssuers?: readonly string[];
    /** More id_token claims (Codex's ChatGPT account). */
    readonly idTokenClaims?: Readonly<Record<string, unknown>>;
    readonly scopeSeparator: ' ' | ',';
    /** Extra fields of a successful answer (Slack's ok: true). */
    readonly extra?: Readonly<Record<string, unknown>>;
  };
  readonly revoke:
    | { readonly kind: 'rfc7009'; readonly path: string; readonly clientAuth: ClientAuth | 'none'; readonly body: 'form' | 'json'; readonly invalidTokenStatus: 200 | 400 }
    | { readonly kind: 'github'; readonly pathPrefix: string }
    | { readonly kind: 'bearer'; readonly path: string; readonly slack?: boolean }
    | { readonly kind: 'notion'; readonly path: string }
    | { readonly kind: 'none' };
  /** Read-only calls a live token passes (anything else with a token answers 401; Slack answers 200 {ok:false}); `answer`: the documented body. */
  readonly api: ReadonlyArray<{ readonly method: string; readonly path: string | RegExp; readonly slack?: boolean; readonly answer?: unknown }>;
  /** The body of the API's 401 (GitHub: {"message": "Bad credentials", …}); absent: {"error": "invalid_token"}. */
  readonly api401?: unknown;
  /** API calls without a User-Agent header are refused with 403 (GitHub's REST API). */
  readonly apiNeedsUserAgent?: boolean;
  /** The Copilot token exchange (protocols.md, unofficial): GET `path` with `Authorization: token <GitHub token>`. */
  readonly copilotExchange?: { readonly path: string };
  /** Atlassian's /oauth/token/accessible-resources. */
  readonly resources?: { readonly path: string; readonly sites: ReadonlyArray<{ readonly id: string; readonly url: string }> };
}

export interface SimOptions {
  readonly clientId: string;
  readonly clientSecret?: string;
  /** The redirect URIs the person registered with the provider. */
  readonly registered: readonly string[];
  /** Send this iss instead of the profile's (the wrong-issuer test). */
  readonly issOverride?: string;
  /** Put this `iss` in every id_token instead of the profile's spellings. */
  readonly idTokenIssuer?: string;
}

interface Grant {
  readonly id: string;
  readonly scope: string[];
  live: boolean;
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function idToken(claims: Record<string, unknown>): string {
  const head = `${b64({ alg: 'RS256', typ: 'JWT', kid: 'sim' })}.${b64(claims)}`;
  return `${head}.${sign('sha256', Buffer.from(head), privateKey).toString('base64url')}`;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(body === undefined ? '' : JSON.stringify(body));
}

/** RFC 8252 §7.3 / exact comparison of a redirect_uri with the registered ones. */
function redirectAllowed(rule: 'any-port' | 'exact', candidate: string, registered: readonly string[]): boolean {
  if (rule === 'exact') return registered.includes(candidate);
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  return registered.some((r) => {
    const reg = new URL(r);
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(reg.hostname) && reg.protocol === 'http:';
    if (!loopback) return r === candidate;
    return url.protocol === reg.protocol && url.hostname === reg.hostname && url.pathname === reg.pathname;
  });
}

export async function startProviderSim(profile: ProviderProfile, options: SimOptions) {
  const codes = new Map<string, { redirectUri: string | undefined; challenge?: string; grant: Grant; offline: boolean; openid: boolean }>();
  const access = new Map<string, Grant>();
  const refresh = new Map<string, { grant: Grant; live: boolean }>();
  const devices = new Map<string, { userCode: string; grant: Grant; approved: boolean; denied: boolean }>();
  const log = { authorize: [] as Array<{ status: number; reason?: string }>, token: [] as Array<{ grant: string; status: number; error?: string }>, revocations: 0, api: 0, copilot: 0 };
  let idTokenTurn = 0;
  let origin = '';

  const tokenError = (res: ServerResponse, error: string, description = error) => {
    if (profile.token.errors === 'http200') return send(res, 200, { error, error_description: description, error_uri: profile.docs });
    if (profile.token.errors === 'slack') return send(res, 200, { ok: false, error });
    return send(res, 400, { error, error_description: description });
  };

  const parseBody = (req: RecordedRequest, format: 'form' | 'json'): Record<string, string> | undefined => {
    const type = req.headers['content-type'] ?? '';
    if (format === 'json') {
      if (!type.includes('application/json')) return undefined;
      try {
        return JSON.parse(req.body) as Record<string, string>;
      } catch {
        return undefined;
      }
    }
    if (!type.includes('application/x-www-form-urlencoded')) return undefined;
    return Object.fromEntries(new URLSearchParams(req.body));
  };

  /** The client's id and secret, from HTTP Basic or the body, as the profile allows. */
  const clientOf = (req: RecordedRequest, body: Record<string, string>, allowed: ClientAuth | 'none'): { id?: string; secret?: string; ok: boolean } => {
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (basic) {
      if (allowed === 'post') return { ok: false };
      const [id, secret] = Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent);
      return { id, secret, ok: true };
    }
    if (body['client_secret'] !== undefined && allowed === 'basic') return { ok: false };
    return { id: body['client_id'], secret: body['client_secret'], ok: true };
  };

  const issue = (res: ServerResponse, grant: Grant, wantRefresh: boolean, openid: boolean, req: RecordedRequest, keepRefresh?: string) => {
    const accessToken = `${profile.token.accessPrefix}${randomBytes(12).toString('hex')}`;
    access.set(accessToken, grant);
    const answer: Record<string, unknown> = { ...profile.token.extra, access_token: accessToken, token_type: profile.token.tokenType, scope: grant.scope.join(profile.token.scopeSeparator) };
    if (profile.token.expiresIn) answer['expires_in'] = profile.token.expiresIn;
    if (wantRefresh && profile.token.refresh !== 'none') {
      const token = keepRefresh ?? `rt-${randomBytes(12).toString('hex')}`;
      refresh.set(token, { grant, live: true });
      if (!(keepRefresh && profile.token.refresh === 'reuse')) answer['refresh_token'] = token;
    }
    if (openid && profile.token.idTokenIssuers) {
      const iss = options.idTokenIssuer ?? profile.token.idTokenIssuers[idTokenTurn++ % profile.token.idTokenIssuers.length];
      const now = Math.floor(Date.now() / 1000);
      answer['id_token'] = idToken({ ...profile.token.idTokenClaims, iss, sub: '1170', aud: options.clientId, azp: options.clientId, iat: now, exp: now + 3600, email: 'ada@example.test' });
    }
    if (profile.token.formUnlessJsonAccepted && !(req.headers.accept ?? '').includes('application/json')) {
      res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' }).end(new URLSearchParams(Object.entries(answer).map(([k, v]): [string, string] => [k, String(v)])).toString());
      return;
    }
    send(res, 200, answer);
  };

  const bearerOf = (req: RecordedRequest) => /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const kill = (grant: Grant) => {
    grant.live = false;
  };

  const server = await startUpstream((req, res) => {
    const url = new URL(req.url, origin);
    const path = url.pathname;

    if (profile.discovery && req.method === 'GET' && path === '/.well-known/openid-configuration') {
      return send(res, 200, {
        issuer: origin,
        authorization_endpoint: `${origin}${profile.authorize?.path}`,
        token_endpoint: `${origin}${profile.token.path}`,
        ...(profile.revoke.kind === 'rfc7009' ? { revocation_endpoint: `${origin}${profile.revoke.path}` } : {}),
        ...(profile.device ? { device_authorization_endpoint: `${origin}${profile.device.codePath}` } : {}),
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      });
    }

    const auth = profile.authorize;
    if (auth && req.method === 'GET' && path === auth.path) {
      const q = url.searchParams;
      const refuse = (reason: string) => {
        log.authorize.push({ status: 400, reason });
        res.writeHead(400, { 'content-type': 'text/html' }).end(`<h1>Error</h1><p>${reason}</p>`);
      };
      if (q.get('client_id') !== options.clientId) return refuse('unknown client_id');
      if (q.get('response_type') !== 'code') return refuse('unsupported response_type');
      for (const [name, value] of Object.entries(auth.requireParams ?? {})) if (q.get(name) !== value) return refuse(`missing ${name}`);
      const asked = q.get('redirect_uri') ?? undefined;
      let target: string;
      if (auth.redirect === 'registered-only') {
        target = options.registered[0] as string;
      } else {
        if (!asked || !redirectAllowed(auth.redirect, asked, options.registered)) return refuse(`redirect_uri ${asked ?? '(none)'} does not match a registered redirect URI`);
        target = asked;
      }
      const challenge = q.get('code_challenge') ?? undefined;
      if (auth.pkce === 'required' && !challenge) return refuse('code_challenge required');
      if (challenge && q.get('code_challenge_method') !== 'S256') return refuse('only S256');
      const scope = (q.get('scope') ?? '').split(auth.scopeSeparator).filter(Boolean);
      const offline = !auth.offline ? true : 'param' in auth.offline ? q.get(auth.offline.param[0]) === auth.offline.param[1] : scope.includes(auth.offline.scope);
      const code = `code-${randomBytes(8).toString('hex')}`;
      const grant: Grant = { id: randomBytes(4).toString('hex'), scope, live: true };
      codes.set(code, { redirectUri: auth.redirect === 'registered-only' ? undefined : asked, ...(challenge && auth.pkce !== 'unsupported' ? { challenge } : {}), grant, offline, openid: scope.includes('openid') });
      const back = new URL(target);
      back.searchParams.set('code', code);
      if (q.get('state') !== null) back.searchParams.set('state', q.get('state') as string);
      const iss = options.issOverride ?? auth.iss;
      if (iss) back.searchParams.set('iss', iss);
      log.authorize.push({ status: 302 });
      res.writeHead(302, { location: back.href }).end();
      return;
    }

    if (profile.device && req.method === 'POST' && path === profile.device.codePath) {
      const body = Object.fromEntries(new URLSearchParams(req.body));
      if (body['client_id'] !== options.clientId) return tokenError(res, 'incorrect_client_credentials');
      const deviceCode = randomBytes(20).toString('hex');
      const userCode = `${randomBytes(2).toString('hex')}-${randomBytes(2).toString('hex')}`.toUpperCase();
      devices.set(deviceCode, { userCode, grant: { id: randomBytes(4).toString('hex'), scope: (body['scope'] ?? '').split(/[ ,]/).filter(Boolean), live: true }, approved: false, denied: false });
      return send(res, 200, { device_code: deviceCode, user_code: userCode, verification_uri: profile.device.verificationUri, expires_in: 900, interval: 5 });
    }

    if (req.method === 'POST' && path === profile.token.path) {
      const sentJson = (req.headers['content-type'] ?? '').includes('application/json');
      const format = sentJson && profile.token.refreshBody === 'json' ? 'json' : profile.token.body;
      const body = parseBody(req, format);
      const grantType = body?.['grant_type'] ?? 'unknown';
      const expected = grantType === 'refresh_token' ? (profile.token.refreshBody ?? profile.token.body) : profile.token.body;
      const fail = (error: string, description?: string) => {
        log.token.push({ grant: grantType, status: profile.token.errors === 'rfc6749' ? 400 : 200, error });
        tokenError(res, error, description);
      };
      if (!body || format !== expected) return fail('invalid_request', `the body must be ${expected === 'json' ? 'JSON' : 'form-encoded'}`);
      const client = clientOf(req, body, profile.token.clientAuth);
      if (!client.ok) return fail('invalid_client', 'client authentication method not allowed');
      if (client.id !== options.clientId) return fail(profile.token.errors === 'http200' ? 'incorrect_client_credentials' : 'invalid_client');
      if (client.secret !== undefined && client.secret !== options.clientSecret) return fail(profile.token.errors === 'http200' ? 'incorrect_client_credentials' : 'invalid_client', 'bad client secret');
      const ok = () => log.token.push({ grant: grantType, status: 200 });
      if (grantType === 'authorization_code') {
        const entry = codes.get(body['code'] ?? '');
        codes.delete(body['code'] ?? '');
        if (!entry) return fail(profile.token.errors === 'http200' ? 'bad_verification_code' : 'invalid_grant');
        const secretNeeded = profile.token.secret === 'required' || (profile.token.secret === 'unless-pkce' && !entry.challenge);
        if (secretNeeded && client.secret === undefined) return fail(profile.token.errors === 'http200' ? 'incorrect_client_credentials' : 'invalid_client', 'client_secret is missing');
        if (entry.redirectUri !== undefined && body['redirect_uri'] !== entry.redirectUri) return fail(profile.token.errors === 'http200' ? 'redirect_uri_mismatch' : 'invalid_grant', 'redirect_uri differs');
        if (entry.challenge && createHash('sha256').update(body['code_verifier'] ?? '').digest('base64url') !== entry.challenge) return fail('invalid_grant', 'code_verifier does not match');
        ok();
        return issue(res, entry.grant, entry.offline, entry.openid, req);
      }
      if (grantType === 'refresh_token') {
        if (profile.token.secret === 'required' && client.secret === undefined) return fail('invalid_client', 'client_secret is missing');
        const old = refresh.get(body['refresh_token'] ?? '');
        if (!old || !old.live || !old.grant.live) return fail(profile.token.errors === 'slack' ? 'invalid_refresh_token' : 'invalid_grant');
        if (profile.token.refresh === 'rotate') old.live = false;
        ok();
        return issue(res, old.grant, true, false, req, profile.token.refresh === 'reuse' ? body['refresh_token'] : undefined);
      }
      if (grantType === 'urn:ietf:params:oauth:grant-type:device_code') {
        const device = devices.get(body['device_code'] ?? '');
        if (!device) return fail(profile.token.errors === 'http200' ? 'incorrect_device_code' : 'invalid_grant');
        if (device.denied && profile.device) return fail(profile.device.deniedError);
        if (!device.approved) return fail('authorization_pending');
        devices.delete(body['device_code'] ?? '');
        ok();
        return issue(res, device.grant, true, false, req);
      }
      return fail('unsupported_grant_type');
    }

    const revoke = profile.revoke;
    if (revoke.kind === 'rfc7009' && req.method === 'POST' && path === revoke.path) {
      const body = parseBody(req, revoke.body);
      if (!body) return send(res, 400, { error: 'invalid_request' });
      if (revoke.clientAuth !== 'none') {
        const client = clientOf(req, body, revoke.clientAuth);
        if (!client.ok || client.id !== options.clientId || (options.clientSecret !== undefined && client.secret !== options.clientSecret)) return send(res, 401, { error: 'invalid_client' });
      }
      const grant = access.get(body['token'] ?? '') ?? refresh.get(body['token'] ?? '')?.grant;
      if (!grant || !grant.live) return revoke.invalidTokenStatus === 400 ? send(res, 400, { error: 'invalid_token' }) : send(res, 200, undefined);
      kill(grant);
      log.revocations++;
      return send(res, 200, undefined);
    }
    if (revoke.kind === 'github' && req.method === 'DELETE' && path === `${revoke.pathPrefix}/${options.clientId}/token`) {
      const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const [id, secret] = basic ? Buffer.from(basic, 'base64').toString().split(':') : [];
      if (id !== options.clientId || secret !== options.clientSecret) return send(res, 404, { message: 'Not Found' });
      const token = (JSON.parse(req.body || '{}') as { access_token?: string }).access_token ?? '';
      const grant = access.get(token);
      if (!grant) return send(res, 422, { message: 'Validation Failed' });
      kill(grant);
      log.revocations++;
      res.writeHead(204).end();
      return;
    }
    if (revoke.kind === 'bearer' && req.method === 'POST' && path === revoke.path) {
      const grant = access.get(bearerOf(req) ?? '');
      if (!grant || !grant.live) return revoke.slack ? send(res, 200, { ok: false, error: 'invalid_auth' }) : send(res, 401, { error: 'invalid_token' });
      kill(grant);
      log.revocations++;
      return send(res, 200, revoke.slack ? { ok: true, revoked: true } : null);
    }
    if (revoke.kind === 'notion' && req.method === 'POST' && path === revoke.path) {
      const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const [id, secret] = basic ? Buffer.from(basic, 'base64').toString().split(':') : [];
      if (id !== options.clientId || secret !== options.clientSecret) return send(res, 401, { object: 'error', code: 'unauthorized' });
      const body = parseBody(req, 'json');
      const grant = access.get(body?.['token'] ?? '');
      if (!grant || !grant.live) return send(res, 400, { object: 'error', code: 'invalid_grant' });
      kill(grant);
      log.revocations++;
      return send(res, 200, {});
    }

    if (profile.resources && req.method === 'GET' && path === profile.resources.path) {
      const grant = access.get(bearerOf(req) ?? '');
      if (!grant?.live) return send(res, 401, { code: 401, message: 'Unauthorized' });
      return send(res, 200, profile.resources.sites.map((s) => ({ ...s, name: 'acme', scopes: grant.scope, avatarUrl: 'https://example.test/a.png' })));
    }

    if (profile.copilotExchange && req.method === 'GET' && path === profile.copilotExchange.path) {
      log.copilot++;
      const grant = access.get(/^token (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
      if (!grant?.live) return send(res, 401, profile.api401 ?? { error: 'invalid_token' });
      const expiresAt = Math.floor(Date.now() / 1000) + 1800;
      return send(res, 200, { token: `tid=sim;exp=${expiresAt}`, expires_at: expiresAt, refresh_in: 1500, endpoints: { api: 'https://api.individual.githubcopilot.com' }, sku: 'copilot_for_individual_user', chat_enabled: true });
    }

    const call = profile.api.find((a) => a.method === req.method && (typeof a.path === 'string' ? a.path === path + url.search || a.path === path : a.path.test(path)));
    if (call) {
      log.api++;
      if (profile.apiNeedsUserAgent && !req.headers['user-agent']) return send(res, 403, { message: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header' });
      const grant = access.get(bearerOf(req) ?? '');
      if (!grant?.live) return call.slack ? send(res, 200, { ok: false, error: 'invalid_auth' }) : send(res, 401, profile.api401 ?? { error: 'invalid_token' });
      return send(res, 200, call.answer ?? (call.slack ? { ok: true, user_id: 'U1' } : { id: 'me' }));
    }
    send(res, 404, { error: 'not_found', path });
  });
  origin = server.url;

  return {
    url: server.url,
    requests: server.requests,
    log,
    /** The person enters the code and approves (RFC 8628 §3.3). */
    approveDevice(userCode: string): void {
      for (const device of devices.values()) if (device.userCode === userCode) device.approved = true;
    },
    /** The person enters the code and declines. */
    denyDevice(userCode: string): void {
      for (const device of devices.values()) if (device.userCode === userCode) device.denied = true;
    },
    /** A token the person made at the provider itself (a personal access token), honoured from now on. */
    issueToken(token: string): void {
      access.set(token, { id: randomBytes(4).toString('hex'), scope: [], live: true });
    },
    /** Whether the provider still honours this access token. */
    accepts(accessToken: string): boolean {
      return access.get(accessToken)?.live === true;
    },
    /** Whether this refresh token would still be accepted. */
    acceptsRefresh(token: string): boolean {
      const entry = refresh.get(token);
      return entry !== undefined && entry.live && entry.grant.live;
    },
    dispose: server.dispose,
  };
}

export type ProviderSim = Awaited<ReturnType<typeof startProviderSim>>;
