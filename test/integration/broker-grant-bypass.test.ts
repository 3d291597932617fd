import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { brokerFixture, type Fixture } from '../helpers/broker-fixture.ts';

/**
 * Two ways past a grant through upstreams that are more generous than the proxy: Tomcat/
 * Spring path parameters on dot segments, and frameworks that take the method from `_method`.
 */
let fx: Fixture;
let token: string;
beforeAll(async () => {
  fx = await brokerFixture({ skills: [{ id: 'poster', name: 'Poster', credentials: [{ ref: 'echo:one', methods: ['GET', 'POST'], paths: ['/public'] }] }], approve: ['poster'] });
  token = await fx.env.mint('poster', 'post');
});
afterAll(async () => fx?.dispose());

async function status(path: string, init: RequestInit = {}): Promise<number> {
  const response = await fx.env.call(path, token, init);
  await response.text();
  return response.status;
}

describe('grant checks that upstream frameworks cannot undo', () => {
  it('refuses dot segments with path parameters (`..;`), which Tomcat and Spring resolve', async () => {
    const before = fx.seen.length;
    for (const path of ['/public/..;/admin', '/public/..;jsessionid=1/admin', '/public/%2e%2e;/admin', '/public/.;/x']) {
      expect(await status(`/proxy/echo:one${path}`), path).toBe(400);
    }
    expect(fx.seen.length).toBe(before);
    expect(await status('/proxy/echo:one/public/items;v=1')).toBe(200);
  });

  it('refuses a _method override to a method the grant does not allow, in the query, a form, multipart or JSON', async () => {
    const before = fx.seen.length;
    expect(await status('/proxy/echo:one/public/items?_method=DELETE', { method: 'POST' })).toBe(403);
    expect(await status('/proxy/echo:one/public/items?%5Fmethod=delete', { method: 'POST' })).toBe(403);
    expect(await status('/proxy/echo:one/public/items?_method=DELETE')).toBe(403);
    expect(await status('/proxy/echo:one/public/items', { method: 'POST', body: new URLSearchParams({ title: 'x', _method: 'DELETE' }) })).toBe(403);
    const multipart = new FormData();
    multipart.set('title', 'x');
    multipart.set('_method', 'PATCH');
    expect(await status('/proxy/echo:one/public/items', { method: 'POST', body: multipart })).toBe(403);
    expect(await status('/proxy/echo:one/public/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ _method: 'DELETE' }) })).toBe(403);
    expect(fx.seen.length).toBe(before);
  });

  it('forwards the checked body untouched when it asks for nothing more', async () => {
    const form = new URLSearchParams({ title: 'hello', _method: 'POST', note: 'ü' });
    const response = await fx.env.call('/proxy/echo:one/public/items', token, { method: 'POST', body: form });
    expect(response.status).toBe(200);
    expect((await response.json()) as { body: string }).toMatchObject({ body: form.toString() });
    const json = await fx.env.call('/proxy/echo:one/public/items', token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"hi"}' });
    expect(((await json.json()) as { body: string }).body).toBe('{"title":"hi"}');
  });
});
