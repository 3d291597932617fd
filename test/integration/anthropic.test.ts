import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openHostApi, type HostApi } from '../../main/api/host.ts';
import { CLAUDE_CODE_ONLY } from '../../main/core/index.ts';
import { fastPassphrase } from '../helpers/protectors.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { fakeEnvironment, writeClaudeCredentials } from '../helpers/provider-env.ts';
import { startUpstream } from '../helpers/http-upstream.ts';

const RESTRICTED = 'sk-ant-oat01-CANARYrestricted000';
const ALLOWED = 'sk-ant-oat01-CANARYallowed0000000';
const API_KEY = 'sk-ant-api03-CANARYkey000000000000';

let home: TempHome;
let host: HostApi;
let upstream: Awaited<ReturnType<typeof startUpstream>>;

beforeAll(async () => {
  upstream = await startUpstream((req, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method !== 'POST' || req.url !== '/v1/messages' || req.headers['anthropic-version'] !== '2023-06-01') return json(404, { type: 'error', error: { type: 'not_found_error', message: 'no' } });
    if (req.headers['x-api-key'] === API_KEY) return json(200, { id: 'msg_1', type: 'message', model: 'claude-haiku-4-5-20251001', content: [] });
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (req.headers['anthropic-beta'] !== 'oauth-2025-04-20') return json(401, { type: 'error', error: { type: 'authentication_error', message: 'OAuth authentication is currently not supported.' } });
    if (bearer === RESTRICTED) return json(400, { type: 'error', error: { type: 'invalid_request_error', message: CLAUDE_CODE_ONLY } });
    if (bearer === ALLOWED) return json(200, { id: 'msg_2', type: 'message', model: 'claude-haiku-4-5-20251001', content: [] });
    return json(401, { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
  });
  home = await tempHome('sophon-anthropic-');
  await mkdir(join(home.dir, 'sophon', 'config'), { recursive: true });
  await writeFile(join(home.dir, 'sophon', 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Services: { 'anthropic-subscription': { baseUrl: upstream.url }, anthropic: { baseUrl: upstream.url } } } }));
  await writeClaudeCredentials(join(home.dir, '.claude'), { accessToken: RESTRICTED, expiresAt: Date.now() + 8 * 3_600_000, subscriptionType: 'pro' });
  host = await openHostApi({ home: join(home.dir, 'sophon'), ownerName: 'test', protectors: fastPassphrase(), scheduler: false, providerEnvironment: fakeEnvironment({ home: home.dir }) });
});
afterAll(async () => {
  await host?.dispose();
  await upstream?.dispose();
  await home?.dispose();
});

describe('Anthropic with a Claude subscription', () => {
  it('reports the Claude-Code-only answer as such, with the advice to use an API key', async () => {
    const result = await host.dispatcher.call('models.test', { profile: 'anthropic:claude-cli' }, { actor: 'window' });
    expect(result).toMatchObject({ ok: true, data: { ok: false, code: 'CREDENTIAL_RESTRICTED' } });
    const message = result.ok ? (result.data as { message: string }).message : '';
    expect(message).toBe(`Anthropic answered: "${CLAUDE_CODE_ONLY}" — use an Anthropic API key for this (\`sophon connect add anthropic\`)`);
    const sent = upstream.requests.at(-1)!;
    expect(sent.headers.authorization).toBe(`Bearer ${RESTRICTED}`);
    expect(sent.headers['anthropic-beta']).toBe('oauth-2025-04-20');
    expect(JSON.parse(sent.body)).toMatchObject({ max_tokens: 1, model: 'claude-haiku-4-5' });
    expect(JSON.stringify(result)).not.toContain('CANARY');
  });

  it('tests a setup-token and an API key profile by their own headers', async () => {
    const pasted = await host.dispatcher.call('models.pasteToken', { provider: 'anthropic', profile: 'work', secret: ALLOWED }, { actor: 'window' });
    expect(pasted).toMatchObject({ ok: true, data: { profile: { id: 'anthropic:work', service: 'anthropic-subscription', source: 'token', cost: { input: 0, output: 0 } } } });
    expect(await host.dispatcher.call('models.test', { profile: 'anthropic:work' }, { actor: 'window' })).toMatchObject({ ok: true, data: { ok: true, status: 200 } });
    const key = await host.dispatcher.call('models.pasteToken', { provider: 'anthropic', profile: 'api', secret: API_KEY }, { actor: 'window' });
    expect(key).toMatchObject({ ok: true, data: { profile: { id: 'anthropic:api', service: 'anthropic', source: 'api-key', billing: 'per-token' } } });
    expect(key.ok && (key.data as { profile: { cost?: unknown } }).profile.cost).toBeUndefined();
    expect(await host.dispatcher.call('models.test', { profile: 'anthropic:api' }, { actor: 'window' })).toMatchObject({ ok: true, data: { ok: true } });
    expect(upstream.requests.at(-1)!.headers['x-api-key']).toBe(API_KEY);
  });

  it('shows whether Claude Code is installed and signed in, without its token', async () => {
    const result = await host.dispatcher.call('models.cliStatus', {}, { actor: 'window' });
    expect(result).toMatchObject({ ok: true, data: expect.arrayContaining([expect.objectContaining({ cli: 'claude-code', installed: false, signedIn: true, state: 'expiring', plan: 'pro', profile: 'anthropic:claude-cli', loginCommand: 'claude auth login' })]) });
    expect(JSON.stringify(result)).not.toContain('CANARY');
  });
});
