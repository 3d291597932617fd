import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';

// Real processes against real servers on a shared 2-core machine: minutes, not seconds, under load.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 180_000 });
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openHostApi, type HostApi } from '../../main/api/host.ts';
import { startBroker, type Connection, type OAuthSecret, type BrokerServer } from '../../main/core/index.ts';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.ts';
import { completeAuthorization } from '../helpers/oidc-user-agent.ts';
import { CONNECTOR_ID, connectorFor } from '../helpers/oauth-fixture.ts';
import { fastPassphrase } from '../helpers/protectors.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { BACKENDS, credentialsFor, startBackend, useProcessEnv, type BackendFixture, type BackendName } from '../helpers/backends.ts';
import { until } from '../helpers/cli-steps.ts';

// The same OAuth lifecycle on every backend, against a real OpenID provider (oidc-provider,
// rotating refresh tokens with reuse detection: a refresh token spent twice revokes the
// whole grant, as Google's and Microsoft's do): sign-in, background refresh, a brokered
// call, and two machines of one user sharing the store refreshing the same token at once.
let oidc: OidcServer;
beforeAll(async () => {
  // Short-lived access tokens, so the background refresh comes due within seconds.
  oidc = await startOidcServer({ accessTokenTtl: 6 });
});
afterAll(async () => oidc?.dispose());

async function machine(dir: string, backend: BackendFixture, options: { scheduler?: boolean } = {}): Promise<HostApi> {
  await mkdir(join(dir, 'connectors'), { recursive: true, mode: 0o700 });
  await mkdir(join(dir, 'config'), { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'connectors', `${CONNECTOR_ID}.json`), JSON.stringify(connectorFor(oidc)));
  await writeFile(join(dir, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Credentials: credentialsFor(backend.name, backend), Services: { [CONNECTOR_ID]: { clientId: oidc.clientId } } } }));
  return openHostApi({
    home: dir,
    ownerName: 'test',
    protectors: fastPassphrase(),
    env: { ...process.env, ...backend.env },
    scheduler: options.scheduler ? { marginMs: 60_000, jitterMs: 0, retryMs: 1_000 } : false,
    tokens: { retries: 0, minValidityMs: 1_000 },
  });
}

async function signIn(api: HostApi, label?: string): Promise<Connection> {
  const started = await api.core.oauth.signin.start({ service: CONNECTOR_ID, method: 'oauth2', redirect: 'loopback', ...(label ? { label } : {}) }, { actor: 'cli' });
  if (started.kind !== 'browser') throw new Error('expected a browser sign-in');
  const page = await fetch(await completeAuthorization(started.authorizationUrl));
  expect(page.status).toBe(200);
  await page.text();
  return api.core.oauth.signin.wait(started.attemptId);
}

const refreshGrants = () => oidc.tokenRequests.filter((r) => r.grantType === 'refresh_token');

