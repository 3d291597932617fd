// Proves the oidc-server and oidc-user-agent helpers against raw HTTP only (no application code),
// so that end-to-end tests can trust them.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_CODE_GRANT, startOidcServer, type OidcServer } from '../helpers/oidc-server.ts';
import { approveDeviceCode, completeAuthorization, createUserAgent, denyDeviceCode } from '../helpers/oidc-user-agent.ts';

interface Discovery {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly device_authorization_endpoint: string;
  readonly revocation_endpoint: string;
  readonly authorization_response_iss_parameter_supported?: boolean;
  readonly code_challenge_methods_supported?: readonly string[];
  readonly scopes_supported?: readonly string[];
}

interface TokenResponse {
  readonly access_token?: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
  readonly expires_in?: number;
  readonly scope?: string;
  readonly error?: string;
}

interface DeviceAuthorization {
  readonly device_code: string;
  readonly user_code: string;
  readonly verification_uri: string;
  readonly verification_uri_complete: string;
  readonly interval?: number;
}

const b64url = (buf: Buffer) => buf.toString('base64url');

function pkce() {
  const verifier = b64url(randomBytes(32));
  return { verifier, challenge: b64url(createHash('sha256').update(verifier).digest()) };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

async function postForm<T>(url: string, body: Record<string, string>): Promise<{ status: number; json: T }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) });
  return { status: res.status, json: (await res.json()) as T };
}

let server: OidcServer;
let meta: Discovery;

beforeAll(async () => {
  server = await startOidcServer({ accessTokenTtl: 120 });
  meta = await getJson<Discovery>(`${server.issuer}/.well-known/openid-configuration`);
});
afterAll(async () => server?.dispose());

/** Authorization code + PKCE through the devInteractions forms; returns the redirect and the verifier. */
async function authorize(redirectUri: string, extra: Record<string, string> = {}, login = 'alice') {
  const { verifier, challenge } = pkce();
  const state = b64url(randomBytes(12));
  const url = new URL(meta.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: server.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid offline_access profile email api:read',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    ...extra,
  }).toString();
  const redirected = new URL(await completeAuthorization(url, { login }));
  return { redirected, verifier, state };
}

async function signIn(login = 'alice'): Promise<TokenResponse> {
  const redirectUri = 'http://127.0.0.1:53111/oauth/callback';
  const { redirected, verifier } = await authorize(redirectUri, {}, login);
  const { status, json } = await postForm<TokenResponse>(meta.token_endpoint, {
    grant_type: 'authorization_code',
    client_id: server.clientId,
    code: redirected.searchParams.get('code')!,
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });
  expect(status).toBe(200);
  return json;
}

const refresh = (refreshToken: string) =>
  postForm<TokenResponse>(meta.token_endpoint, { grant_type: 'refresh_token', client_id: server.clientId, refresh_token: refreshToken });

