import { describe, it, expect, afterEach } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openHostApi, type HostApi } from '../../main/api/host.ts';
import { SophonError } from '../../main/core/index.ts';
import { startUpstream } from '../helpers/http-upstream.ts';
import { fastPassphrase } from '../helpers/protectors.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

let home: TempHome;
let host: HostApi | undefined;
let upstream: Awaited<ReturnType<typeof startUpstream>> | undefined;
afterEach(async () => {
  await host?.dispose();
  await upstream?.dispose();
  await home?.dispose();
  host = undefined;
  upstream = undefined;
});

async function setup(tokenEndpoint: string) {
  home = await tempHome();
  await mkdir(join(home.dir, 'connectors'), { recursive: true });
  await writeFile(
    join(home.dir, 'connectors', 'flaky.json'),
    JSON.stringify({
      id: 'flaky',
      name: 'Flaky',
      category: 'other',
      auth: [{ type: 'oauth2', authorizationEndpoint: 'http://127.0.0.1:9/authorize', tokenEndpoint, clientRegistrationUrl: 'https://example.test/apps', defaultClientId: 'c' }],
      api: { baseUrl: 'http://127.0.0.1:9' },
    }),
  );
  host = await openHostApi({ home: home.dir, ownerName: 'test', protectors: fastPassphrase(), scheduler: false, tokens: { retries: 3, retryBaseMs: 5 } });
  const service = host.core.catalog.require('flaky');
  const connection = await host.core.connections.prepare(service, 'x', 'oauth2', { expiresAt: Date.now() - 1000, refreshable: true });
  await host.core.connections.store(connection, { type: 'oauth', accessToken: 'old-access', refreshToken: 'old-refresh', expiresAt: Date.now() - 1000 }, { actor: 'cli' });
  return { api: host, connection };
}

describe('refresh retries', () => {
  it('retries 5xx with backoff, then succeeds and keeps the rotated refresh token', async () => {
    let calls = 0;
    upstream = await startUpstream((_req, res) => {
      calls++;
      if (calls <= 2) res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"temporarily_unavailable"}');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: 'new-access', token_type: 'Bearer', expires_in: 3600, refresh_token: 'new-refresh' }));
    });
    const { api, connection } = await setup(`${upstream.url}/token`);
    const token = await api.core.oauth.tokens.getAccessToken(connection.id, { actor: 'cli' });
    expect(token.accessToken).toBe('new-access');
    expect(calls).toBe(3);
    expect(upstream.requests.every((r) => new URLSearchParams(r.body).get('refresh_token') === 'old-refresh')).toBe(true);
    expect(await api.core.vault.get(`secret/${connection.id}`)).toMatchObject({ refreshToken: 'new-refresh' });
  });

  it('gives up on an unreachable server for now, leaving the connection as it was', async () => {
    const { api, connection } = await setup('http://127.0.0.1:9/token');
    const error = await api.core.oauth.tokens.getAccessToken(connection.id, { actor: 'cli' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SophonError);
    expect((error as SophonError).code).toBe('NETWORK_ERROR');
    expect((error as SophonError).message).toMatch(/could not refresh flaky:x .* it will be retried/);
    expect((await api.core.connections.get(connection.id))!.state).toBe('active');
    expect(await api.core.vault.get(`secret/${connection.id}`)).toMatchObject({ refreshToken: 'old-refresh' });
  });
});
