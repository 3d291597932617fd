import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openHostApi, type HostApi } from '../../main/api/host.ts';
import type { ServiceSummary } from '../../main/api/contract.ts';
import { SophonError, type OAuthSecret } from '../../main/core/index.ts';
import { hurryingClock } from '../helpers/oauth-fixture.ts';
import { COPILOT, PROFILES } from '../helpers/provider-profiles.ts';
import { startProviderSim, type ProviderProfile, type ProviderSim } from '../helpers/provider-sim.ts';
import { fastPassphrase } from '../helpers/protectors.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

/*
 * Every built-in OAuth and device sign-in against a simulation of its provider that behaves as
 * that provider documents (test/helpers/provider-profiles.ts). Only the hosts move, through
 * Sophon.Services.<id>.origins in appsettings.json: issuers, redirect rules, secrets, body
 * formats, error shapes, rotation and revocation are the provider's. Each case signs in the
 * way a person does (the browser follows the provider's redirect to Sophon's listener), refreshes,
 * runs the connection test and removes the connection.
 */

interface Case {
  readonly service: string;
  readonly method: 'oauth2' | 'device';
  readonly profile: ProviderProfile;
  /** What the person registered at the provider; `port` is the loopback port the case chose. */
  readonly registered: (port: number) => string[];
  readonly secret?: string;
  /** The provider's own client (Codex, Copilot): no client id to configure. */
  readonly providerClient?: string;
  readonly params?: Record<string, string>;
  /** Expected outcome of `connect remove`. */
  readonly revoked: 'revoked' | 'not_supported';
  /** More of Sophon.Services.<id> (hosts that are not definition URLs: Copilot's GitHub API). */
  readonly settings?: (simUrl: string) => Record<string, unknown>;
}

const SECRET = 'sim-client-secret';
const google = (service: string): Case => ({ service, method: 'oauth2', profile: PROFILES.google, registered: () => ['http://127.0.0.1/oauth/callback'], secret: SECRET, revoked: 'revoked' });
const microsoft = (service: string): Case[] => [
  { service, method: 'oauth2', profile: PROFILES.microsoft, registered: () => ['http://localhost/oauth/callback', 'sophon://oauth/callback'], revoked: 'not_supported' },
  { service, method: 'device', profile: PROFILES.microsoft, registered: () => [], revoked: 'not_supported' },
];
/** A redirect registered with its port; `deepLink`: the desktop app's sophon:// one too. */
const exact = (host: string, deepLink = false) => (port: number) => [`http://${host}:${port}/oauth/callback`, ...(deepLink ? ['sophon://oauth/callback'] : [])];

