import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { openHostApi, type HostApi } from '../../main/api/host.ts';
import { SophonError, type Connection, type OAuthSecret, type Clock } from '../../main/core/index.ts';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.ts';
import { completeAuthorization, approveDeviceCode, denyDeviceCode } from '../helpers/oidc-user-agent.ts';
import { fastPassphrase } from '../helpers/protectors.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { CONNECTOR_ID, writeOAuthHome, offsetClock, hurryingClock } from '../helpers/oauth-fixture.ts';
import { ManualClock } from '../helpers/manual-clock.ts';

let server: OidcServer;
let home: TempHome;
let host: HostApi | undefined;

beforeAll(async () => {
  server = await startOidcServer({ accessTokenTtl: 3600 });
});
afterAll(async () => server?.dispose());
afterEach(async () => {
  await host?.dispose();
  host = undefined;
  await home?.dispose();
});

async function openHost(options: { clock?: Clock; deepLinks?: boolean } = {}): Promise<HostApi> {
  home = await tempHome();
  await writeOAuthHome(home.dir, server);
  host = await openHostApi({ home: home.dir, ownerName: 'test', protectors: fastPassphrase(), scheduler: false, tokens: { retries: 0 }, ...options });
  return host;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof SophonError ? error.code : `unexpected: ${String(error)}`;
  }
  return 'no error';
}

/** Signs in through the loopback redirect, driving the server's login and consent pages. */
async function loopbackSignIn(api: HostApi, label?: string): Promise<Connection> {
  const { signin } = api.core.oauth;
  const started = await signin.start({ service: CONNECTOR_ID, method: 'oauth2', redirect: 'loopback', ...(label ? { label } : {}) }, { actor: 'cli' });
  if (started.kind !== 'browser') throw new Error('expected a browser sign-in');
  const url = new URL(started.authorizationUrl);
  expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  expect(url.searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback$/);
  const redirect = await completeAuthorization(started.authorizationUrl);
  const page = await fetch(redirect);
  const body = await page.text();
  expect(body, body).toContain("Signed in");
  expect(page.status).toBe(200);
  return signin.wait(started.attemptId);
}

