import { describe, it, expect, afterEach } from 'vitest';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openHostApi, type HostApi } from '../../main/api/host.ts';
import { SophonError, attachCredential, attachRules, type Connection, type OAuthSecret, type RedirectReceiver } from '../../main/core/index.ts';
import { fastPassphrase } from '../helpers/protectors.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { fakeEnvironment, openaiJwt } from '../helpers/provider-env.ts';
import { startOpenAIStandin } from '../helpers/openai-standin.ts';

let home: TempHome | undefined;
let host: HostApi | undefined;
let standin: Awaited<ReturnType<typeof startOpenAIStandin>> | undefined;

afterEach(async () => {
  await host?.dispose();
  await standin?.dispose();
  await home?.dispose();
  host = standin = home = undefined;
});

/** A loopback receiver that does not bind 1455 (other tests may): the browser's address is pasted back instead. */
function pasteOnlyReceiver(seen: unknown[]): RedirectReceiver {
  return {
    async listen(options) {
      seen.push(options);
      return { redirectUri: `http://${options.host}:${options.ports?.[0] ?? 0}${options.path}`, dispose: async () => undefined };
    },
  };
}

async function open(url: string, seen: unknown[] = []): Promise<HostApi> {
  home = await tempHome('sophon-codex-');
  await mkdir(join(home.dir, 'sophon', 'config'), { recursive: true });
  const settings = { Sophon: { Services: { 'openai-codex': { authorizationEndpoint: `${url}/oauth/authorize`, tokenEndpoint: `${url}/oauth/token`, baseUrl: `${url}/backend-api/codex` } } } };
  await writeFile(join(home.dir, 'sophon', 'config', 'appsettings.json'), JSON.stringify(settings));
  host = await openHostApi({ home: join(home.dir, 'sophon'), ownerName: 'test', protectors: fastPassphrase(), scheduler: false, tokens: { retries: 0 }, receiver: pasteOnlyReceiver(seen), providerEnvironment: fakeEnvironment({ home: home.dir }) });
  return host;
}

async function signIn(api: HostApi): Promise<Connection> {
  const started = await api.dispatcher.call('signin.start', { service: 'openai-codex', method: 'oauth2' }, { actor: 'window' });
  if (!started.ok || (started.data as { kind: string }).kind !== 'browser') throw new Error(JSON.stringify(started));
  const { attemptId, authorizationUrl } = started.data as { attemptId: string; authorizationUrl: string };
  const pasted = standin!.approve(authorizationUrl);
  const completed = await api.dispatcher.call('signin.complete', { attemptId, redirectUrl: pasted }, { actor: 'window' });
  if (!completed.ok) throw new Error(JSON.stringify(completed));
  await api.core.providers.idle();
  return (await api.core.connections.get((completed.data as { id: string }).id))!;
}

