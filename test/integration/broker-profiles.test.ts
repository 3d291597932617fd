import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Broker, openCore, startBroker, type SophonCore } from '../../main/core/index.ts';
import { fakeClock, startServer, type Upstream } from '../helpers/broker-env.ts';
import { fastPassphrase } from '../helpers/protectors.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

const API_KEY = 'sk-ant-api03-CANARY-profiles-0123456789';
const OAUTH = 'sk-ant-oat01-CANARY-profiles-0123456789';

let home: TempHome;
let upstream: Upstream;
let core: SophonCore;
let broker: Broker;
let url: string;
const clock = fakeClock();
const seen: Array<Record<string, string | string[] | undefined>> = [];
const ids: Record<string, string> = {};

beforeAll(async () => {
  home = await tempHome('sophon-profiles-');
  upstream = await startServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"type":"message"}');
  });
  await mkdir(join(home.dir, 'config'), { recursive: true });
  await writeFile(join(home.dir, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Services: { anthropic: { baseUrl: upstream.url }, 'anthropic-subscription': { baseUrl: upstream.url } } } }));
  core = await openCore({ home: home.dir, ownerName: 'profiles test', protectors: fastPassphrase(), clock, scheduler: false });
  broker = new Broker(core);
  ids['console'] = (await core.connections.add({ service: 'anthropic', label: 'console', secret: { type: 'api_key', key: API_KEY } }, { actor: 'cli' })).connection.id;
  ids['sub'] = (await core.providers.pasteToken({ provider: 'anthropic', profile: 'sub', token: OAUTH, expiresInMs: 3_600_000 }, { actor: 'cli' })).profile.connectionId as string;
  await broker.addSkill({ id: 'both', name: 'Both', credentials: ['anthropic', 'anthropic-subscription'] }, { actor: 'cli' });
  await broker.addSkill({ id: 'plan-only', name: 'Plan only', credentials: ['anthropic-subscription'] }, { actor: 'cli' });
  await broker.approveSkill('both', { actor: 'cli' });
  await broker.approveSkill('plan-only', { actor: 'cli' });
  await core.providers.orderSet('anthropic', 'desk', ['anthropic:sub', 'anthropic:console'], { actor: 'cli' });
  url = (await startBroker(core, { broker })).url;
});
afterAll(async () => {
  await core?.dispose();
  await upstream?.dispose();
  await home?.dispose();
});

async function message(skill: string, agent?: string): Promise<Response> {
  const { token } = await broker.mint({ skill, tool: 'chat', ...(agent ? { agent } : {}) }, { actor: 'runtime', via: 'direct' });
  return fetch(`${url}/proxy/anthropic/v1/messages`, { method: 'POST', headers: { 'x-api-key': token, 'content-type': 'application/json' }, body: '{}' });
}

describe('model calls by auth profile (/proxy/<provider>/…)', () => {
  it('follow the agent\'s auth order, attaching each profile\'s credential as its service says', async () => {
    expect((await message('both', 'desk')).status).toBe(200);
    expect(seen.at(-1)).toMatchObject({ authorization: `Bearer ${OAUTH}`, 'anthropic-beta': 'oauth-2025-04-20' });
    expect(seen.at(-1)?.['x-api-key']).toBeUndefined();
    const resolved = await core.providers.resolve('anthropic', { agent: 'desk' }, { actor: 'cli' });
    expect(resolved.profile.id).toBe('anthropic:sub');
  });

  it('skip an expired profile, exactly as `models resolve` does', async () => {
    clock.advance(2 * 3_600_000);
    const resolved = await core.providers.resolve('anthropic', { agent: 'desk' }, { actor: 'cli' });
    expect(resolved.profile.id).toBe('anthropic:console');
    expect((await message('both', 'desk')).status).toBe(200);
    expect(seen.at(-1)?.['x-api-key']).toBe(API_KEY);
    expect(seen.at(-1)?.authorization).toBeUndefined();
  });

  it('answer NO_USABLE_PROFILE naming every profile and why, when none the skill may use works', async () => {
    const response = await message('plan-only', 'desk');
    expect(response.status).toBe(424);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('NO_USABLE_PROFILE');
    expect(error.message).toMatch(/anthropic:sub \(the token expired/);
    expect(error.message).toMatch(/anthropic:console \(not granted to skill "plan-only"\)/);
  });

  it('send a call to a profile that needs re-auth when nothing else is left, so it is NEEDS_REAUTH with the account', async () => {
    await core.connections.update(ids['sub'] as string, { expiresAt: clock.now() + 3_600_000 });
    await core.connections.setState(ids['sub'] as string, 'needs_reauth', 'the provider revoked it');
    const response = await message('plan-only', 'desk');
    expect(response.status).toBe(424);
    expect(((await response.json()) as { error: Record<string, string> }).error).toMatchObject({ code: 'NEEDS_REAUTH', connection: ids['sub'], service: 'anthropic-subscription', label: 'sub' });
  });
});