const CASES: Case[] = [
  ...['gmail', 'google-calendar', 'google-drive', 'google-docs', 'google-sheets'].map(google),
  ...['outlook', 'microsoft-calendar', 'onedrive', 'microsoft-graph', 'microsoft-teams'].flatMap(microsoft),
  { service: 'github', method: 'oauth2', profile: PROFILES.github, registered: () => ['http://127.0.0.1/oauth/callback'], secret: SECRET, revoked: 'revoked' },
  // A device-flow client has no secret, and GitHub revokes only with one.
  { service: 'github', method: 'device', profile: PROFILES.github, registered: () => [], revoked: 'not_supported' },
  { service: 'gitlab', method: 'oauth2', profile: PROFILES.gitlab, registered: exact('127.0.0.1', true), revoked: 'revoked' },
  { service: 'gitlab', method: 'device', profile: PROFILES.gitlab, registered: () => [], revoked: 'revoked' },
  { service: 'slack', method: 'oauth2', profile: PROFILES.slack, registered: exact('localhost', true), revoked: 'revoked' },
  { service: 'discord', method: 'oauth2', profile: PROFILES.discord, registered: exact('127.0.0.1'), secret: SECRET, revoked: 'revoked' },
  { service: 'jira', method: 'oauth2', profile: PROFILES.atlassian, registered: exact('localhost'), secret: SECRET, params: { site: 'acme' }, revoked: 'not_supported' },
  { service: 'confluence', method: 'oauth2', profile: PROFILES.atlassian, registered: exact('localhost'), secret: SECRET, params: { site: 'acme' }, revoked: 'not_supported' },
  { service: 'linear', method: 'oauth2', profile: PROFILES.linear, registered: exact('127.0.0.1', true), revoked: 'revoked' },
  { service: 'notion', method: 'oauth2', profile: PROFILES.notion, registered: exact('localhost'), secret: SECRET, revoked: 'revoked' },
  { service: 'asana', method: 'oauth2', profile: PROFILES.asana, registered: exact('127.0.0.1'), secret: SECRET, revoked: 'revoked' },
  { service: 'todoist', method: 'oauth2', profile: PROFILES.todoist, registered: exact('127.0.0.1'), secret: SECRET, revoked: 'revoked' },
  { service: 'dropbox', method: 'oauth2', profile: PROFILES.dropbox, registered: exact('127.0.0.1'), revoked: 'revoked' },
  { service: 'box', method: 'oauth2', profile: PROFILES.box, registered: exact('localhost'), secret: SECRET, revoked: 'revoked' },
  { service: 'openai-codex', method: 'oauth2', profile: PROFILES.codex, registered: (port) => [`http://localhost:${port}/auth/callback`], providerClient: 'app_EMoamEEZ73f0CkXaXp7hrann', revoked: 'not_supported' },
  { service: 'github-copilot', method: 'device', profile: COPILOT, registered: () => [], providerClient: 'Iv1.b507a08c87ecfe98', revoked: 'not_supported', settings: (url) => ({ githubApiUrl: url }) },
];

let sim: ProviderSim | undefined;
let home: TempHome | undefined;
let host: HostApi | undefined;

afterEach(async () => {
  await host?.dispose();
  await home?.dispose();
  await sim?.dispose();
  host = home = sim = undefined;
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Setup {
  readonly testCase: Case;
  readonly port?: number;
  /** Sophon's loopback port, when it differs from the registered one (the wrong-port test). */
  readonly sophonPort?: number;
  readonly issOverride?: string;
  /** The `iss` the provider puts in id_tokens, instead of the profile's spellings. */
  readonly idTokenIssuer?: string;
  readonly storeSecret?: boolean;
  readonly scopes?: string[];
}

async function setUp({ testCase, port = 0, sophonPort, issOverride, idTokenIssuer, storeSecret = true, scopes }: Setup) {
  const clientId = testCase.providerClient ?? `client-${testCase.service}`;
  sim = await startProviderSim(testCase.profile, {
    clientId,
    ...(testCase.secret ? { clientSecret: testCase.secret } : {}),
    registered: testCase.registered(port),
    ...(issOverride ? { issOverride } : {}),
    ...(idTokenIssuer ? { idTokenIssuer } : {}),
  });
  home = await tempHome('sophon-conformance-');
  await mkdir(join(home.dir, 'config'), { recursive: true, mode: 0o700 });
  const service = {
    origins: Object.fromEntries(testCase.profile.origins.map((origin) => [origin, sim!.url])),
    ...(port ? { loopbackPort: sophonPort ?? port } : {}),
    ...(scopes ? { scopes } : {}),
    ...testCase.settings?.(sim.url),
  };
  await writeFile(join(home.dir, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Services: { [testCase.service]: service } } }));
  host = await openHostApi({ home: home.dir, ownerName: 'conformance', protectors: fastPassphrase(), scheduler: false, tokens: { retries: 0 }, clock: hurryingClock() });
  if (!testCase.providerClient) {
    const configured = await host.dispatcher.call('oauth.configure', { service: testCase.service, clientId, ...(storeSecret && testCase.secret ? { clientSecret: testCase.secret } : {}) }, { actor: 'cli' });
    expect(configured.ok, JSON.stringify(configured)).toBe(true);
  }
  return host;
}

