import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFile, stat, writeFile, access } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { SophonError } from '../../main/core/index.ts';
import { Dispatcher } from '../../main/api/dispatch.ts';
import { brokerHandlers } from '../../main/api/handlers/broker.ts';
import { brokerFixture, KEYS, type Fixture } from '../helpers/broker-fixture.ts';

const MAIL = { id: 'mail', name: 'Mail', credentials: [{ ref: 'echo:one', methods: ['GET'] }], tools: ['read', 'search'] };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof SophonError ? error.code : String(error);
  }
}

async function messageOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return (error as Error).message;
  }
}

let fx: Fixture;
beforeAll(async () => {
  fx = await brokerFixture({ skills: [MAIL, { id: 'idle', name: 'Never approved', credentials: ['echo'] }], approve: ['mail'], broker: { MaxTtlSeconds: 600, ReauthHoldSeconds: 0.5 } });
});
afterAll(async () => {
  await fx?.dispose();
});

describe('skills and approvals', () => {
  it('copies an added manifest into skills/ with mode 0600 and lists it as needing approval', async () => {
    const info = await stat(join(fx.home.dir, 'skills', 'mail.json'));
    expect(info.mode & 0o777).toBe(0o600);
    const list = await fx.env.broker.skills.list();
    expect(list.map((s) => [s.id, s.status])).toEqual([
      ['idle', 'pending'],
      ['mail', 'approved'],
    ]);
    expect(await fx.env.core.vault.get('skill-approval/mail')).toMatchObject({ skill: 'mail', grantHash: expect.stringMatching(/^[a-f0-9]{64}$/) });
  });

  it('refuses tokens until a skill is approved, and names the fix', async () => {
    expect(await messageOf(fx.env.mint('idle', 't'))).toMatch(/not approved — .*sophon skills approve idle/);
    expect(await codeOf(fx.env.mint('idle', 't'))).toBe('SKILL_NOT_APPROVED');
    expect(await codeOf(fx.env.mint('nobody', 't'))).toBe('SKILL_NOT_FOUND');
  });

  it('mints only for declared tools, granted connections and lifetimes under the ceiling', async () => {
    expect(await messageOf(fx.env.mint('mail', 'delete-all'))).toMatch(/declares the tools read, search, not "delete-all"/);
    expect(await messageOf(fx.env.mint('mail', 'read', ['echo:two']))).toMatch(/not granted echo:two — its approved manifest allows echo:one/);
    expect(await codeOf(fx.env.mint('mail', 'read', ['secure']))).toBe('BROKER_DENIED');
    expect(await messageOf(fx.env.mint('mail', 'read', undefined, 601))).toMatch(/above the ceiling of 600 s \(Sophon.Broker.MaxTtlSeconds\)/);
    const minted = await fx.env.broker.mint({ skill: 'mail', tool: 'read' }, { actor: 'runtime', via: 'direct' });
    expect(minted.expiresAt - fx.env.clock.now()).toBe(300_000);
    expect(minted.connections).toEqual([{ id: fx.env.ids['echo:one'], service: 'echo', label: 'one', state: 'active' }]);
    expect(minted.token).toMatch(/^sbt_[A-Za-z0-9_-]{43}$/);
    expect(minted.proxyUrl).toBe(`${fx.env.server.url}/proxy`);
  });

  it('asks again when a manifest asks for more, not when it asks for less', async () => {
    const file = join(fx.home.dir, 'skills', 'mail.json');
    const token = await fx.env.mint('mail', 'read');
    await writeFile(file, JSON.stringify({ ...MAIL, credentials: [{ ref: 'echo:one', methods: ['GET', 'DELETE'] }, 'secure'] }));
    const changed = await fx.env.broker.skills.get('mail');
    expect(changed.status).toBe('changed');
    expect(changed.excess).toEqual(['echo:one methods DELETE', 'credential secure']);
    expect(await messageOf(fx.env.mint('mail', 'read'))).toMatch(/asks for more than was approved \(echo:one methods DELETE; credential secure\) — .*approve mail/);
    // A token minted under the approval keeps exactly what was approved.
    expect((await fx.env.call('/proxy/echo:one/x', token)).status).toBe(200);
    expect((await fx.env.call('/proxy/echo:one/x', token, { method: 'DELETE' })).status).toBe(403);

    await writeFile(file, JSON.stringify({ ...MAIL, tools: ['read'] }));
    expect((await fx.env.broker.skills.get('mail')).status).toBe('approved');
    expect(await codeOf(fx.env.mint('mail', 'search'))).toBe('BROKER_DENIED');

    await writeFile(file, JSON.stringify({ ...MAIL, credentials: [{ ref: 'echo:one', methods: ['GET', 'DELETE'] }] }));
    await fx.env.broker.approveSkill('mail', { actor: 'cli' });
    const wider = await fx.env.mint('mail', 'read');
    expect((await fx.env.call('/proxy/echo:one/x', wider, { method: 'DELETE' })).status).toBe(200);
    await writeFile(file, JSON.stringify(MAIL));
  });

  it('lists a dropped-in file, and an invalid one with where it is wrong', async () => {
    await writeFile(join(fx.home.dir, 'skills', 'dropped.json'), JSON.stringify({ id: 'dropped', name: 'Dropped', credentials: ['echo:two'] }));
    await writeFile(join(fx.home.dir, 'skills', 'broken.json'), JSON.stringify({ id: 'broken', name: 'Broken', credentials: [{ ref: 'echo', paths: ['no-slash'] }] }));
    const list = await fx.env.broker.skills.list();
    expect(list.find((s) => s.id === 'dropped')?.status).toBe('pending');
    const broken = list.find((s) => s.id === 'broken');
    expect(broken?.status).toBe('invalid');
    expect(broken?.problem).toMatch(/credentials\.0\.paths\.0: starts with "\/"/);
    expect(await messageOf(fx.env.broker.approveSkill('broken', { actor: 'cli' }))).toMatch(/cannot be approved: .*broken\.json: credentials\.0/);
  });

  it('ends a skill\'s tokens when its approval is revoked', async () => {
    await fx.env.broker.approveSkill('dropped', { actor: 'cli' });
    const token = await fx.env.mint('dropped', 'x');
    expect((await fx.env.call('/proxy/echo:two/x', token)).status).toBe(200);
    const { tokensRevoked, skill } = await fx.env.broker.revokeSkill('dropped', { actor: 'cli' });
    expect(tokensRevoked).toBe(1);
    expect(skill.status).toBe('pending');
    expect((await fx.env.call('/proxy/echo:two/x', token)).status).toBe(401);
    expect(await codeOf(fx.env.mint('dropped', 'x'))).toBe('SKILL_NOT_APPROVED');
  });
});

