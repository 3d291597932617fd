import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { makeTestCa } from './test-ca.ts';
import { brokerEnv, startServer, type BrokerEnv, type EnvOptions, type FakeClock, type Upstream } from './broker-env.ts';
import { tempHome, type TempHome } from './temp-home.ts';

/** Planted credentials: none of these may ever reach a skill, a log or an audit line. */
export const KEYS = {
  one: 'sk-test-ONE-0123456789abcdefXYZ',
  two: 'sk-test-TWO-0123456789abcdefXYZ',
  secure: 'sk-test-SEC/+=0123456789abcdef',
  query: 'sk-test-QRY-0123456789abcdefXYZ',
  cookies: 'sk-test-CKE-0123456789abcdefXYZ',
  untrusted: 'sk-test-UNT-0123456789abcdefXYZ',
} as const;

export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** The credential as common JSON, URL and HTTP libraries write it (a test checks none of these comes through). */
export function hostileForms(key: string): Record<string, string> {
  const bytes = Buffer.from(key);
  return {
    gson: key.replace(/[^A-Za-z0-9]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    plus: key.replace(/\+/g, '\\u002B'),
    percentAll: [...bytes].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
    mime: Buffer.from(`user:${key}:${key}`).toString('base64').replace(/.{1,20}/g, (line) => `${line}\r\n`),
    hex: bytes.toString('hex'),
    hexUpper: bytes.toString('hex').toUpperCase(),
  };
}

/**
 * The upstream API every fixture service points at: it echoes what it got (the real
 * credential included, as a careless API might) in many shapes.
 */
export function upstreamHandler(seen: Seen[], foreignUrl: () => string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://upstream.invalid');
    const auth = String(req.headers.authorization ?? '');
    const key = auth.replace(/^Bearer /, '') || (url.searchParams.get('api_key') ?? '');
    const path = url.pathname.replace(/^\/(api|v1)/, '');
    if (path === '/stream-echo') {
      // Streams the request body straight back, as text, without holding it.
      res.writeHead(200, { 'content-type': 'text/plain' });
      req.pipe(res);
      return;
    }
    const body = await readBody(req);
    switch (path) {
      case '/split': {
        // The credential dribbled out one byte per write, with the event loop turning between.
        res.writeHead(200, { 'content-type': 'text/plain' });
        const text = `token=${key};again=${key};end`;
        for (const ch of text) {
          res.write(ch);
          await new Promise((r) => setImmediate(r));
        }
        res.end();
        return;
      }
      case '/encoded':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            b64: Buffer.from(key).toString('base64'),
            b64url: Buffer.from(key).toString('base64url'),
            uri: encodeURIComponent(key),
            basic: `Basic ${Buffer.from(`someone:${key}`).toString('base64')}`,
            shifted: Buffer.from(`xy${key}zz`).toString('base64'),
            json: JSON.stringify(key),
          }),
        );
        return;
      case '/encoded-hostile': {
        // What careless APIs and libraries produce: Gson/Go-style \u escapes, every byte percent-encoded, MIME base64, hex.
        const forms = hostileForms(key);
        res.writeHead(200, { 'content-type': 'application/json' });
        if (url.searchParams.has('big')) {
          // Streamed (no length, written in pieces), so the streaming redactor sees it, split at awkward places.
          const text = `{"padding":"${'x'.repeat(300_000)}",${JSON.stringify(forms).slice(1)}`;
          for (let i = 0; i < text.length; i += 997) res.write(text.slice(i, i + 997));
          res.end();
        } else res.end(`{"forms":${JSON.stringify(forms)},"gson":"${forms.gson}"}`);
        return;
      }
      case '/octet':
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(key), Buffer.from([255])]));
        return;
      case '/header-echo':
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-echo': auth, 'x-echo-b64': Buffer.from(key).toString('base64') });
        res.end('binary');
        return;
      case '/redirect-inside':
        res.writeHead(302, { location: `${url.pathname.startsWith('/v1') ? '/v1' : '/api'}/echo?after=redirect` }).end();
        return;
      case '/redirect-foreign':
        res.writeHead(302, { location: 'https://evil.example/steal?token=x' }).end();
        return;
      case '/redirect-other-port':
        res.writeHead(307, { location: `${foreignUrl()}/api/echo` }).end();
        return;
      case '/cookie':
        res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['sid=abc123; HttpOnly', 'other=1'] });
        res.end('{"ok":true}');
        return;
      case '/gzip':
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync(JSON.stringify({ authorization: auth, padding: 'x'.repeat(300_000) })));
        return;
      default:
        res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
        res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
    }
  };
}

export interface Fixture {
  readonly env: BrokerEnv;
  readonly seen: Seen[];
  readonly http: Upstream;
  readonly https: Upstream;
  readonly untrusted: Upstream;
  readonly home: TempHome;
  dispose(): Promise<void>;
}

/** Services: echo (http, two connections), secure (https, test CA), qkey (key in the query), cookies (Set-Cookie allowed), untrusted (https, unknown CA). */
export async function brokerFixture(options: { skills: EnvOptions['skills']; approve: readonly string[]; broker?: Record<string, unknown>; clock?: FakeClock }): Promise<Fixture> {
  const home = await tempHome('sophon-broker-');
  await mkdir(join(home.dir, 'ca-trusted'));
  await mkdir(join(home.dir, 'ca-other'));
  const ca = await makeTestCa(join(home.dir, 'ca-trusted'));
  const other = await makeTestCa(join(home.dir, 'ca-other'), 'Someone Else CA');
  const seen: Seen[] = [];
  let foreign = '';
  const handler = upstreamHandler(seen, () => foreign);
  const http = await startServer((req, res) => void handler(req, res));
  const https = await startServer((req, res) => void handler(req, res), ca);
  // Its certificate comes from a CA the broker was not told to trust.
  const untrusted = await startServer((req, res) => void handler(req, res), other);
  foreign = https.url;
  const api = (id: string, baseUrl: string, extra: Record<string, unknown> = {}) => ({ id, name: id, category: 'other', auth: [{ type: 'api_key' }], api: { baseUrl }, ...extra });
  const env = await brokerEnv({
    home: home.dir,
    connectors: [
      api('echo', `${http.url}/api`, { api: { baseUrl: `${http.url}/api`, additionalBaseUrls: [`${https.url}/v1`] } }),
      api('secure', `${https.url}/v1`),
      api('qkey', `${http.url}/api`, { attach: [{ in: 'query', name: 'api_key', value: '{token}' }] }),
      api('cookies', `${http.url}/api`, { broker: { allowSetCookie: true } }),
      api('untrusted', `${untrusted.url}/v1`),
    ],
    connections: [
      { service: 'echo', label: 'one', key: KEYS.one },
      { service: 'echo', label: 'two', key: KEYS.two },
      { service: 'secure', label: 'default', key: KEYS.secure },
      { service: 'qkey', label: 'default', key: KEYS.query },
      { service: 'cookies', label: 'default', key: KEYS.cookies },
      { service: 'untrusted', label: 'default', key: KEYS.untrusted },
    ],
    skills: options.skills,
    approve: options.approve,
    broker: { CaFiles: [ca.caFile], ...options.broker },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return {
    env,
    seen,
    http,
    https,
    untrusted,
    home,
    async dispose() {
      await env.dispose();
      await http.dispose();
      await https.dispose();
      await untrusted.dispose();
      await home.dispose();
    },
  };
}
