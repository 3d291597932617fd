import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { SophonError, type Connection } from '../../main/core/index.ts';
import { brokerEnv, fakeClock, startServer, type BrokerEnv, type Upstream } from '../helpers/broker-env.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

// OAuth connections reach the proxy through ConnectionService.credential(), which the
// lifecycle's TokenManager backs: refreshed first, NEEDS_REAUTH when the grant is gone.
const AT1 = 'oauth-access-ONE-0123456789abcdef';
const AT2 = 'oauth-access-TWO-0123456789abcdef';
const RT = 'oauth-refresh-0123456789abcdefghij';

let home: TempHome;
let upstream: Upstream;
let env: BrokerEnv;
let connection: Connection;
const clock = fakeClock();
let refresh: () => Promise<string> = async () => AT2;
const seen: string[] = [];

beforeAll(async () => {
  home = await tempHome('sophon-broker-oauth-');
  upstream = await startServer((req, res) => {
    seen.push(String(req.headers.authorization));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ youSent: req.headers.authorization, refreshTokenEcho: RT, b64: Buffer.from(RT).toString('base64') }));
  });
  env = await brokerEnv({
    home: home.dir,
    connectors: [
      {
        id: 'oa',
        name: 'OAuth API',
        category: 'other',
        auth: [{ type: 'oauth2', authorizationEndpoint: 'https://auth.example/authorize', tokenEndpoint: 'https://auth.example/token', clientRegistrationUrl: 'https://auth.example/apps' }],
        api: { baseUrl: `${upstream.url}/v2` },
      },
    ],
    connections: [],
    skills: [{ id: 'cal', name: 'Calendar', credentials: ['oa'] }],
    approve: ['cal'],
    clock,
  });
  env.core.oauth.tokens.setRefresher('oa', async ({ secret, now }) => ({ ...secret, accessToken: await refresh(), expiresAt: now + 3_600_000 }));
  const service = env.core.catalog.require('oa');
  connection = await env.core.connections.prepare(service, 'me', 'oauth2', { expiresAt: clock.now() + 600_000 });
  await env.core.connections.store(connection, { type: 'oauth', accessToken: AT1, refreshToken: RT, expiresAt: clock.now() + 600_000 }, { actor: 'host' });
});
afterAll(async () => {
  await env?.dispose();
  await upstream?.dispose();
  await home?.dispose();
});

describe('brokered OAuth connections', () => {
  it('attach the current access token and redact it and the refresh token', async () => {
    const token = await env.mint('cal', 'list');
    const response = await env.call('/proxy/oa/events', token);
    expect(response.status).toBe(200);
    expect(seen.at(-1)).toBe(`Bearer ${AT1}`);
    expect(await response.json()).toEqual({ youSent: 'Bearer [REDACTED]', refreshTokenEcho: '[REDACTED]', b64: '[REDACTED]' });
  });

  it('refresh first when the access token nears expiry, then use the new one', async () => {
    clock.advance(9.5 * 60_000);
    const token = await env.mint('cal', 'list');
    const response = await env.call('/proxy/oa/events', token);
    expect(response.status).toBe(200);
    expect(seen.at(-1)).toBe(`Bearer ${AT2}`);
    const body = await response.text();
    expect(body).not.toContain(AT2);
    expect(body).not.toContain(RT);
    expect(env.core.oauth.tokens.refreshCount).toBe(1);
  });

  it('answer NEEDS_REAUTH when the refresh says the grant is gone', async () => {
    refresh = async () => {
      throw new SophonError('NEEDS_REAUTH', 'oa:me needs re-auth (invalid_grant) — reconnect it');
    };
    clock.advance(2 * 3_600_000);
    const token = await env.mint('cal', 'list');
    const response = await env.call('/proxy/oa/events', token);
    expect(response.status).toBe(424);
    expect(((await response.json()) as { error: { code: string; connection: string } }).error).toMatchObject({ code: 'NEEDS_REAUTH', connection: connection.id });
  });
});