describe('oidc-server harness', () => {
  it('advertises the RFC 9207 iss parameter, S256 PKCE, the device endpoint and the custom scope', () => {
    expect(meta.issuer).toBe(server.issuer);
    expect(server.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(meta.authorization_response_iss_parameter_supported).toBe(true);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.device_authorization_endpoint).toBe(`${server.issuer}/device/auth`);
    expect(meta.revocation_endpoint).toBeTruthy();
    expect(meta.scopes_supported).toEqual(expect.arrayContaining(['openid', 'offline_access', 'profile', 'email', 'api:read']));
  });

  it('accepts a loopback redirect on an arbitrary port and returns code, state and iss; the code exchanges with PKCE', async () => {
    const redirectUri = 'http://127.0.0.1:49321/oauth/callback';
    const { redirected, state } = await authorize(redirectUri);
    expect(`${redirected.origin}${redirected.pathname}`).toBe(redirectUri.replace(/\?.*/, ''));
    expect(redirected.searchParams.get('state')).toBe(state);
    expect(redirected.searchParams.get('iss')).toBe(server.issuer);
    const code = redirected.searchParams.get('code')!;
    expect(code).toBeTruthy();

    const wrong = await postForm<TokenResponse>(meta.token_endpoint, {
      grant_type: 'authorization_code', client_id: server.clientId, code, redirect_uri: redirectUri, code_verifier: pkce().verifier,
    });
    expect(wrong.json.error).toBe('invalid_grant');

    // Exchange a fresh code, so this does not depend on whether a failed PKCE check burns the first one.
    const again = await authorize(redirectUri);
    const ok = await postForm<TokenResponse>(meta.token_endpoint, {
      grant_type: 'authorization_code', client_id: server.clientId, code: again.redirected.searchParams.get('code')!, redirect_uri: redirectUri, code_verifier: again.verifier,
    });
    expect(ok.status).toBe(200);
    expect(ok.json.access_token).toBeTruthy();
    expect(ok.json.refresh_token).toBeTruthy();
    expect(ok.json.id_token).toBeTruthy();
    expect(ok.json.expires_in).toBe(120);
    // offline_access is dropped without prompt=consent; the refresh token comes anyway (issueRefreshToken).
    expect(ok.json.scope?.split(' ').sort()).toEqual(['api:read', 'email', 'openid', 'profile']);
  });

  it('keeps offline_access in the granted scope when prompt=consent is sent', async () => {
    const redirectUri = 'http://127.0.0.1:40002/oauth/callback';
    const { redirected, verifier } = await authorize(redirectUri, { prompt: 'consent' });
    const { json } = await postForm<TokenResponse>(meta.token_endpoint, {
      grant_type: 'authorization_code', client_id: server.clientId, code: redirected.searchParams.get('code')!, redirect_uri: redirectUri, code_verifier: verifier,
    });
    expect(json.scope?.split(' ')).toContain('offline_access');
    expect(json.refresh_token).toBeTruthy();
  });

  it('redirects to the custom-scheme redirect URI too, and to error=access_denied when consent is refused', async () => {
    const { redirected } = await authorize('sophon://oauth/callback');
    expect(redirected.protocol).toBe('sophon:');
    expect(redirected.searchParams.get('code')).toBeTruthy();
    expect(redirected.searchParams.get('iss')).toBe(server.issuer);

    const url = new URL(meta.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: server.clientId, response_type: 'code', redirect_uri: 'http://127.0.0.1:40000/oauth/callback', scope: 'openid',
      code_challenge: pkce().challenge, code_challenge_method: 'S256', state: 's1',
    }).toString();
    const denied = new URL(await completeAuthorization(url, { consent: false }));
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('s1');
  });

  it('issues a refresh token without offline_access too, so flows work without prompt=consent', async () => {
    const redirectUri = 'http://127.0.0.1:40001/oauth/callback';
    const { redirected, verifier } = await authorize(redirectUri, { scope: 'openid api:read' });
    const { json } = await postForm<TokenResponse>(meta.token_endpoint, {
      grant_type: 'authorization_code', client_id: server.clientId, code: redirected.searchParams.get('code')!, redirect_uri: redirectUri, code_verifier: verifier,
    });
    expect(json.refresh_token).toBeTruthy();
  });

  it('reuses the browser session when given the same agent (login form is skipped)', async () => {
    const agent = createUserAgent();
    const url = () => {
      const u = new URL(meta.authorization_endpoint);
      u.search = new URLSearchParams({
        client_id: server.clientId, response_type: 'code', redirect_uri: 'sophon://oauth/callback', scope: 'openid',
        code_challenge: pkce().challenge, code_challenge_method: 'S256',
      }).toString();
      return u;
    };
    await completeAuthorization(url(), { login: 'carol', agent });
    expect(agent.cookieNames()).toContain('_session');
    // A different login would be ignored because the session already names carol; the code still comes back.
    const second = new URL(await completeAuthorization(url(), { login: 'nobody', agent }));
    expect(second.searchParams.get('code')).toBeTruthy();
  });

  it('rotates refresh tokens: the new one works, the old one then fails with invalid_grant', async () => {
    const first = await signIn();
    const r1 = await refresh(first.refresh_token!);
    expect(r1.status).toBe(200);
    expect(r1.json.refresh_token).toBeTruthy();
    expect(r1.json.refresh_token).not.toBe(first.refresh_token);

    const reused = await refresh(first.refresh_token!);
    expect(reused.status).toBe(400);
    expect(reused.json.error).toBe('invalid_grant');
  });

  it('after revokeAllGrants(account) that account refreshes into invalid_grant, others keep working', async () => {
    const bob = await signIn('bob');
    const dave = await signIn('dave');
    expect(await server.revokeAllGrants('bob')).toBeGreaterThanOrEqual(1);
    expect((await refresh(bob.refresh_token!)).json.error).toBe('invalid_grant');
    expect((await refresh(dave.refresh_token!)).status).toBe(200);

    const erin = await signIn('erin');
    await server.revokeAllGrants();
    expect((await refresh(erin.refresh_token!)).json.error).toBe('invalid_grant');
  });

  it('counts token requests by grant type', async () => {
    server.resetCounters();
    const tokens = await signIn();
    await refresh(tokens.refresh_token!);
    await refresh('not-a-token');
    expect(server.counters.token).toBe(3);
    expect(server.counters.tokenByGrantType).toEqual({ authorization_code: 1, refresh_token: 2 });
    expect(server.tokenRequests.at(-1)).toEqual({ grantType: 'refresh_token', status: 400, error: 'invalid_grant', injected: false });

    const revoked = await fetch(meta.revocation_endpoint, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: server.clientId, token: tokens.access_token!, token_type_hint: 'access_token' }),
    });
    expect(revoked.status).toBe(200);
    expect(server.counters.revocation).toBe(1);
  });
});

