import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Events, REQUEST_NAMES, Requests, WireClientMessage, createDomainApi, type RequestName } from '../../main/api/contract.ts';
import { openHostApi, type HostApi } from '../../main/api/host.ts';
import { connectionView } from '../../main/api/views.ts';
import { fastPassphrase } from '../helpers/protectors.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

/** One input per request that its schema must refuse, and the path the message must name. */
const BAD: Readonly<Record<RequestName, readonly [unknown, string]>> = {
  'catalog.list': [{ bogus: 1 }, '(input)'],
  'catalog.get': [{ id: '' }, 'id'],
  'connections.list': [{ bogus: 1 }, '(input)'],
  'connections.add': [{ service: 'openrouter', secret: { type: 'api_key', key: 5 } }, 'secret.key'],
  'connections.test': [{ ref: '' }, 'ref'],
  'connections.status': [{ ref: 'x'.repeat(201) }, 'ref'],
  'connections.remove': [{}, 'ref'],
  'connections.reauth': [{ ref: 'github', redirect: 'carrier-pigeon' }, 'redirect'],
  'signin.start': [{ service: 'github', method: 'password' }, 'method'],
  'signin.complete': [{ redirectUrl: 5 }, 'redirectUrl'],
  'signin.wait': [{}, 'attemptId'],
  'signin.cancel': [{ attemptId: 1 }, 'attemptId'],
  'oauth.configure': [{ service: 'github', clientId: '' }, 'clientId'],
  'models.status': [{ agent: 5 }, 'agent'],
  'models.cliStatus': [{ bogus: 1 }, '(input)'],
  'models.pasteToken': [{ provider: 'anthropic', secret: 5 }, 'secret'],
  'models.sync': [{}, 'provider'],
  'models.test': [{ profile: 5 }, 'profile'],
  'models.resolve': [{}, 'provider'],
  'models.orderGet': [{}, 'provider'],
  'models.orderSet': [{ provider: 'anthropic', profiles: [] }, 'profiles'],
  'models.orderClear': [{ provider: 5 }, 'provider'],
  'audit.list': [{ limit: 0 }, 'limit'],
  'audit.verify': [{ bogus: 1 }, '(input)'],
  'vault.health': [{ bogus: 1 }, '(input)'],
  'settings.get': [{ bogus: 1 }, '(input)'],
  'settings.set': [{ theme: 'neon' }, 'theme'],
  'skills.list': [{ bogus: 1 }, '(input)'],
  'skills.add': [{ manifest: {}, extra: 1 }, '(input)'],
  'skills.approve': [{ id: 'mail', grantHash: 'not-a-hash' }, 'grantHash'],
  'skills.revoke': [{ id: '' }, 'id'],
  'skills.remove': [{}, 'id'],
  'broker.mint': [{ skill: 'mail', tool: 'read', ttlSeconds: 0 }, 'ttlSeconds'],
  'broker.revoke': [{ all: false }, '(input)'],
  'broker.status': [{ bogus: 1 }, '(input)'],
  'mail.add': [{ service: 'fastmail', address: 'a@b.example', secret: 'pw', imap: { tls: 'rot13' } }, 'imap.tls'],
  'mail.update': [{ ref: 'fastmail', smtp: { port: 0 } }, 'smtp.port'],
  'mail.search': [{ token: 'sbt_x', connection: 'mail', limit: 0 }, 'limit'],
  'mail.read': [{ token: 'sbt_x', connection: 'mail' }, 'id'],
  'mail.send': [{ token: 'sbt_x', connection: 'mail', to: [], subject: 's', text: 't' }, 'to'],
  'broker.renew': [{ id: '' }, 'id'],
  'agents.tools': [{ skill: '' }, 'skill'],
  'agents.call': [{ skill: 'mail', tool: 'http_request', callId: '' }, 'callId'],
  'agents.run': [{ skill: 'mail', tool: 'node', agent: 'x'.repeat(65) }, 'agent'],
};

/** Field names that would mean a secret is leaving the host. */
const SECRETISH = /secret|token|password|passphrase|refresh|apikey|api_key|^key$|credential|cookie|authorization/i;
// Names that match but hold no secret: a form label, a timestamp, the sign-in page's URL.
const ALLOWED = new Set(['hasSecret', 'passwordLabel', 'lastRefreshAt', 'authorizationUrl', 'refreshable']);
// The one outward secret by design: a minted broker token (minutes-lived, one skill and tool
// call; handed to agent runtimes, and refused to the window by the handler).
// `sophon run` gets the same for its child (and its variables, which carry that token).
const ALLOWED_PATHS = new Set(['broker.mint → token', 'agents.run → token', 'agents.run → token.token']);

function fieldNames(schema: z.ZodType, path: string, out: string[]): void {
  if (schema instanceof z.ZodObject) {
    for (const [name, child] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      out.push(`${path}${name}`);
      fieldNames(child, `${path}${name}.`, out);
    }
  } else if (schema instanceof z.ZodArray) fieldNames(schema.element as z.ZodType, path, out);
  else if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) fieldNames(schema.unwrap() as z.ZodType, path, out);
  else if (schema instanceof z.ZodUnion) for (const option of schema.options as z.ZodType[]) fieldNames(option, path, out);
  else if (schema instanceof z.ZodRecord) fieldNames(schema.valueType as z.ZodType, path, out);
}