/** The person's browser: opens the authorization URL and follows the provider's redirect to Sophon. */
async function browse(authorizationUrl: string): Promise<{ status: number; page: string }> {
  const atProvider = await fetch(authorizationUrl, { redirect: 'manual' });
  if (atProvider.status !== 302) return { status: atProvider.status, page: await atProvider.text() };
  const back = await fetch(atProvider.headers.get('location') as string);
  return { status: back.status, page: await back.text() };
}

async function signIn(api: HostApi, testCase: Case) {
  const started = await api.core.oauth.signin.start({ service: testCase.service, method: testCase.method, ...(testCase.params ? { params: testCase.params } : {}) }, { actor: 'cli' });
  if (started.kind === 'device') sim!.approveDevice(started.userCode);
  else {
    const { status, page } = await browse(started.authorizationUrl);
    expect(page, page).toContain('Signed in');
    expect(status).toBe(200);
  }
  return api.core.oauth.signin.wait(started.attemptId);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof SophonError ? `${error.code}: ${error.message}` : `unexpected: ${String(error)}`;
  }
  return 'no error';
}

describe('each built-in OAuth and device sign-in against its provider, as documented', () => {
  it.each(CASES.map((c) => [`${c.service} ${c.method}`, c] as const))('%s: sign in, refresh, test call, revoke', async (_name, testCase) => {
    const exactPort = testCase.method === 'oauth2' && testCase.profile.authorize?.redirect !== 'any-port';
    const port = exactPort ? await freePort() : 0;
    const api = await setUp({ testCase, port });

    // What `connect configure` and the window show is exactly what the provider was told to accept.
    if (testCase.method === 'oauth2' && !testCase.providerClient) {
      const summary = (await api.dispatcher.call('catalog.get', { id: testCase.service }, { actor: 'cli' })) as { ok: true; data: ServiceSummary };
      const shown = summary.data.auth.find((m) => m.type === 'oauth2')?.redirectUris?.map((r) => r.uri) ?? [];
      if (testCase.profile === PROFILES.google) expect(shown, 'Google desktop clients need nothing registered').toEqual([]);
      else expect([...shown].sort()).toEqual([...testCase.registered(port)].sort());
    }

    const connection = await signIn(api, testCase);
    expect(connection).toMatchObject({ service: testCase.service, state: 'active', authMethod: testCase.method });
    const first = (await api.core.vault.get<OAuthSecret>(`secret/${connection.id}`))!;
    expect(sim!.accepts(first.accessToken)).toBe(true);

    let latest = first;
    if (testCase.profile.token.refresh === 'none') {
      expect(first.refreshToken).toBeUndefined();
    } else {
      expect(first.refreshToken, 'the provider issued a refresh token for what Sophon asked').toBeDefined();
      latest = await api.core.oauth.tokens.refresh(connection.id, 'conformance');
      expect(latest.accessToken).not.toBe(first.accessToken);
      if (testCase.profile.token.refresh === 'rotate') {
        expect(latest.refreshToken).not.toBe(first.refreshToken);
        expect(sim!.acceptsRefresh(first.refreshToken!)).toBe(false);
      } else {
        expect(latest.refreshToken).toBe(first.refreshToken);
      }
      expect(sim!.acceptsRefresh(latest.refreshToken!)).toBe(true);
    }

    const definition = api.core.catalog.require(testCase.service);
    const exchangesBefore = sim!.log.copilot;
    const tested = await api.core.connections.test(connection.id, { actor: 'cli' });
    expect(tested.result, tested.result.message).toMatchObject({ ok: true });
    if (definition.test || testCase.service === 'jira' || testCase.service === 'confluence') expect(sim!.log.api).toBeGreaterThan(0);
    if (definition.liveTest?.by === 'provider') {
      // Copilot: the test is a fresh token exchange at GitHub, not a cached token.
      expect(sim!.log.copilot).toBe(exchangesBefore + 1);
      expect(tested.result.message).toMatch(/^GitHub issued a Copilot token \(plan copilot_for_individual_user, valid until /);
    }
    if (definition.liveTest?.by === 'none') {
      // Nothing to call: the result says so, and why, instead of passing as a live check.
      expect(tested.result.live).toBe(false);
      expect(tested.result.message).toBe(`not called (no live check exists for this sign-in): ${definition.liveTest.reason}; the stored credential is readable`);
    } else expect(tested.result.live).toBeUndefined();

    const removed = await api.dispatcher.call('connections.remove', { ref: connection.id }, { actor: 'cli' });
    expect(removed).toMatchObject({ ok: true, data: { revoked: testCase.revoked } });
    if (testCase.revoked === 'revoked') expect(sim!.accepts(latest.accessToken)).toBe(false);
    else expect((removed as { data: { revocationNote?: string } }).data.revocationNote).toMatch(/https:\/\//);
  });
});

const byService = (service: string, method: Case['method'] = 'oauth2') => CASES.find((c) => c.service === service && c.method === method)!;

describe('what a real provider refuses, Sophon refuses or reports before harm', () => {
  it('issuer: a Google response naming another issuer is refused, and nothing is stored', async () => {
    const api = await setUp({ testCase: byService('gmail'), issOverride: 'https://oauth2.googleapis.com' });
    const started = await api.core.oauth.signin.start({ service: 'gmail', method: 'oauth2' }, { actor: 'cli' });
    if (started.kind !== 'browser') throw new Error('expected a browser sign-in');
    const { status, page } = await browse(started.authorizationUrl);
    expect(status).toBe(400);
    expect(page).toContain('did not come from https://accounts.google.com');
    expect(sim!.log.token).toHaveLength(0);
    expect(await api.core.connections.list()).toHaveLength(0);
  });

  // Google's id_tokens name https://accounts.google.com or accounts.google.com
  // (https://developers.google.com/identity/openid-connect/openid-connect#validatinganidtoken).
  it('issuer: a Google id_token naming the bare "accounts.google.com" is accepted', async () => {
    const api = await setUp({ testCase: byService('google-docs'), idTokenIssuer: 'accounts.google.com' });
    const connection = await signIn(api, byService('google-docs'));
    expect(connection).toMatchObject({ service: 'google-docs', state: 'active' });
    const { idToken } = (await api.core.vault.get<OAuthSecret>(`secret/${connection.id}`))!;
    expect(JSON.parse(Buffer.from(idToken!.split('.')[1]!, 'base64url').toString())).toMatchObject({ iss: 'accounts.google.com' });
  });

  it('issuer: a Google id_token naming another issuer is refused with that issuer named, and nothing is stored', async () => {
    const api = await setUp({ testCase: byService('google-docs'), idTokenIssuer: 'https://evil.example' });
    const started = await api.core.oauth.signin.start({ service: 'google-docs', method: 'oauth2' }, { actor: 'cli' });
    if (started.kind !== 'browser') throw new Error('expected a browser sign-in');
    const { status, page } = await browse(started.authorizationUrl);
    expect(status).toBe(400);
    expect(page).toContain('https://evil.example');
    const outcome = await codeOf(api.core.oauth.signin.wait(started.attemptId));
    expect(outcome).toMatch(/^OAUTH_ISSUER_MISMATCH: .*"https:\/\/evil\.example".*https:\/\/accounts\.google\.com.*nothing was stored/);
    expect(outcome).not.toContain('\n');
    expect(sim!.log.token).toEqual([{ grant: 'authorization_code', status: 200 }]);
    expect(await api.core.connections.list()).toHaveLength(0);
    expect(api.core.vault.list('secret/')).toHaveLength(0);
  });

  it('issuer: a provider that names none (Dropbox) is refused when a response names one', async () => {
    const api = await setUp({ testCase: byService('dropbox'), port: await freePort(), issOverride: 'https://www.dropbox.com' });
    const started = await api.core.oauth.signin.start({ service: 'dropbox', method: 'oauth2' }, { actor: 'cli' });
    if (started.kind !== 'browser') throw new Error('expected a browser sign-in');
    const { status, page } = await browse(started.authorizationUrl);
    expect(status).toBe(400);
    expect(page).toContain('names no issuer');
    expect(await api.core.connections.list()).toHaveLength(0);
  });

  it('client secret: Gmail without its desktop client secret fails before any browser opens, saying so', async () => {
    const api = await setUp({ testCase: byService('gmail'), storeSecret: false });
    const outcome = await codeOf(api.core.oauth.signin.start({ service: 'gmail', method: 'oauth2' }, { actor: 'cli' }));
    expect(outcome).toMatch(/^OAUTH_CLIENT_MISSING: Gmail requires the OAuth client's secret .*nothing was opened.*sophon connect configure gmail/);
    expect(sim!.requests).toHaveLength(0);
    expect(api.core.oauth.signin.pending()).toHaveLength(0);
  });

  it('redirect: Dropbox refuses a loopback port other than the registered one (a random port would fail after consent)', async () => {
    const registered = await freePort();
    const api = await setUp({ testCase: byService('dropbox'), port: registered, sophonPort: await freePort() });
    const started = await api.core.oauth.signin.start({ service: 'dropbox', method: 'oauth2' }, { actor: 'cli' });
    if (started.kind !== 'browser') throw new Error('expected a browser sign-in');
    const { status, page } = await browse(started.authorizationUrl);
    expect(status).toBe(400);
    expect(page).toContain('does not match a registered redirect URI');
    expect(sim!.log.authorize).toEqual([{ status: 400, reason: expect.stringContaining('does not match') }]);
  });

  it('redirect: when another program holds the registered port, the sign-in says which setting moves it', async () => {
    const port = await freePort();
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const api = await setUp({ testCase: byService('dropbox'), port });
      expect(await codeOf(api.core.oauth.signin.start({ service: 'dropbox', method: 'oauth2' }, { actor: 'cli' }))).toMatch(
        new RegExp(`^OAUTH_PROTOCOL: Dropbox returns only to the registered port ${port}, .*Sophon.Services.dropbox.loopbackPort`),
      );
      expect(sim!.requests).toHaveLength(0);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  it('scopes: Atlassian without offline_access issues no refresh token (offline access is asked the provider\'s way)', async () => {
    const api = await setUp({ testCase: byService('jira'), port: await freePort(), scopes: ['read:jira-user'] });
    const connection = await signIn(api, byService('jira'));
    expect(connection.refreshable).toBe(false);
    expect(connection.params).toEqual({ site: 'acme', cloudId: 'cloud-7' });
  });

  it('error shapes: GitHub\'s HTTP-200 error for a wrong client secret ends the sign-in with GitHub\'s reason', async () => {
    const testCase = { ...byService('github'), secret: 'the-registered-secret' };
    const api = await setUp({ testCase, storeSecret: false });
    await api.dispatcher.call('oauth.configure', { service: 'github', clientId: 'client-github', clientSecret: 'a-stale-secret' }, { actor: 'cli' });
    const started = await api.core.oauth.signin.start({ service: 'github', method: 'oauth2' }, { actor: 'cli' });
    if (started.kind !== 'browser') throw new Error('expected a browser sign-in');
    const { status, page } = await browse(started.authorizationUrl);
    expect(status).toBe(400);
    expect(page).toContain('incorrect_client_credentials');
    expect(await codeOf(api.core.oauth.signin.wait(started.attemptId))).toMatch(/^OAUTH_PROTOCOL: .*incorrect_client_credentials/);
  });

  it('error shapes: Microsoft\'s authorization_declined ends a device sign-in as declined, not as a protocol failure', async () => {
    const testCase = byService('outlook', 'device');
    const api = await setUp({ testCase });
    const started = await api.core.oauth.signin.start({ service: 'outlook', method: 'device' }, { actor: 'cli' });
    if (started.kind !== 'device') throw new Error('expected a device sign-in');
    sim!.denyDevice(started.userCode);
    expect(await codeOf(api.core.oauth.signin.wait(started.attemptId))).toMatch(/^OAUTH_ACCESS_DENIED: the Outlook Mail sign-in was declined/);
  });

  it('token exchange: Notion gets a JSON body with HTTP Basic, and the revocation names the token', async () => {
    const api = await setUp({ testCase: byService('notion'), port: await freePort() });
    const connection = await signIn(api, byService('notion'));
    const exchange = sim!.requests.find((r) => r.method === 'POST' && r.url === '/v1/oauth/token')!;
    expect(exchange.headers['content-type']).toContain('application/json');
    expect(exchange.headers.authorization).toMatch(/^Basic /);
    expect(JSON.parse(exchange.body)).toMatchObject({ grant_type: 'authorization_code', redirect_uri: expect.stringMatching(/^http:\/\/localhost:\d+\/oauth\/callback$/) });
    const { accessToken } = (await api.core.vault.get<OAuthSecret>(`secret/${connection.id}`))!;
    await api.dispatcher.call('connections.remove', { ref: connection.id }, { actor: 'cli' });
    const revoke = sim!.requests.find((r) => r.url === '/v1/oauth/revoke')!;
    expect(revoke.headers.authorization).toMatch(/^Basic /);
    expect(JSON.parse(revoke.body)).toEqual({ token: accessToken });
  });
});

/*
 * Pasted GitHub tokens are checked with GET /rate_limit (the bearer method's test): GitHub
 * answers it for every valid token, an installation token (ghs_) included, which cannot read
 * /user (https://docs.github.com/en/rest/rate-limit/rate-limit). A bad token gets 401
 * {"message": "Bad credentials"}.
 */
describe('GitHub pasted tokens against GitHub\'s REST API, as documented', () => {
  const TOKENS = {
    'classic PAT': `ghp_${'A1b2C3d4E5'.repeat(3)}abcdef`,
    'fine-grained PAT': `github_pat_11ABCDEFG0${'x1Y2z3'.repeat(2)}_${'Q9w8E7r6T5'.repeat(5)}y4U3i2o1P`,
    'installation token': `ghs_${'Z9y8X7w6V5'.repeat(3)}uvwxyz`,
  };

  it.each(Object.entries(TOKENS))('a %s passes `connect test` with GET /rate_limit', async (_kind, token) => {
    const api = await setUp({ testCase: byService('github', 'device') });
    sim!.issueToken(token);
    const { connection, warnings } = await api.core.connections.add({ service: 'github', secret: { type: 'bearer', token } }, { actor: 'cli' });
    expect(warnings).toEqual([]);
    const tested = await api.core.connections.test(connection.id, { actor: 'cli' });
    expect(tested.result).toMatchObject({ ok: true, status: 200, message: 'GitHub accepted the credential (HTTP 200)' });
    const call = sim!.requests.filter((r) => r.url === '/rate_limit');
    expect(call).toHaveLength(1);
    expect(call[0]!.headers).toMatchObject({ authorization: `Bearer ${token}`, 'x-github-api-version': '2022-11-28', 'user-agent': expect.any(String) });
    expect(sim!.requests.some((r) => r.url === '/user')).toBe(false);
  });

  it('a token GitHub does not know reads as a failed test with GitHub\'s one-line reason', async () => {
    const api = await setUp({ testCase: byService('github', 'device') });
    const { connection } = await api.core.connections.add({ service: 'github', secret: { type: 'bearer', token: TOKENS['classic PAT'] } }, { actor: 'cli' });
    const tested = await api.core.connections.test(connection.id, { actor: 'cli' });
    expect(tested.result).toMatchObject({ ok: false, status: 401, message: 'GitHub answered HTTP 401 (Bad credentials) — the credential was rejected; check it or add it again' });
    expect(tested.connection.state).toBe('error');
  });
});