describe('OAuth sign-in against a real OpenID provider', () => {
  it('code + PKCE with the loopback return stores an active connection with a rotating refresh token', async () => {
    const api = await openHost();
    const connection = await loopbackSignIn(api);
    expect(connection).toMatchObject({ service: CONNECTOR_ID, label: 'default', state: 'active', authMethod: 'oauth2', refreshable: true, account: 'alice' });
    expect(connection.scopes).toEqual(expect.arrayContaining(['openid', 'api:read']));
    const secret = (await api.core.vault.get<OAuthSecret>(`secret/${connection.id}`))!;
    expect(secret.refreshToken).toBeTruthy();
    const test = await api.core.connections.test(connection.id, { actor: 'cli' });
    expect(test.result).toMatchObject({ ok: true, status: 200 });
  });

  it('code + PKCE with a deep-link URL handed to the core', async () => {
    const api = await openHost({ deepLinks: true });
    const started = await api.core.oauth.signin.start({ service: CONNECTOR_ID, method: 'oauth2', redirect: 'deeplink' }, { actor: 'window' });
    if (started.kind !== 'browser') throw new Error('expected a browser sign-in');
    expect(new URL(started.authorizationUrl).searchParams.get('redirect_uri')).toBe('sophon://oauth/callback');
    const deepLink = await completeAuthorization(started.authorizationUrl);
    expect(deepLink).toMatch(/^sophon:\/\/oauth\/callback\?code=/);
    const connection = await api.dispatcher.call('signin.complete', { redirectUrl: deepLink }, { actor: 'host' });
    expect(connection).toMatchObject({ ok: true, data: { state: 'active' } });
  });

  it('refuses forged, replayed, wrong-issuer and error callbacks, changing nothing', async () => {
    const api = await openHost({ deepLinks: true });
    const { signin } = api.core.oauth;
    const started = await signin.start({ service: CONNECTOR_ID, method: 'oauth2', redirect: 'deeplink' }, { actor: 'window' });
    if (started.kind !== 'browser') throw new Error('expected a browser sign-in');
    const real = await completeAuthorization(started.authorizationUrl);
    const before = api.core.vault.list('');

    expect(await codeOf(signin.complete('sophon://oauth/callback?code=forged&state=not-a-pending-state', { actor: 'host' }))).toBe('OAUTH_STATE_MISMATCH');
    const wrongIss = new URL(real);
    wrongIss.searchParams.set('iss', 'https://evil.example');
    expect(await codeOf(signin.complete(wrongIss.href, { actor: 'host' }))).toBe('OAUTH_ISSUER_MISMATCH');
    const noIss = new URL(real);
    noIss.searchParams.delete('iss');
    expect(await codeOf(signin.complete(noIss.href, { actor: 'host' }))).toBe('OAUTH_ISSUER_MISMATCH');
    const elsewhere = new URL(real.replace('sophon://oauth/callback', 'sophon://evil/callback'));
    expect(await codeOf(signin.complete(elsewhere.href, { actor: 'host' }))).toBe('OAUTH_STATE_MISMATCH');
    expect(api.core.vault.list('')).toEqual(before);

    // The real response still completes: the refusals changed nothing.
    const connection = await signin.complete(real, { actor: 'host' });
    expect(connection.state).toBe('active');
    // Replaying it is refused.
    expect(await codeOf(signin.complete(real, { actor: 'host' }))).toBe('OAUTH_STATE_MISMATCH');
    expect((await api.core.connections.list()).length).toBe(1);

    // An error response from the right server ends the attempt without storing anything.
    const second = await signin.start({ service: CONNECTOR_ID, method: 'oauth2', redirect: 'deeplink', label: 'declined' }, { actor: 'window' });
    if (second.kind !== 'browser') throw new Error('expected a browser sign-in');
    const denied = await completeAuthorization(second.authorizationUrl, { consent: false });
    expect(new URL(denied).searchParams.get('error')).toBe('access_denied');
    expect(await codeOf(signin.complete(denied, { actor: 'host' }))).toBe('OAUTH_ACCESS_DENIED');
    expect(await codeOf(signin.wait(second.attemptId))).toBe('OAUTH_ACCESS_DENIED');
    expect((await api.core.connections.list()).length).toBe(1);
  });

  it('device flow: shows the code, polls at the interval, adds 5 s on slow_down, completes once approved', async () => {
    const clock = hurryingClock();
    const api = await openHost({ clock });
    server.injectSlowDown(1);
    const events: string[] = [];
    api.core.oauth.signin.onEvent((e) => events.push(e.status));
    const started = await api.core.oauth.signin.start({ service: CONNECTOR_ID, method: 'device', label: 'tv' }, { actor: 'cli' });
    if (started.kind !== 'device') throw new Error('expected a device sign-in');
    expect(started.userCode).toMatch(/\w/);
    expect(started.interval).toBe(5);
    await new Promise((r) => setTimeout(r, 100));
    await approveDeviceCode(started.verificationUri, started.userCode);
    const connection = await api.core.oauth.signin.wait(started.attemptId);
    expect(connection).toMatchObject({ label: 'tv', authMethod: 'device', state: 'active' });
    expect(events).toContain('slow_down');
    expect(events.at(-1)).toBe('completed');
    const polls = clock.delays.filter((d) => d < 60_000);
    expect(polls[0]).toBe(5000);
    expect(polls.slice(1).every((d) => d >= 10_000)).toBe(true);
  });

  it('a pending attempt expires after 10 minutes; its late response is refused', async () => {
    const clock = new ManualClock(Date.now());
    const api = await openHost({ clock, deepLinks: true });
    const started = await api.core.oauth.signin.start({ service: CONNECTOR_ID, method: 'oauth2', redirect: 'deeplink' }, { actor: 'window' });
    if (started.kind !== 'browser') throw new Error('expected a browser sign-in');
    expect(started.expiresAt - clock.now()).toBe(10 * 60_000);
    const late = await completeAuthorization(started.authorizationUrl);
    await clock.advance(10 * 60_000);
    expect(await codeOf(api.core.oauth.signin.wait(started.attemptId))).toBe('OAUTH_EXPIRED');
    expect(await codeOf(api.core.oauth.signin.complete(late, { actor: 'host' }))).toBe('OAUTH_STATE_MISMATCH');
    expect(await api.core.connections.list()).toEqual([]);
  });

  it('device flow: a declined code stops with a clear message', async () => {
    const clock = hurryingClock();
    const api = await openHost({ clock });
    const started = await api.core.oauth.signin.start({ service: CONNECTOR_ID, method: 'device', label: 'declined' }, { actor: 'cli' });
    if (started.kind !== 'device') throw new Error('expected a device sign-in');
    await denyDeviceCode(started.verificationUri, started.userCode);
    const error = await api.core.oauth.signin.wait(started.attemptId).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'OAUTH_ACCESS_DENIED', message: expect.stringMatching(/declined — start it again/) });
    expect(await api.core.connections.list()).toEqual([]);
  });
});