describe('contract', () => {
  let home: TempHome;
  let host: HostApi;
  beforeAll(async () => {
    home = await tempHome();
    host = await openHostApi({ home: home.dir, ownerName: 'test', protectors: fastPassphrase() });
  });
  afterAll(async () => {
    await host.dispose();
    await home.dispose();
  });

  it('has a bad-input case for every request', () => {
    expect(Object.keys(BAD).sort()).toEqual([...REQUEST_NAMES].sort());
  });

  for (const name of REQUEST_NAMES) {
    it(`${name}: refuses bad input with "path: issue"`, async () => {
      const [input, path] = BAD[name];
      for (const bad of [input, 'a string', [1, 2], 42]) {
        const result = await host.dispatcher.call(name, bad, { actor: 'window' });
        expect(result.ok, JSON.stringify(bad)).toBe(false);
        if (!result.ok) {
          expect(result.error.code).toBe('INVALID_INPUT');
          expect(result.error.message.startsWith(`${name}: `)).toBe(true);
        }
      }
      const result = await host.dispatcher.call(name, input, { actor: 'window' });
      expect(!result.ok && result.error.message).toContain(`${path}: `);
    });
  }

  it('refuses an unknown request by name', async () => {
    expect(await host.dispatcher.call('vault.export', {}, { actor: 'window' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await host.dispatcher.call('__proto__', {}, { actor: 'window' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('no output or event schema has a field that could carry a secret out', () => {
    const names: string[] = [];
    for (const name of REQUEST_NAMES) fieldNames(Requests[name].output as z.ZodType, `${name} → `, names);
    for (const [name, schema] of Object.entries(Events)) fieldNames(schema as z.ZodType, `${name} → `, names);
    const leaks = names.filter((n) => SECRETISH.test(n.split(/ → |\./).at(-1) ?? '') && !ALLOWED.has(n.split(/ → |\./).at(-1) ?? '') && !ALLOWED_PATHS.has(n));
    expect(leaks).toEqual([]);
  });

  it('outputs drop fields the contract does not name, even when a handler returns them', async () => {
    const added = await host.dispatcher.call('connections.add', { service: 'openrouter', label: 'strip', secret: { type: 'api_key', key: 'sk-or-v1-never-out' } }, { actor: 'window' });
    expect(added.ok).toBe(true);
    const core = (await host.core.connections.list())[0]!;
    const view = connectionView({ ...core, clientId: 'client-123' });
    expect(view).not.toHaveProperty('clientId');

    const realHealth = await host.dispatcher.call('vault.health', {}, { actor: 'host' });
    const localHome = await tempHome();
    const local = await openHostApi({ home: localHome.dir, ownerName: 'test', protectors: fastPassphrase() });
    local.dispatcher.register({
      'connections.status': async () => ({ ...view, accessToken: 'at-leak', refreshToken: 'rt-leak', secret: { key: 'k' } }) as never,
      'vault.health': async () => ({ ...(realHealth.ok ? (realHealth.data as object) : {}), dataKey: 'leak' }) as never,
    });
    const status = await local.dispatcher.call('connections.status', { ref: 'x' }, { actor: 'window' });
    expect(status.ok).toBe(true);
    expect(JSON.stringify(status)).not.toMatch(/leak|accessToken|refreshToken|"secret"/);
    const health = await local.dispatcher.call('vault.health', {}, { actor: 'window' });
    expect(health.ok).toBe(true);
    expect(JSON.stringify(health)).not.toContain('dataKey');
    await local.dispose();
    await localHome.dispose();
  });

  it('outputs survive a JSON round trip unchanged (what the socket and WebSocket carry)', async () => {
    for (const name of ['catalog.list', 'connections.list', 'vault.health', 'audit.list', 'settings.get', 'audit.verify'] as const) {
      const result = await host.dispatcher.call(name, {}, { actor: 'window' });
      expect(result.ok, name).toBe(true);
      if (!result.ok) continue;
      const wire = JSON.parse(JSON.stringify(result.data)) as unknown;
      expect(Requests[name].output.parse(wire), name).toEqual(result.data);
    }
    expect(JSON.stringify(await host.dispatcher.call('audit.list', {}, { actor: 'window' }))).not.toContain('sk-or-v1-never-out');
  });

  it('events are validated when published and strip extra fields', () => {
    const seen: unknown[] = [];
    const off = host.dispatcher.subscribe((_event, payload) => seen.push(payload));
    host.dispatcher.publish('tray.selected', { action: 'reconnect', connectionId: 'c1', extra: 'dropped' } as never);
    expect(seen).toEqual([{ action: 'reconnect', connectionId: 'c1' }]);
    expect(() => host.dispatcher.publish('signin.changed', { attemptId: 'a', status: 'bogus' } as never)).toThrow();
    off();
  });

  it('builds the domain client from the request names, and the wire messages are checked', async () => {
    const calls: Array<[string, unknown]> = [];
    const api = createDomainApi(async (method, input) => {
      calls.push([method, input]);
      return { ok: true, data: null };
    });
    await api.vault.health();
    await api.connections.remove({ ref: 'x' });
    expect(calls).toEqual([
      ['vault.health', {}],
      ['connections.remove', { ref: 'x' }],
    ]);
    expect(WireClientMessage.safeParse({ id: 1, method: 'connections.list', params: {} }).success).toBe(true);
    expect(WireClientMessage.safeParse({ id: 1, cancel: true }).success).toBe(true);
    expect(WireClientMessage.safeParse({ id: -1, method: 'x' }).success).toBe(false);
    expect(WireClientMessage.safeParse({ id: 1, method: 'x', subscribe: true }).success).toBe(false);
  });
});