describe('the contract', () => {
  it('does not mint for the window, or without a running proxy', async () => {
    const dispatcher = new Dispatcher(fx.env.core);
    dispatcher.register(brokerHandlers(fx.env.broker));
    const fromWindow = await dispatcher.call('broker.mint', { skill: 'mail', tool: 'read' }, { actor: 'window' });
    expect(fromWindow).toMatchObject({ ok: false, error: { code: 'BROKER_DENIED' } });
    const fromCli = await dispatcher.call('broker.mint', { skill: 'mail', tool: 'read' }, { actor: 'cli' });
    expect(fromCli).toMatchObject({ ok: true, data: { skill: 'mail', tool: 'read' } });
    const status = await dispatcher.call('broker.status', {}, { actor: 'window' });
    expect(status).toMatchObject({ ok: true, data: { running: true } });
    expect(JSON.stringify(status)).not.toMatch(/sbt_/);
    const skills = await dispatcher.call('skills.list', {}, { actor: 'window' });
    expect(skills).toMatchObject({ ok: true });
    const stale = await dispatcher.call('skills.approve', { id: 'mail', grantHash: 'a'.repeat(64) }, { actor: 'window' });
    expect(stale).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringMatching(/changed since it was shown/) } });
  });
});

describe('agent runtimes over HTTP', () => {
  it('mint with the runtime key from run/runtime.key (0600), nothing else', async () => {
    const keyFile = join(fx.home.dir, 'run', 'runtime.key');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const key = (await readFile(keyFile, 'utf8')).trim();
    const info = JSON.parse(await readFile(join(fx.home.dir, 'run', 'broker.json'), 'utf8')) as { url: string; port: number };
    expect(info.port).toBe(fx.env.server.port);
    const post = (path: string, auth: string | undefined, body: unknown) =>
      fetch(`${info.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) }, body: JSON.stringify(body) });

    const minted = await post('/broker/mint', key, { skill: 'mail', tool: 'read', connection: 'echo:one', ttlSeconds: 60 });
    expect(minted.status).toBe(201);
    const { token, expiresAt } = (await minted.json()) as { token: string; expiresAt: number };
    expect(expiresAt - fx.env.clock.now()).toBe(60_000);
    const through = await fx.env.call('/proxy/echo:one/hello', token);
    expect(through.status).toBe(200);
    expect(await through.text()).not.toContain(KEYS.one);

    expect((await post('/broker/mint', undefined, { skill: 'mail', tool: 'read' })).status).toBe(401);
    expect((await post('/broker/mint', token, { skill: 'mail', tool: 'read' })).status).toBe(401);
    expect((await post('/broker/mint', `srk_${'x'.repeat(43)}`, { skill: 'mail', tool: 'read' })).status).toBe(401);
    const bad = await post('/broker/mint', key, { skill: 'mail', tool: 'read', extra: true });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/mint request: .*extra/);
    expect((await post('/broker/mint', key, { skill: 'idle', tool: 'read' })).status).toBe(403);
    // The runtime key is not a broker token.
    expect((await fx.env.call('/proxy/echo:one/hello', key)).status).toBe(401);

    const status = await fetch(`${info.url}/broker/status`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await status.json()) as { live: unknown[] }).live.length).toBeGreaterThan(0);
    const killed = await post('/broker/revoke', key, { all: true });
    expect(((await killed.json()) as { revoked: number }).revoked).toBeGreaterThan(0);
    expect((await fx.env.call('/proxy/echo:one/hello', token)).status).toBe(401);
  });

  it('audits mints by the runtime and refusals, filterable by skill and time', async () => {
    const since = fx.env.clock.now() - 60_000;
    const { entries } = await fx.env.core.audit.read({ skill: 'mail', since, action: 'broker.mint' });
    expect(entries.some((e) => e.actor === 'runtime' && e.outcome === 'ok' && e.detail?.['via'] === 'http')).toBe(true);
    expect(entries.some((e) => e.outcome === 'denied' && /declares the tools/.test(e.reason ?? ''))).toBe(true);
    const keyRefusals = (await fx.env.core.audit.read({ action: 'broker.mint' })).entries.filter((e) => e.reason === 'missing or wrong runtime key');
    expect(keyRefusals.length).toBe(3);
    expect((await fx.env.core.audit.read({ skill: 'mail', since: fx.env.clock.now() + 1 })).entries).toEqual([]);
  });
});

describe('a connection that needs re-auth', () => {
  it('holds the call up to ReauthHoldSeconds and goes on when the user reconnects', async () => {
    await fx.env.broker.approveSkill('dropped', { actor: 'cli' });
    const token = await fx.env.mint('dropped', 'x');
    const id = fx.env.ids['echo:two']!;
    await fx.env.core.connections.setState(id, 'needs_reauth', 'refresh failed');
    const pending = fx.env.call('/proxy/echo:two/after-reconnect', token);
    await new Promise((r) => setTimeout(r, 150));
    await fx.env.core.connections.setState(id, 'active');
    const response = await pending;
    expect(response.status).toBe(200);
    expect(fx.seen.at(-1)!.url).toBe('/api/after-reconnect');

    await fx.env.core.connections.setState(id, 'needs_reauth', 'refresh failed');
    const started = Date.now();
    const timedOut = await fx.env.call('/proxy/echo:two/x', token);
    expect(timedOut.status).toBe(424);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(((await timedOut.json()) as { error: { code: string; connection: string } }).error).toMatchObject({ code: 'NEEDS_REAUTH', connection: id });
    await fx.env.core.connections.setState(id, 'active');
  });

  it('is refused with NEEDS_REAUTH when the credential source says so', async () => {
    fx.env.core.connections.setCredentialSource('api_key', async (connection) => {
      throw new SophonError('NEEDS_REAUTH', `${connection.id} was signed out`);
    });
    // A change event drops the cached credential, as the OAuth lifecycle's refresh would.
    await fx.env.core.connections.update(fx.env.ids['echo:two']!, { lastUsedAt: new Date().toISOString() });
    const token = await fx.env.mint('dropped', 'x');
    const response = await fx.env.call('/proxy/echo:two/x', token);
    expect(response.status).toBe(424);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('NEEDS_REAUTH');
  });
});

describe('dispose', () => {
  it('closes the proxy, removes run/broker.json and forgets every token', async () => {
    const port = fx.env.server.port;
    const token = await fx.env.mint('mail', 'read').catch(() => 'none');
    await fx.env.dispose();
    await expect(access(join(fx.home.dir, 'run', 'broker.json'))).rejects.toThrow();
    expect(fx.env.broker.tokens.lookup(token).state).toBe('unknown');
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