describe('oidc-server harness: device flow', () => {
  const startDevice = async () => {
    const res = await postForm<DeviceAuthorization>(meta.device_authorization_endpoint, { client_id: server.clientId, scope: 'openid offline_access api:read' });
    expect(res.status).toBe(200);
    return res.json;
  };
  const poll = (deviceCode: string) =>
    postForm<TokenResponse>(meta.token_endpoint, { grant_type: DEVICE_CODE_GRANT, client_id: server.clientId, device_code: deviceCode });

  it('answers authorization_pending until the user approves, then issues tokens', async () => {
    const device = await startDevice();
    expect(device.verification_uri).toBe(`${server.issuer}/device`);
    // oidc-provider omits interval; RFC 8628 §3.2 says the client then waits 5 s.
    expect(device.interval).toBeUndefined();

    const pending = await poll(device.device_code);
    expect(pending.status).toBe(400);
    expect(pending.json.error).toBe('authorization_pending');

    await approveDeviceCode(device.verification_uri, device.user_code, { login: 'alice' });
    const done = await poll(device.device_code);
    expect(done.status).toBe(200);
    expect(done.json.access_token).toBeTruthy();
    expect(done.json.refresh_token).toBeTruthy();

    const replay = await poll(device.device_code);
    expect(replay.json.error).toBe('invalid_grant');
  });

  it('also works from verification_uri_complete', async () => {
    const device = await startDevice();
    await approveDeviceCode(device.verification_uri_complete, device.user_code);
    expect((await poll(device.device_code)).status).toBe(200);
  });

  it('denyDeviceCode makes the next poll access_denied', async () => {
    const device = await startDevice();
    await denyDeviceCode(device.verification_uri, device.user_code);
    const denied = await poll(device.device_code);
    expect(denied.status).toBe(400);
    expect(denied.json.error).toBe('access_denied');
  });

  it('rejects an unknown user code with a clear error', async () => {
    await expect(approveDeviceCode(`${server.issuer}/device`, 'BCDF-GHJK')).rejects.toThrow(/refused the code/);
  });

  it('injects slow_down for the next N device polls, then lets the real provider answer', async () => {
    const device = await startDevice();
    server.resetCounters();
    server.injectSlowDown(1);
    const slowed = await poll(device.device_code);
    expect(slowed.status).toBe(400);
    expect(slowed.json.error).toBe('slow_down');
    // A non-device grant is not eaten by the injection, and the body still reaches oidc-provider.
    expect((await refresh('nope')).json.error).toBe('invalid_grant');
    expect((await poll(device.device_code)).json.error).toBe('authorization_pending');
    expect(server.tokenRequests.map((r) => [r.error, r.injected])).toEqual([['slow_down', true], ['invalid_grant', false], ['authorization_pending', false]]);
    expect(server.counters.tokenByGrantType[DEVICE_CODE_GRANT]).toBe(2);
  });

  it('slowDownPolls and deviceInterval as start options', async () => {
    const slow = await startOidcServer({ slowDownPolls: 2, clientId: 'other-client', deviceInterval: 1 });
    try {
      const res = await postForm<DeviceAuthorization>(`${slow.issuer}/device/auth`, { client_id: 'other-client', scope: 'openid' });
      expect(res.json.interval).toBe(1);
      const body = { grant_type: DEVICE_CODE_GRANT, client_id: 'other-client', device_code: res.json.device_code };
      const errors = [];
      for (let i = 0; i < 3; i += 1) errors.push((await postForm<TokenResponse>(`${slow.issuer}/token`, body)).json.error);
      expect(errors).toEqual(['slow_down', 'slow_down', 'authorization_pending']);
    } finally {
      await slow.dispose();
    }
  });
});