describe('token lifecycle against a real OpenID provider', () => {
  it('refreshes with rotation once for 100 concurrent callers, persisting the new refresh token first', async () => {
    const clock = offsetClock();
    const api = await openHost({ clock });
    const connection = await loopbackSignIn(api);
    const before = (await api.core.vault.get<OAuthSecret>(`secret/${connection.id}`))!;
    server.resetCounters();

    const fresh = await api.core.oauth.tokens.getAccessToken(connection.id, { actor: 'cli' });
    expect(fresh.accessToken).toBe(before.accessToken);
    expect(server.counters.tokenByGrantType['refresh_token'] ?? 0).toBe(0);

    clock.advance(3600_000 - 30_000);
    const tokens = await Promise.all(Array.from({ length: 100 }, () => api.core.oauth.tokens.getAccessToken(connection.id, { actor: 'skill' })));
    expect(server.counters.tokenByGrantType['refresh_token']).toBe(1);
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(tokens[0]!.accessToken).not.toBe(before.accessToken);
    expect(tokens[0]!.expiresAt! - clock.now()).toBeGreaterThan(60_000);

    const after = (await api.core.vault.get<OAuthSecret>(`secret/${connection.id}`))!;
    expect(after.refreshToken).toBeTruthy();
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.accessToken).toBe(tokens[0]!.accessToken);
    const meta = (await api.core.connections.get(connection.id))!;
    expect(meta.lastRefreshAt).toBeTruthy();
    expect(meta.expiresAt).toBe(after.expiresAt);
  });

  it('a revoked grant turns the connection needs_reauth, emits a change, and does not retry', async () => {
    const clock = offsetClock();
    const api = await openHost({ clock });
    const connection = await loopbackSignIn(api);
    const changes: string[] = [];
    api.dispatcher.subscribe((event, payload) => {
      if (event === 'connections.changed') changes.push((payload as { connection: { state: string } }).connection.state);
    });
    await server.revokeAllGrants();
    server.resetCounters();
    clock.advance(3600_000);
    expect(await codeOf(api.core.oauth.tokens.getAccessToken(connection.id, { actor: 'cli' }))).toBe('NEEDS_REAUTH');
    expect((await api.core.connections.get(connection.id))!).toMatchObject({ state: 'needs_reauth', stateReason: expect.stringContaining('invalid_grant') });
    expect(changes).toContain('needs_reauth');
    expect(await codeOf(api.core.oauth.tokens.getAccessToken(connection.id, { actor: 'cli' }))).toBe('NEEDS_REAUTH');
    expect(server.counters.tokenByGrantType['refresh_token']).toBe(1);

    // Re-auth: a new consent brings it back, same id and label.
    const started = await api.core.oauth.signin.start({ service: CONNECTOR_ID, method: 'oauth2', redirect: 'loopback', reauthOf: connection.id }, { actor: 'cli' });
    if (started.kind !== 'browser') throw new Error('expected a browser sign-in');
    await fetch(await completeAuthorization(started.authorizationUrl));
    const back = await api.core.oauth.signin.wait(started.attemptId);
    expect(back).toMatchObject({ id: connection.id, label: connection.label, state: 'active' });
    expect(back.stateReason).toBeUndefined();
  });

  it('an unknown refresh token is needs_reauth too', async () => {
    const clock = offsetClock();
    const api = await openHost({ clock });
    const connection = await loopbackSignIn(api);
    const secret = (await api.core.vault.get<OAuthSecret>(`secret/${connection.id}`))!;
    await api.core.vault.put(`secret/${connection.id}`, { ...secret, refreshToken: 'not-a-refresh-token' });
    clock.advance(3600_000);
    expect(await codeOf(api.core.oauth.tokens.getAccessToken(connection.id, { actor: 'cli' }))).toBe('NEEDS_REAUTH');
    expect((await api.core.connections.get(connection.id))!.state).toBe('needs_reauth');
  });

  it('remove revokes at the provider, then deletes', async () => {
    const api = await openHost();
    const connection = await loopbackSignIn(api);
    const secret = (await api.core.vault.get<OAuthSecret>(`secret/${connection.id}`))!;
    server.resetCounters();
    const result = await api.dispatcher.call('connections.remove', { ref: connection.id }, { actor: 'cli' });
    expect(result).toMatchObject({ ok: true, data: { revoked: 'revoked' } });
    expect(server.counters.revocation).toBe(2);
    const refresh = await fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: secret.refreshToken!, client_id: server.clientId }),
    });
    expect(((await refresh.json()) as { error: string }).error).toBe('invalid_grant');
    expect(api.core.vault.has(`secret/${connection.id}`)).toBe(false);
  });

  it('a missing client id says where to create one', async () => {
    home = await tempHome();
    await writeOAuthHome(home.dir, server);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${home.dir}/config/appsettings.json`, '{}');
    host = await openHostApi({ home: home.dir, ownerName: 'test', protectors: fastPassphrase(), scheduler: false });
    const result = await host.dispatcher.call('signin.start', { service: CONNECTOR_ID, method: 'oauth2' }, { actor: 'cli' });
    expect(result).toMatchObject({ ok: false, error: { code: 'OAUTH_CLIENT_MISSING', message: expect.stringContaining(`sophon connect configure ${CONNECTOR_ID} --client-id`) } });
  });
});
