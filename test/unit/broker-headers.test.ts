import { describe, it, expect } from 'vitest';
import { addedHeaders, downstreamResponseHeaders, upstreamRequestHeaders } from '../../main/core/broker/proxy-headers.ts';
import { needleSet, REDACTED } from '../../main/core/broker/redact.ts';

const SECRET = 'sk-live-0123456789abcdef';

function pairs(flat: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

describe('upstream request headers', () => {
  const added = addedHeaders({ attachNames: new Set(['x-api-key']), fixed: { Accept: 'application/vnd.api+json', 'X-Api-Version': '2', Authorization: 'overridden' } }, { Authorization: `Bearer ${SECRET}` });

  it('works out once what the broker adds: fixed headers, then the credential over a fixed one of the same name', () => {
    expect(pairs(added.flat)).toEqual([
      ['accept', 'application/vnd.api+json'],
      ['x-api-version', '2'],
      ['authorization', `Bearer ${SECRET}`],
    ]);
    expect([...added.names].sort()).toEqual(['accept', 'authorization', 'x-api-key', 'x-api-version']);
  });

  it('drops what the skill may not send, keeps the rest in order, then adds the broker’s own', () => {
    const raw = [
      'Host', 'evil.example',
      'Authorization', 'Bearer sbt_token',
      'X-Api-Key', 'mine',
      'ACCEPT', 'text/html',
      'Cookie', 'a=1',
      'X-Forwarded-For', '1.2.3.4',
      'x-sophon-anything', '1',
      'X-HTTP-Method-Override', 'DELETE',
      'Proxy-Authorization', 'Basic Zm9v',
      'Connection', 'keep-alive, X-Secret-Hop, close',
      'X-Secret-Hop', 'gone',
      'close', 'gone too',
      'Transfer-Encoding', 'chunked',
      'X-Custom', 'one',
      'x-custom', 'two',
      'Accept-Encoding', 'gzip;q=1, zstd, br',
      'accept-encoding', 'compress, identity',
      'Content-Type', 'application/json',
      'Content-Length', '12',
    ];
    expect(pairs(upstreamRequestHeaders(raw, added, true))).toEqual([
      ['x-custom', 'one'],
      ['x-custom', 'two'],
      ['content-type', 'application/json'],
      ['content-length', '12'],
      ['accept-encoding', 'gzip;q=1, br, identity'],
      ['accept', 'application/vnd.api+json'],
      ['x-api-version', '2'],
      ['authorization', `Bearer ${SECRET}`],
    ]);
  });

  it('leaves Content-Length out when there is no body, and Accept-Encoding when nothing in it can be decoded', () => {
    const raw = ['Content-Length', '0', 'Accept-Encoding', 'zstd', 'User-Agent', 'skill/1'];
    expect(pairs(upstreamRequestHeaders(raw, added, false)).map(([name]) => name)).toEqual(['user-agent', 'accept', 'x-api-version', 'authorization']);
  });

  it('never lets a header name reach the prototype or escape by its spelling', () => {
    const plain = addedHeaders({ attachNames: new Set(), fixed: {} }, {});
    const raw = ['__proto__', 'x', 'constructor', 'y', 'HOST', 'a', 'hOsT', 'b', 'X-FORWARDED-HOST', 'c'];
    expect(pairs(upstreamRequestHeaders(raw, plain, false))).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
  });
});

describe('downstream response headers', () => {
  const needles = needleSet([SECRET]);

  it('drops hop-by-hop, listed and cookie headers, redacts every value, keeps repeated headers', () => {
    const headers = {
      'content-type': 'application/json',
      connection: 'keep-alive, x-hop',
      'keep-alive': 'timeout=5',
      'x-hop': 'gone',
      'x-echo': `token=${SECRET}`,
      'x-many': ['a', `b ${Buffer.from(SECRET).toString('base64')}`],
      'set-cookie': ['s=1'],
      location: '/elsewhere',
      'content-length': '40',
      'alt-svc': 'h3=":443"',
    };
    expect(pairs(downstreamResponseHeaders(headers, needles, false, false, undefined))).toEqual([
      ['content-type', 'application/json'],
      ['x-echo', `token=${REDACTED}`],
      ['x-many', 'a'],
      ['x-many', `b ${REDACTED}`],
      ['content-length', '40'],
    ]);
  });

  it('keeps Set-Cookie when allowed, drops the body’s length and coding when rewriting it, and sets the new Location', () => {
    const headers = { 'set-cookie': ['a=1', 'b=2'], 'content-length': '40', 'content-encoding': 'gzip', digest: 'x', 'content-md5': 'y', 'content-digest': 'z', 'x-other': '1' };
    expect(pairs(downstreamResponseHeaders(headers, needles, true, true, '/proxy/svc/next'))).toEqual([
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['x-other', '1'],
      ['location', '/proxy/svc/next'],
    ]);
  });
});
