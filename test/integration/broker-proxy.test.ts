import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { brokerFixture, KEYS, type Fixture } from '../helpers/broker-fixture.ts';
import { rawGet, rawRequest } from '../helpers/raw-http.ts';
import { tokenId } from '../../main/core/index.ts';

const SKILLS = [
  { id: 'full', name: 'Full access', credentials: ['echo:one', 'secure', 'qkey', 'cookies', 'untrusted'] },
  { id: 'narrow', name: 'Narrow', credentials: [{ ref: 'echo:one', methods: ['GET'], paths: ['/items', '/split'] }], tools: ['list-items'] },
  { id: 'other', name: 'Other', credentials: ['echo:two'] },
  { id: 'both', name: 'Every echo', credentials: ['echo'] },
];

let fx: Fixture;
/** Every byte a skill received, checked for planted credentials at the end. */
const received: string[] = [];

async function text(response: Response): Promise<string> {
  const body = await response.text();
  received.push(body, JSON.stringify([...response.headers]));
  return body;
}

beforeAll(async () => {
  fx = await brokerFixture({ skills: SKILLS, approve: ['full', 'narrow', 'other', 'both'] });
});
afterAll(async () => {
  await fx?.dispose();
});

describe('the broker proxy', () => {
  it('attaches the real credential upstream, drops what the skill sent, and redacts the echo', async () => {
    const token = await fx.env.mint('full', 'echo-tool');
    const response = await fx.env.call('/proxy/echo:one/echo?q=1&x=%20y', token, {
      headers: { cookie: 'mine=1', 'x-forwarded-host': 'evil.example', 'x-http-method-override': 'DELETE', 'x-custom': 'kept', 'proxy-authorization': 'Basic Zm9v' },
    });
    expect(response.status).toBe(200);
    const echoed = JSON.parse(await text(response)) as { url: string; headers: Record<string, string> };
    const upstream = fx.seen.at(-1)!;
    expect(upstream.url).toBe('/api/echo?q=1&x=%20y');
    expect(upstream.headers.authorization).toBe(`Bearer ${KEYS.one}`);
    expect(upstream.headers.host).toBe(`127.0.0.1:${fx.http.port}`);
    for (const dropped of ['cookie', 'x-forwarded-host', 'x-http-method-override', 'proxy-authorization']) expect(upstream.headers[dropped]).toBeUndefined();
    expect(upstream.headers['x-custom']).toBe('kept');
    expect(echoed.headers.authorization).toBe('Bearer [REDACTED]');
    expect(JSON.stringify(echoed)).not.toContain(token);
    expect(response.headers.get('x-upstream')).toBe('yes');
  });

  it('names a connection by id, service:label, or a service the token holds once', async () => {
    const token = await fx.env.mint('full', 'names');
    for (const name of [fx.env.ids['echo:one']!, 'echo:one', 'echo:ONE', 'echo', 'secure']) {
      const response = await fx.env.call(`/proxy/${name}/whoami`, token);
      expect(response.status, name).toBe(200);
      await text(response);
    }
    // A service grant covers each of its connections; naming just the service is then ambiguous.
    const both = await fx.env.mint('both', 'names');
    const ambiguous = await fx.env.call('/proxy/echo/whoami', both);
    expect(ambiguous.status).toBe(400);
    expect(JSON.parse(await text(ambiguous)).error.code).toBe('AMBIGUOUS_CONNECTION');
    expect((await fx.env.call('/proxy/echo:two/whoami', both)).status).toBe(200);
    expect(fx.seen.at(-1)!.headers.authorization).toBe(`Bearer ${KEYS.two}`);
  });

  it('reaches HTTPS upstreams through the CA trusted in settings, and refuses one it does not trust', async () => {
    const token = await fx.env.mint('full', 'tls');
    const ok = await fx.env.call('/proxy/secure/echo', token);
    expect(ok.status).toBe(200);
    expect(fx.seen.at(-1)!.headers.authorization).toBe(`Bearer ${KEYS.secure}`);
    expect(await text(ok)).toContain('Bearer [REDACTED]');

    // ~host picks one of the service's additionalBaseUrls, with the same connection's credential.
    const other = await fx.env.call(`/proxy/echo:one/~127.0.0.1:${fx.https.port}/echo`, token);
    expect(other.status).toBe(200);
    expect(fx.seen.at(-1)).toMatchObject({ url: '/v1/echo', headers: expect.objectContaining({ authorization: `Bearer ${KEYS.one}`, host: `127.0.0.1:${fx.https.port}` }) });
    await text(other);

    const bad = await fx.env.call('/proxy/untrusted/echo', token);
    expect(bad.status).toBe(502);
    const error = JSON.parse(await text(bad)) as { error: { code: string; message: string } };
    expect(error.error.code).toBe('NETWORK_ERROR');
    expect(error.error.message).toMatch(/certificate|CERT/i);
    expect(error.error.message).toMatch(/CaFiles/);
  });

  it('refuses a token for a connection, method or path it does not cover', async () => {
    const narrow = await fx.env.mint('narrow', 'list-items');
    expect((await fx.env.call('/proxy/echo:one/items', narrow)).status).toBe(200);
    expect((await fx.env.call('/proxy/echo:one/items/42', narrow)).status).toBe(200);
    const cases: Array<[string, RequestInit, number]> = [
      ['/proxy/echo:two/items', {}, 403],
      ['/proxy/secure/items', {}, 403],
      ['/proxy/echo:one/items', { method: 'POST', body: 'x' }, 403],
      ['/proxy/echo:one/admin', {}, 403],
      ['/proxy/echo:one/itemsX', {}, 403],
      ['/proxy/echo:one/', {}, 403],
    ];
    for (const [path, init, status] of cases) {
      const response = await fx.env.call(path, narrow, init);
      const body = await text(response);
      expect(response.status, `${init.method ?? 'GET'} ${path}`).toBe(status);
      expect(JSON.parse(body).error.code).toBe('BROKER_DENIED');
    }
    const other = await fx.env.mint('other', 'x');
    expect((await fx.env.call('/proxy/echo:one/items', other)).status).toBe(403);
    expect((await fx.env.call('/proxy/echo:two/items', other)).status).toBe(200);
  });

  it('refuses requests without a valid token, after expiry, after revoke and after revoke-all', async () => {
    const missing = await fx.env.call('/proxy/echo:one/items', undefined);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect((await fx.env.call('/proxy/echo:one/items', 'sbt_not-a-real-token')).status).toBe(401);
    expect((await fx.env.call('/proxy/echo:one/items', `sbt_${'A'.repeat(43)}`)).status).toBe(401);

    const short = await fx.env.mint('narrow', 'list-items', undefined, 30);
    expect((await fx.env.call('/proxy/echo:one/items', short)).status).toBe(200);
    fx.env.clock.advance(31_000);
    const expired = await fx.env.call('/proxy/echo:one/items', short);
    expect(expired.status).toBe(401);
    expect(JSON.parse(await text(expired)).error.message).toMatch(/expired/);

    const a = await fx.env.mint('narrow', 'list-items');
    const b = await fx.env.mint('full', 'b');
    const c = await fx.env.mint('other', 'c');
    fx.env.broker.revoke(tokenId(a), { actor: 'cli' });
    expect((await fx.env.call('/proxy/echo:one/items', a)).status).toBe(401);
    expect((await fx.env.call('/proxy/echo:one/items', b)).status).toBe(200);
    expect(fx.env.broker.revokeAll({ actor: 'cli' })).toBeGreaterThanOrEqual(2);
    expect((await fx.env.call('/proxy/echo:one/items', b)).status).toBe(401);
    expect((await fx.env.call('/proxy/echo:two/items', c)).status).toBe(401);
  });

  it('never leaves the base URL: absolute URLs, Host overrides, dot segments in any encoding, CRLF', async () => {
    const token = await fx.env.mint('full', 'hostile');
    const port = fx.env.server.port;
    const auth = `Authorization: Bearer ${token}`;
    const before = fx.seen.length;
    const targets = [
      'http://evil.example/proxy/echo/x',
      `http://127.0.0.1:${fx.http.port}/api/echo`,
      '/proxy/echo:one/../../etc/passwd',
      '/proxy/echo:one/a/..',
      '/proxy/echo:one/./echo',
      '/proxy/echo:one/%2e%2e/%2e%2e/secret',
      '/proxy/echo:one/%2E%2E%2Fsecret',
      '/proxy/echo:one/..%2fsecret',
      '/proxy/echo:one/%252e%252e/secret',
      '/proxy/echo:one/a%5c..%5csecret',
      '/proxy/echo:one/a\\..\\secret',
      '/proxy/echo:one/%0d%0aHost:%20evil',
      '/proxy/echo:one/%zz',
      '/proxy/echo:one/x#frag',
      '/proxy/echo:one/~evil.example/x',
      '/proxy//x',
      '/other',
    ];
    for (const target of targets) {
      const response = await rawGet(port, target, [auth]);
      received.push(response.head, response.body);
      expect([400, 403, 404], target).toContain(response.status);
    }
    const hostOverride = await rawRequest(port, `GET /proxy/echo:one/echo HTTP/1.1\r\nHost: evil.example\r\n${auth}\r\nConnection: close\r\n\r\n`);
    expect(hostOverride.status).toBe(421);
    const trace = await rawRequest(port, `TRACE /proxy/echo:one/echo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${auth}\r\nConnection: close\r\n\r\n`);
    expect(trace.status).toBe(405);
    const crlf = await rawRequest(port, `GET /proxy/echo:one/echo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${auth}\r\nX-Evil: a\rHost: evil\r\nConnection: close\r\n\r\n`);
    expect(crlf.status).toBe(400);
    expect(fx.seen.length).toBe(before);

    // The WHATWG-style encodings a client might leave alone are fine when they stay inside.
    const fine = await rawGet(port, '/proxy/echo:one/a/b%2Fc/%7Euser', [auth]);
    expect(fine.status).toBe(200);
    expect(fx.seen.at(-1)!.url).toBe('/api/a/b%2Fc/%7Euser');
  });

  it('rewrites a redirect that stays inside the base, and refuses one to another host', async () => {
    const token = await fx.env.mint('full', 'redirects');
    const inside = await fx.env.call('/proxy/echo:one/redirect-inside', token);
    expect(inside.status).toBe(302);
    expect(inside.headers.get('location')).toBe('/proxy/echo%3Aone/echo?after=redirect');
    await text(inside);
    const secureInside = await fx.env.call('/proxy/secure/redirect-inside', token);
    expect(secureInside.headers.get('location')).toBe('/proxy/secure/echo?after=redirect');
    await text(secureInside);

    for (const path of ['/proxy/echo:one/redirect-foreign', '/proxy/echo:one/redirect-other-port']) {
      const response = await fx.env.call(path, token);
      expect(response.status, path).toBe(502);
      const body = JSON.parse(await text(response)) as { error: { code: string; message: string } };
      expect(body.error.message).toMatch(/not one of its API hosts/);
      expect(response.headers.get('location')).toBeNull();
    }
  });

  it('redacts a credential split across chunks, encoded, in headers and in a gzip body', async () => {
    const token = await fx.env.mint('full', 'redaction');
    const split = await fx.env.call('/proxy/echo:one/split', token);
    expect(await text(split)).toBe('token=[REDACTED];again=[REDACTED];end');
    expect(split.headers.get('content-length')).toBeNull();

    const encoded = JSON.parse(await text(await fx.env.call('/proxy/secure/encoded', token))) as Record<string, string>;
    for (const [name, value] of Object.entries(encoded)) expect(value, name).toContain('[REDACTED]');
    expect(JSON.stringify(encoded)).not.toContain(Buffer.from(KEYS.secure).toString('base64').slice(4, 24));

    const headers = await fx.env.call('/proxy/echo:one/header-echo', token);
    expect(headers.headers.get('x-echo')).toBe('Bearer [REDACTED]');
    expect(headers.headers.get('x-echo-b64')).toBe('[REDACTED]');
    expect(await text(headers)).toBe('binary');

    const octet = await fx.env.call('/proxy/echo:one/octet', token);
    expect(Buffer.from(await octet.arrayBuffer())).toEqual(Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from('[REDACTED]'), Buffer.from([255])]));

    const gzip = await fx.env.call('/proxy/echo:one/gzip', token, { headers: { 'accept-encoding': 'gzip' } });
    expect(gzip.headers.get('content-encoding')).toBeNull();
    const body = JSON.parse(await text(gzip)) as { authorization: string };
    expect(body.authorization).toBe('Bearer [REDACTED]');
  });

  it('attaches a query credential in place of any the skill sent, and keeps it out of what comes back', async () => {
    const token = await fx.env.mint('full', 'query');
    const response = await fx.env.call('/proxy/qkey/echo?x=1&api_key=mine&API_KEY=also&y=2', token);
    const upstream = new URL(fx.seen.at(-1)!.url, 'http://x');
    expect(upstream.searchParams.getAll('api_key')).toEqual([KEYS.query]);
    expect(upstream.searchParams.get('API_KEY')).toBeNull();
    expect(upstream.searchParams.get('x')).toBe('1');
    const echoed = JSON.parse(await text(response)) as { url: string };
    expect(echoed.url).toContain('api_key=[REDACTED]');
    expect(fx.seen.at(-1)!.headers.authorization).toBeUndefined();
  });

  it('drops upstream Set-Cookie unless the service definition allows it', async () => {
    const token = await fx.env.mint('full', 'cookies');
    const dropped = await fx.env.call('/proxy/echo:one/cookie', token);
    expect(dropped.headers.getSetCookie()).toEqual([]);
    await text(dropped);
    const allowed = await fx.env.call('/proxy/cookies/cookie', token);
    expect(allowed.headers.getSetCookie()).toEqual(['sid=abc123; HttpOnly', 'other=1']);
    await text(allowed);
  });

  it('answers at once with NEEDS_REAUTH naming the connection', async () => {
    const token = await fx.env.mint('other', 'reauth');
    const id = fx.env.ids['echo:two']!;
    await fx.env.core.connections.setState(id, 'needs_reauth', 'the refresh token was revoked');
    try {
      const started = Date.now();
      const response = await fx.env.call('/proxy/echo:two/items', token);
      expect(response.status).toBe(424);
      expect(Date.now() - started).toBeLessThan(2000);
      const body = JSON.parse(await text(response)) as { error: { code: string; connection: string; service: string; label: string; message: string } };
      expect(body.error).toMatchObject({ code: 'NEEDS_REAUTH', connection: id, service: 'echo', label: 'two' });
      expect(body.error.message).toMatch(/sign in again/);
    } finally {
      await fx.env.core.connections.setState(id, 'active');
    }
    expect((await fx.env.call('/proxy/echo:two/items', token)).status).toBe(200);
  });

  it('audits every call and refusal without a query string, a credential or a token', async () => {
    const token = await fx.env.mint('narrow', 'list-items');
    await text(await fx.env.call('/proxy/echo:one/items?secret-looking=1', token));
    await text(await fx.env.call('/proxy/echo:one/admin', token));
    const { entries } = await fx.env.core.audit.read({ skill: 'narrow', action: 'broker.' });
    const [refusal, call, mint] = entries;
    expect(mint).toMatchObject({ actor: 'runtime', action: 'broker.mint', skill: 'narrow', tool: 'list-items', outcome: 'ok' });
    expect(call).toMatchObject({ actor: 'skill', action: 'broker.call', skill: 'narrow', tool: 'list-items', connection: fx.env.ids['echo:one'], outcome: 'ok' });
    expect(call!.detail).toMatchObject({ method: 'GET', host: `127.0.0.1:${fx.http.port}`, path: '/api/items', status: 200 });
    expect(call!.detail!['bytesOut']).toBeGreaterThan(0);
    expect(typeof call!.detail!['ms']).toBe('number');
    expect(refusal).toMatchObject({ action: 'broker.call', outcome: 'denied', detail: expect.objectContaining({ status: 403 }) });
    expect(refusal!.reason).toMatch(/outside what skill "narrow" may use/);
    expect((await fx.env.core.audit.verify()).ok).toBe(true);

    fx.env.core.audit.flush();
    const trail = await readFile(join(fx.home.dir, 'audit', 'audit.jsonl'), 'utf8');
    for (const key of Object.values(KEYS)) expect(trail).not.toContain(key);
    expect(trail).not.toContain(token);
    expect(trail).not.toMatch(/sbt_[A-Za-z0-9_-]{43}/);
    expect(trail).not.toContain('secret-looking');
  });

  it('never handed a planted credential to a skill', () => {
    const all = received.join('\n');
    expect(all.length).toBeGreaterThan(1000);
    for (const key of Object.values(KEYS)) {
      expect(all).not.toContain(key);
      expect(all).not.toContain(encodeURIComponent(key));
      expect(all).not.toContain(Buffer.from(key).toString('base64'));
    }
  });
});