describe.each(BACKENDS)('%s', (name: BackendName) => {
  let home: TempHome;
  let backend: BackendFixture;
  let restoreEnv: () => void;
  const open: HostApi[] = [];
  let proxy: BrokerServer | undefined;

  beforeAll(async () => {
    home = await tempHome(`sophon-life-${name}-`);
    backend = await startBackend(name, join(home.dir, 'backend'));
    // The AWS and Azure clients read their credential chains from this process's environment.
    restoreEnv = useProcessEnv(backend.env);
  });
  afterAll(async () => {
    await proxy?.dispose();
    for (const api of open) await api.dispose();
    restoreEnv?.();
    await backend?.dispose();
    await home?.dispose();
  });

  it('signs in, refreshes in the background, and a brokered call carries the new token; reads are audited with the backend', async () => {
    const api = await machine(join(home.dir, 'a'), backend, { scheduler: true });
    open.push(api);
    const connection = await signIn(api);
    expect(connection).toMatchObject({ state: 'active', refreshable: true });
    const first = (await api.core.vault.get<OAuthSecret>(`secret/${connection.id}`))!;

    // The scheduler refreshes ahead of expiry (half the 6 s life) and stores the rotated tokens.
    const refreshed = await until('a background refresh', async () => {
      const now = await api.core.connections.get(connection.id);
      return now?.lastRefreshAt ? now : undefined;
    });
    expect(refreshed.state).toBe('active');
    const second = (await api.core.vault.get<OAuthSecret>(`secret/${connection.id}`))!;
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);

    await api.broker.addSkill({ id: 'profile-reader', name: 'Profile reader', credentials: [CONNECTOR_ID] }, { actor: 'cli' });
    await api.broker.approveSkill('profile-reader', { actor: 'cli' });
    proxy = await startBroker(api.core, { broker: api.broker });
    const minted = await api.broker.mint({ skill: 'profile-reader', tool: 'whoami' }, { actor: 'runtime', via: 'direct' });
    const response = await fetch(`${proxy.url}/proxy/${CONNECTOR_ID}/me`, { headers: { authorization: `Bearer ${minted.token}` } });
    const body = await response.text();
    // oidc-provider's userinfo accepted the access token the broker attached.
    expect(response.status, body).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ sub: 'alice' });

    // With a remote backend there is no vault.enc at all.
    expect(await access(join(home.dir, 'a', 'config', 'vault.enc')).then(() => true, () => false)).toBe(name === 'Local');
    const reads = (await api.core.audit.read({ action: 'credential.read' })).entries;
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) expect(read.detail?.['backend']).toBe(name);
    await proxy.dispose();
    proxy = undefined;
    // Its scheduler would go on refreshing (and be counted by the next test's provider checks).
    open.splice(open.indexOf(api), 1);
    await api.dispose();
  });

  it.skipIf(name === 'Local')('two machines of one user refresh the same token at the same moment: one refresh reaches the provider, both get its token', async () => {
    const a = await machine(join(home.dir, 'laptop'), backend);
    open.push(a);
    const connection = await signIn(a, 'shared');
    // The second machine opens the same store (same user prefix) and sees the connection.
    const b = await machine(join(home.dir, 'desktop'), backend);
    open.push(b);
    expect((await b.core.connections.list()).map((c) => c.id)).toContain(connection.id);

    for (let round = 0; round < 2; round++) {
      const before = refreshGrants().length;
      const [fromA, fromB] = await Promise.all([a.core.oauth.tokens.refresh(connection.id, 'race'), b.core.oauth.tokens.refresh(connection.id, 'race')]);
      // One refresh-token grant per round: the other machine waited and took the stored result.
      expect(refreshGrants().length - before).toBe(1);
      expect(refreshGrants().at(-1)?.status).toBe(200);
      expect(fromA.accessToken).toBe(fromB.accessToken);
      expect(fromA.refreshToken).toBe(fromB.refreshToken);
      for (const api of [a, b]) expect((await api.core.connections.get(connection.id))?.state).toBe('active');
    }
    // The grant survived (a spent refresh token would have revoked it): a plain use still works.
    const token = await b.core.oauth.tokens.getAccessToken(connection.id, { actor: 'host' });
    const me = await fetch(`${oidc.issuer}/me`, { headers: { authorization: `Bearer ${token.accessToken}` } });
    expect(me.status).toBe(200);
    // Each machine's audit trail is its own: the one that waited records taking the other's refresh.
    const waited = (await Promise.all([a, b].map(async (api) => (await api.core.audit.read({ action: 'credential.read' })).entries))).flat().filter((e) => String(e.detail?.['purpose']).includes('done on another machine'));
    expect(waited).toHaveLength(2);
    for (const e of waited) expect(e.detail?.['backend']).toBe(name);
  });

  it('a record larger than the backend holds is refused in one line and nothing changes', async () => {
    const api = await machine(join(home.dir, 'big'), backend);
    open.push(api);
    const service = api.core.catalog.require(CONNECTOR_ID);
    const connection = await api.core.connections.prepare(service, 'huge', 'oauth2', {});
    const before = api.core.vault.list('');
    const huge = { type: 'oauth' as const, accessToken: 'x'.repeat(700 * 1024), refreshToken: 'r' };
    const attempt = api.core.connections.store(connection, huge, { actor: 'cli' });
    if (name === 'Local') {
      await attempt;
      return;
    }
    await expect(attempt).rejects.toMatchObject({ code: 'VAULT_TOO_LARGE' });
    await attempt.catch((error: Error) => {
      expect(error.message.split('\n')).toHaveLength(1);
      expect(error.message).toMatch(/holds at most \d+ KB per secret — nothing was changed/);
    });
    expect(api.core.vault.list('')).toEqual(before);
  });
});
