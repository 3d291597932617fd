import { describe, it, expect } from 'vitest';
import { parseProxyTarget, rewriteLocation, upstreamBase, upstreamPath } from '../../main/core/broker/proxy-path.ts';
import { buildQuery } from '../../main/core/broker/proxy-call.ts';

describe('proxy request targets', () => {
  it('parses connection, base host, path and query', () => {
    expect(parseProxyTarget('/proxy/github:work/repos/me/x?per_page=5')).toEqual({
      ok: true,
      target: { connection: 'github:work', path: '/repos/me/x', canonicalPath: '/repos/me/x', query: 'per_page=5' },
    });
    expect(parseProxyTarget('/proxy/github/~uploads.github.com/repos/a')).toMatchObject({ ok: true, target: { connection: 'github', baseHost: 'uploads.github.com', path: '/repos/a' } });
    expect(parseProxyTarget('/proxy/gmail')).toMatchObject({ ok: true, target: { path: '/' } });
    expect(parseProxyTarget('/proxy/echo%3Aone/x')).toMatchObject({ ok: true, target: { connection: 'echo:one' } });
    expect(parseProxyTarget('/proxy/x/%7Euser/%41b')).toMatchObject({ ok: true, target: { path: '/%7Euser/%41b', canonicalPath: '/~user/Ab' } });
  });

  const hostile = [
    'http://evil.example/proxy/x/y',
    '//evil.example/proxy/x',
    '/proxy/x/../y',
    '/proxy/x/a/../../y',
    '/proxy/x/.',
    '/proxy/x/./a',
    '/proxy/x/%2e%2e/y',
    '/proxy/x/%2E%2e/y',
    '/proxy/x/.%2e/y',
    '/proxy/x/%2e./y',
    '/proxy/x/%252e%252e/y',
    '/proxy/x/%25252e%25252e/y',
    '/proxy/x/..%2fy',
    '/proxy/x/a%2f..%2f..%2fy',
    '/proxy/x/a%5c..%5cy',
    '/proxy/x/a\\..\\y',
    '/proxy/x/a%00b',
    '/proxy/x/a%0d%0aHost:%20evil',
    '/proxy/x/public/..;/admin',
    '/proxy/x/public/..;jsessionid=1/admin',
    '/proxy/x/public/%2e%2e;/admin',
    '/proxy/x/public/%2e%2e%3b/admin',
    '/proxy/x/public/.;/admin',
    '/proxy/x/..;',
    '/proxy/x/a%250d%250a',
    '/proxy/x/a b',
    '/proxy/x/a\u00e9',
    '/proxy/x/%zz',
    '/proxy/x/%4',
    '/proxy/x/a#b',
    '/proxy//y',
    '/proxy/',
    '/proxy/x/~evil.example%2f/y',
    '/proxyx/y',
    '/admin',
  ];
  for (const target of hostile) {
    it(`refuses ${JSON.stringify(target)}`, () => {
      expect(parseProxyTarget(target).ok).toBe(false);
    });
  }

  it('keeps path parameters that are not on a dot segment', () => {
    expect(parseProxyTarget('/proxy/x/items;v=1/a').ok).toBe(true);
    expect(parseProxyTarget('/proxy/x/a..;b').ok).toBe(true);
  });

  it('keeps literal percent signs that are data', () => {
    expect(parseProxyTarget('/proxy/x/search/100%25').ok).toBe(true);
    expect(parseProxyTarget('/proxy/x/projects/group%2Fproject').ok).toBe(true);
  });

  it('builds the upstream path under the base only', () => {
    const base = upstreamBase('https://api.example.com/v1/');
    expect(base).toEqual({ origin: 'https://api.example.com', path: '/v1', host: 'api.example.com' });
    expect(upstreamPath(base, { path: '/items' }, 'a=1')).toBe('/v1/items?a=1');
    expect(upstreamPath(upstreamBase('https://api.example.com'), { path: '/' }, '')).toBe('/');
    expect(() => upstreamPath(base, { path: '/../x' }, '')).toThrow(/left the base/);
  });

  it('rewrites redirects inside a base into proxy URLs, and nothing else', () => {
    const bases = [upstreamBase('https://api.example.com/v1'), upstreamBase('https://uploads.example.com')];
    const from = 'https://api.example.com/v1/items';
    expect(rewriteLocation('/v1/other?x=1', from, bases, 'svc')).toBe('/proxy/svc/other?x=1');
    expect(rewriteLocation('next', from, bases, 'svc')).toBe('/proxy/svc/next');
    expect(rewriteLocation('https://uploads.example.com/f/1', from, bases, 'svc:work')).toBe('/proxy/svc%3Awork/~uploads.example.com/f/1');
    expect(rewriteLocation('/v2/items', from, bases, 'svc')).toBeUndefined();
    expect(rewriteLocation('https://evil.example/v1/items', from, bases, 'svc')).toBeUndefined();
    expect(rewriteLocation('http://api.example.com/v1/items', from, bases, 'svc')).toBeUndefined();
    expect(rewriteLocation('//evil.example/x', from, bases, 'svc')).toBeUndefined();
    expect(rewriteLocation('https://api.example.com:8443/v1/x', from, bases, 'svc')).toBeUndefined();
  });

  it('replaces any query parameter the credential goes in', () => {
    expect(buildQuery('a=1&key=mine&KEY=x&k%65y=y&b=2', new Set(['key']), [['key', 's e/cret']])).toBe('a=1&b=2&key=s%20e%2Fcret');
    expect(buildQuery('a=1', new Set(), [])).toBe('a=1');
  });
});
