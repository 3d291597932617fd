import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { brokerEnv, startServer, type BrokerEnv, type Upstream } from '../helpers/broker-env.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

// Where SDKs put their key: Azure-style `api-key`, Gemini's `x-goog-api-key` and `?key=`.
const AZURE_KEY = 'azure-live-CANARY-0123456789abcdef';
const GEMINI_KEY = 'gemini-live-CANARY-0123456789abcdef';

let home: TempHome;
let upstream: Upstream;
let env: BrokerEnv;
const seen: Array<{ url: string; headers: Record<string, string | string[] | undefined> }> = [];

beforeAll(async () => {
  home = await tempHome('sophon-token-places-');
  upstream = await startServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
  });
  env = await brokerEnv({
    home: home.dir,
    connectors: [
      {
        id: 'azure-ai',
        name: 'Azure AI',
        category: 'ai',
        auth: [{ type: 'api_key' }],
        api: { baseUrl: `${upstream.url}/openai` },
        attach: [{ in: 'header', name: 'api-key', value: '{token}' }],
        broker: { tokenIn: [{ in: 'header', name: 'api-key' }] },
      },
      {
        id: 'gem',
        name: 'Gem',
        category: 'ai',
        auth: [{ type: 'api_key' }],
        api: { baseUrl: `${upstream.url}/gem` },
        attach: [{ in: 'header', name: 'x-goog-api-key', value: '{token}' }],
        broker: { tokenIn: [{ in: 'header', name: 'x-goog-api-key' }, { in: 'query', name: 'key' }] },
      },
    ],
    connections: [
      { service: 'azure-ai', label: 'default', key: AZURE_KEY },
      { service: 'gem', label: 'default', key: GEMINI_KEY },
    ],
    skills: [{ id: 'sdk', name: 'SDK programs', credentials: ['azure-ai', 'gem'] }],
    approve: ['sdk'],
  });
});
afterAll(async () => {
  await env?.dispose();
  await upstream?.dispose();
  await home?.dispose();
});

const proxy = (path: string, init: RequestInit = {}) => fetch(`${env.server.url}${path}`, init);

describe('the broker token, wherever an SDK puts its key', () => {
  it('in the api-key header: taken out, the real key attached there instead', async () => {
    const token = await env.mint('sdk', 'azure');
    const response = await proxy('/proxy/azure-ai/deployments/x/chat?api-version=2024-10-21', { headers: { 'api-key': token } });
    expect(response.status).toBe(200);
    expect(seen.at(-1)?.headers['api-key']).toBe(AZURE_KEY);
    expect(seen.at(-1)?.url).toBe('/openai/deployments/x/chat?api-version=2024-10-21');
  });

  it('in x-goog-api-key or ?key=: taken out of the header and the query', async () => {
    const token = await env.mint('sdk', 'gemini');
    expect((await proxy('/proxy/gem/v1beta/models', { headers: { 'x-goog-api-key': token } })).status).toBe(200);
    expect(seen.at(-1)?.headers['x-goog-api-key']).toBe(GEMINI_KEY);
    const viaQuery = await proxy(`/proxy/gem/v1beta/models:generateContent?alt=sse&key=${token}`, { method: 'POST', body: '{}' });
    expect(viaQuery.status).toBe(200);
    expect(seen.at(-1)?.url).toBe('/gem/v1beta/models:generateContent?alt=sse');
    expect(seen.at(-1)?.headers['x-goog-api-key']).toBe(GEMINI_KEY);
    expect(JSON.stringify(seen)).not.toContain('sbt_');
  });

  it('`Authorization: token …` (gh, Octokit) works like Bearer; two different tokens are refused, not guessed', async () => {
    const one = await env.mint('sdk', 'a');
    const two = await env.mint('sdk', 'b');
    expect((await proxy('/proxy/gem/v1beta/models', { headers: { authorization: `token ${one}` } })).status).toBe(200);
    const both = await proxy('/proxy/gem/v1beta/models', { headers: { authorization: `Bearer ${one}`, 'x-goog-api-key': two } });
    expect(both.status).toBe(400);
    expect(((await both.json()) as { error: { code: string; message: string } }).error.message).toMatch(/two different broker tokens/);
    const same = await proxy('/proxy/gem/v1beta/models', { headers: { authorization: `Bearer ${one}`, 'x-goog-api-key': one } });
    expect(same.status).toBe(200);
    expect(seen.at(-1)?.headers['x-goog-api-key']).toBe(GEMINI_KEY);
  });

  it('a key-shaped value that is not a broker token is no token at all', async () => {
    const response = await proxy('/proxy/gem/v1beta/models?key=AIzaSyNotABrokerToken', { headers: { 'x-goog-api-key': 'AIzaSyNotABrokerToken' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('x-sophon-refusal')).toBe('BROKER_TOKEN_INVALID');
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/^no broker token — send `Authorization: Bearer <token>` \(or the key header the service's SDK uses\)/);
  });
});