describe('OpenAI Codex', () => {
  it('signs in with PKCE on localhost:1455/auth/callback (pasted back), reads plan and account from the id_token, and sends ChatGPT-Account-Id', async () => {
    standin = await startOpenAIStandin({ accountId: 'acct-42', plan: 'plus' });
    const seen: unknown[] = [];
    const api = await open(standin.url, seen);
    const connection = await signIn(api);
    expect(seen).toEqual([{ host: 'localhost', path: '/auth/callback', ports: [1455, 1457] }]);
    expect(connection).toMatchObject({ service: 'openai-codex', label: 'default', authMethod: 'oauth2', state: 'active', refreshable: true, account: 'ada@example.com' });
    const profile = (await api.core.providers.profiles({ actor: 'cli' })).find((p) => p.service === 'openai-codex');
    expect(profile).toMatchObject({ id: 'openai-codex:default', source: 'oauth', state: 'usable', plan: 'plus', refreshable: true, billing: 'subscription' });

    const material = await api.core.connections.credential(connection, { actor: 'skill' }, 'broker');
    expect(material).toEqual({ token: standin.state.issuedAccess[0], account: 'acct-42' });
    const service = api.core.catalog.require('openai-codex');
    const attached = attachCredential(attachRules(service, service.auth[0]!), material);
    expect(attached.headers).toEqual({ Authorization: `Bearer ${standin.state.issuedAccess[0]}`, 'ChatGPT-Account-Id': 'acct-42' });
  });

  it('asks for the scopes and the parameters Codex asks for', async () => {
    standin = await startOpenAIStandin();
    const api = await open(standin.url);
    const started = await api.core.oauth.signin.start({ service: 'openai-codex', method: 'oauth2' }, { actor: 'cli' });
    if (started.kind !== 'browser') throw new Error('expected a browser sign-in');
    const url = new URL(started.authorizationUrl);
    expect(url.origin + url.pathname).toBe(`${standin.url}/oauth/authorize`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: 'app_EMoamEEZ73f0CkXaXp7hrann',
      redirect_uri: 'http://localhost:1455/auth/callback',
      scope: 'openid profile email offline_access',
      code_challenge_method: 'S256',
      id_token_add_organizations: 'true',
    });
    api.core.oauth.signin.cancel(started.attemptId);
  });

  it('refreshes with a JSON body and keeps the rotated refresh token; a reused one turns needs_reauth: reconnect, or run codex login', async () => {
    standin = await startOpenAIStandin({ omitExpiresIn: true });
    const api = await open(standin.url);
    const connection = await signIn(api);
    // No expires_in: the expiry comes from the access token itself, so it is refreshed in time.
    expect(connection.expiresAt).toBeGreaterThan(Date.now());
    const first = standin.state.issuedRefresh[0]!;

    const next = await api.core.oauth.tokens.refresh(connection.id, 'test');
    expect(standin.state.refreshBodies).toEqual([{ client_id: 'app_EMoamEEZ73f0CkXaXp7hrann', grant_type: 'refresh_token', refresh_token: first }]);
    const stored = (await api.core.vault.get<OAuthSecret>(`secret/${connection.id}`))!;
    expect(stored.refreshToken).toBe(standin.state.issuedRefresh[1]);
    expect(stored.accessToken).toBe(next.accessToken);
    expect(stored.expiresAt).toBeGreaterThan(Date.now());

    // Codex (or another copy) used the current refresh token meanwhile.
    standin.markUsed(standin.state.issuedRefresh[1]!);
    const error = await api.core.oauth.tokens.refresh(connection.id, 'test').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SophonError);
    expect((error as SophonError).code).toBe('NEEDS_REAUTH');
    expect((error as SophonError).message).toContain('refresh_token_reused');
    const dead = (await api.core.connections.get(connection.id))!;
    expect(dead.state).toBe('needs_reauth');
    expect(dead.stateReason).toBe('OpenAI refused the refresh token (refresh_token_reused) — reconnect, or run `codex login`');
    const status = await api.dispatcher.call('models.status', {}, { actor: 'window' });
    expect(status).toMatchObject({ ok: true, data: { check: { exitCode: 1 }, profiles: [expect.objectContaining({ id: 'openai-codex:default', state: 'needs_reauth' })] } });
    expect(standin.state.refreshBodies.length).toBe(2);
  });

  it('reads ~/.codex/auth.json in place: plan and account from the id_token, never refreshing with the CLI\'s refresh token', async () => {
    standin = await startOpenAIStandin();
    const api = await open(standin.url);
    const exp = Math.floor(Date.now() / 1000) + 120;
    await mkdir(join(home!.dir, '.codex'), { recursive: true });
    const file = join(home!.dir, '.codex', 'auth.json');
    const access = openaiJwt({ exp, accountId: 'acct-cli', plan: 'pro' });
    await writeFile(file, JSON.stringify({ OPENAI_API_KEY: null, tokens: { id_token: openaiJwt({ exp, accountId: 'acct-cli', plan: 'pro', email: 'cli@example.com' }), access_token: access, refresh_token: 'rt-CANARY-cli', account_id: 'acct-cli' }, last_refresh: new Date().toISOString() }));
    const before = { bytes: await readFile(file, 'utf8'), mtimeMs: (await stat(file)).mtimeMs };

    const status = await api.dispatcher.call('models.status', {}, { actor: 'window' });
    expect(status).toMatchObject({ ok: true, data: { check: { exitCode: 2 }, profiles: [expect.objectContaining({ id: 'openai-codex:codex-cli', source: 'cli-sync', state: 'expiring', plan: 'pro', account: 'acct-cli' })] } });
    const resolved = await api.core.providers.resolve('openai-codex', {}, { actor: 'skill' });
    expect(resolved.material).toEqual({ token: access, account: 'acct-cli' });
    // Near expiry it is read again, not refreshed: the refresh token belongs to Codex.
    await api.core.providers.resolve('openai-codex', {}, { actor: 'skill' });
    expect(standin.state.refreshBodies).toEqual([]);
    expect({ bytes: await readFile(file, 'utf8'), mtimeMs: (await stat(file)).mtimeMs }).toEqual(before);

    const linked = await api.dispatcher.call('models.sync', { provider: 'openai-codex' }, { actor: 'window' });
    expect(linked).toMatchObject({ ok: true, data: { profile: { id: 'openai-codex:codex-cli', source: 'cli-sync', connectionId: expect.any(String) } } });
    const connection = (await api.core.connections.list())[0]!;
    expect(await api.core.connections.credential(connection, { actor: 'skill' }, 'broker')).toEqual({ token: access, account: 'acct-cli' });
  });
});
