import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { runCli, startCli } from '../helpers/run-cli.ts';
import { eventually, interactive } from '../helpers/cli-steps.ts';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.ts';
import { completeAuthorization } from '../helpers/oidc-user-agent.ts';
import { CONNECTOR_ID, writeOAuthHome } from '../helpers/oauth-fixture.ts';
import { startServer, type Upstream } from '../helpers/broker-env.ts';
import { upstreamHandler, type Seen } from '../helpers/broker-fixture.ts';
import { mcpSession, type McpSession } from '../helpers/mcp-client.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

// Planted credentials: the echoing upstream hands them back in every encoding it can.
const WORK_KEY = 'echo-live-WORK-CANARY-0123456789abcdef';
const PERSONAL_KEY = 'echo-live-PERS-CANARY-0123456789abcdef';

let oidc: OidcServer;
let home: TempHome;
let upstream: Upstream;
const seen: Seen[] = [];
let owner: NodeJS.ProcessEnv;
/** What an MCP client passes: where Sophon lives, never its passphrase. */
let agent: Record<string, string>;
let serve: ReturnType<typeof startCli>;
let session: McpSession;
const sessions: McpSession[] = [];

async function open(args: string[], env = agent): Promise<McpSession> {
  const s = await mcpSession(args, env);
  sessions.push(s);
  return s;
}

async function cli(args: string[], input?: string) {
  const result = await runCli(args, { env: owner, ...(input !== undefined ? { input } : {}) });
  expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result;
}

beforeAll(async () => {
  oidc = await startOidcServer({ accessTokenTtl: 30 });
  home = await tempHome('sophon-mcp-');
  const handler = upstreamHandler(seen, () => upstream.url);
  upstream = await startServer((req, res) => {
    if (req.url?.startsWith('/api/big')) {
      const text = `${'line of a long listing\n'.repeat(8000)}the end`;
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    void handler(req, res);
  });
  // The call that finds the grant revoked waits up to 20 s for the person to reconnect.
  await writeOAuthHome(home.dir, oidc, { Lifecycle: { RefreshMarginSeconds: 10, JitterSeconds: 0 }, Broker: { ReauthHoldSeconds: 20 } });
  await writeFile(
    join(home.dir, 'connectors', 'echo.json'),
    JSON.stringify({ id: 'echo', name: 'Echo API', category: 'other', docsUrl: 'https://echo.example/docs', auth: [{ type: 'api_key' }], api: { baseUrl: `${upstream.url}/api` }, test: { path: '/me' } }),
  );
  owner = { SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'mcp test passphrase', HOME: home.dir };
  agent = { SOPHON_HOME: home.dir, HOME: home.dir };
  serve = startCli(['serve'], { env: owner, ready: /listening on/ });
  await serve.ready;
  await cli(['connect', 'add', 'echo', '--label', 'work'], `${WORK_KEY}\n`);
  await cli(['connect', 'add', 'echo', '--label', 'personal'], `${PERSONAL_KEY}\n`);
  const add = interactive(['connect', 'add', CONNECTOR_ID, '--no-browser', '--json'], owner);
  const redirect = await completeAuthorization(String((await add.step('authorize'))['url']));
  expect((await fetch(redirect)).status).toBe(200);
  await add.step('completed');
  expect(await add.exit).toBe(0);
  await mkdir(join(home.dir, 'manifests'));
  const manifest = join(home.dir, 'manifests', 'mail-triage.json');
  await writeFile(manifest, JSON.stringify({ id: 'mail-triage', name: 'Mail triage', credentials: ['echo', { ref: CONNECTOR_ID, methods: ['GET'], paths: ['/me'] }] }));
  await cli(['skills', 'add', manifest]);
});

afterAll(async () => {
  for (const s of sessions) await s.close().catch(() => undefined);
  await serve?.stop();
  await upstream?.dispose();
  await oidc?.dispose();
  await home?.dispose();
});

describe('sophon mcp, driven by the official MCP SDK client over stdio', () => {
  it('with no Sophon running, stays up and says how to start one', async () => {
    const empty = await tempHome('sophon-mcp-none-');
    try {
      const lonely = await open(['--skill', 'mail-triage'], { SOPHON_HOME: empty.dir, HOME: empty.dir });
      await expect(lonely.client.listTools()).rejects.toThrow(/Sophon is not running — start the Sophon desktop app, or `sophon serve`/);
      const call = await lonely.call('list_connections');
      expect(call.isError).toBe(true);
      expect(call.text).toMatch(/^OWNER_UNREACHABLE: Sophon is not running/);
      expect(call.text).toMatch(/ask the user to start Sophon/);
      expect(lonely.stderr()).toMatch(/sophon mcp: Sophon is not running .*keeps running/);
      await lonely.close();
    } finally {
      await empty.dispose();
    }
  });

  it('lists its tools for a skill not yet approved; calls say to ask the user for approval', async () => {
    session = await open(['--skill', 'mail-triage']);
    expect(session.client.getInstructions()).toMatch(/Start with list_connections/);
    const { tools } = await session.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['http_request', 'list_connections', 'whoami']);
    const http = tools.find((t) => t.name === 'http_request')!;
    expect(http.inputSchema).toMatchObject({ type: 'object', required: ['connection', 'path'] });
    expect(Object.keys(http.inputSchema.properties ?? {}).sort()).toEqual(['body', 'connection', 'headers', 'max_bytes', 'method', 'path', 'query']);
    expect(http.description).toMatch(/Never put keys or tokens in the request/);
    const call = await session.call('list_connections');
    expect(call.isError).toBe(true);
    expect(call.text).toMatch(/^SKILL_NOT_APPROVED: skill "mail-triage" is not approved/);
    expect(call.text).toMatch(/ask the user to review and approve the skill "mail-triage" in Sophon \(`sophon skills approve mail-triage`/);
    expect(session.stderr()).toMatch(/skill "mail-triage" is not approved — run `sophon skills approve mail-triage`/);

    const unknown = await open(['--skill', 'no-such-skill']);
    const missing = await unknown.call('whoami');
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/^SKILL_NOT_FOUND: no skill "no-such-skill"/);
    await unknown.close();
  });

  it('tells the client its tools changed when the skill is approved, then lists the connections and never a secret', async () => {
    const changed = new Promise<void>((resolve) => session.client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
    await cli(['skills', 'approve', 'mail-triage']);
    await changed;
    const call = await session.call('list_connections');
    expect(call.isError, call.text).toBe(false);
    const listed = JSON.parse(call.text) as { skill: string; connections: Array<Record<string, unknown>> };
    expect(listed.skill).toBe('mail-triage');
    expect(listed.connections.map((c) => c['connection'])).toEqual(['echo:personal', 'echo:work', `${CONNECTOR_ID}:default`]);
    expect(listed.connections[1]).toMatchObject({ service: 'echo', serviceName: 'Echo API', label: 'work', state: 'active', apiBase: `${upstream.url}/api`, allowed: { methods: 'any', paths: 'any' }, whoami: 'GET /me', docs: 'https://echo.example/docs' });
    expect(listed.connections[2]).toMatchObject({ state: 'active', allowed: { methods: ['GET'], paths: ['/me'] } });
    expect(call.text).not.toMatch(/CANARY|sbt_/);
  });

  it('asks which one when a service has two granted connections, never guessing', async () => {
    const call = await session.call('http_request', { connection: 'echo', path: '/items' });
    expect(call.isError).toBe(true);
    expect(call.text).toMatch(/^AMBIGUOUS_CONNECTION: .*"echo:personal", "echo:work" — say which/);
    expect(call.text).toMatch(/call again with `connection` set to one of the connections named above/);
    const none = await session.call('whoami');
    expect(none.text).toMatch(/^AMBIGUOUS_CONNECTION: name a connection: skill "mail-triage" may use echo:personal, echo:work, oidc-test:default/);
  });

  it('reads through the broker: the upstream sees the real key, the model sees it redacted; long bodies are cut with a note', async () => {
    const call = await session.call('http_request', { connection: 'echo:work', path: '/items/42', query: { q: 'two words', n: 3 }, headers: { accept: 'application/json', authorization: 'Bearer i-tried' } });
    expect(call.isError, call.text).toBe(false);
    expect(call.text).toMatch(/^HTTP 200\n/);
    expect(call.text).toMatch(/\ncontent-type: application\/json\n/);
    expect(call.text).toMatch(/\nx-upstream: yes\n/);
    expect(seen.at(-1)?.url).toBe('/api/items/42?q=two+words&n=3');
    expect(seen.at(-1)?.headers.authorization).toBe(`Bearer ${WORK_KEY}`);
    const echoed = JSON.parse(call.text.slice(call.text.indexOf('\n\n') + 2)) as { headers: Record<string, string> };
    expect(echoed.headers['authorization']).toBe('Bearer [REDACTED]');

    const posted = await session.call('http_request', { connection: 'echo:personal', method: 'POST', path: '/notes', body: { title: 'hi' } });
    const body = JSON.parse(posted.text.slice(posted.text.indexOf('\n\n') + 2)) as { body: string; headers: Record<string, string> };
    expect(body.body).toBe('{"title":"hi"}');
    expect(body.headers['content-type']).toBe('application/json');

    const big = await session.call('http_request', { connection: 'echo:work', path: '/big' });
    expect(big.isError).toBe(false);
    expect(big.text).toMatch(/\[Sophon: the body was cut after 32768 of 184007 bytes\. Ask for less \(pagination, fields, a narrower path\) or pass max_bytes \(up to 131072\)\.\]$/);
    expect(big.text.length).toBeLessThan(34_000);

    const encoded = await session.call('http_request', { connection: 'echo:work', path: '/encoded' });
    expect(encoded.text).toContain('[REDACTED]');
  });

  it('whoami makes the service\'s identity call through the broker; a path outside the grant is refused with what to do', async () => {
    const who = await session.call('whoami', { connection: CONNECTOR_ID });
    expect(who.isError, who.text).toBe(false);
    expect(who.text).toMatch(new RegExp(`^${CONNECTOR_ID}:default \\(OIDC Test, account alice\\) — GET /me → HTTP 200: OIDC Test accepted the credential\\.`));
    expect(who.text).toMatch(/"sub"/);
    const denied = await session.call('http_request', { connection: CONNECTOR_ID, method: 'POST', path: '/me' });
    expect(denied.isError).toBe(true);
    expect(denied.text).toMatch(/^BROKER_DENIED: POST is not granted to skill "mail-triage" on oidc-test:default/);
    expect(denied.text).toMatch(/do not try to get around it/);
    const outside = await session.call('http_request', { connection: CONNECTOR_ID, path: '/../token' });
    expect(outside.isError).toBe(true);
    expect(outside.text).toMatch(/^INVALID_INPUT: the path holds a "\." or "\.\." segment/);
  });

  it('mints a token per tool call (skill, tool#call id) and revokes it when the call ends', async () => {
    const status = JSON.parse((await cli(['broker', 'status', '--json'])).stdout) as { live: unknown[] };
    expect(status.live).toEqual([]);
    const audit = JSON.parse((await cli(['audit', '--skill', 'mail-triage', '--since', '1h', '--limit', '500', '--json'])).stdout) as { entries: Array<{ action: string; tool?: string; outcome?: string; detail?: Record<string, unknown> }> };
    const mints = audit.entries.filter((e) => e.action === 'broker.mint' && e.outcome === 'ok');
    const tools = mints.map((e) => e.tool ?? '');
    expect(tools.length).toBeGreaterThanOrEqual(6);
    for (const tool of tools) expect(tool).toMatch(/^(list_connections|http_request|whoami)#\d+$/);
    expect(new Set(tools).size).toBe(tools.length);
    const revoked = new Set(audit.entries.filter((e) => e.action === 'broker.revoke').map((e) => e.detail?.['token']));
    for (const mint of mints) expect(revoked.has(mint.detail?.['token'])).toBe(true);
    // Every tool call has its line, also those that reached no connection (list_connections, a refusal before the broker).
    const calls = audit.entries.filter((e) => e.action === 'agent.tool');
    expect(calls.filter((e) => e.tool?.startsWith('list_connections#') && e.outcome === 'ok')).toHaveLength(1);
    expect(calls.filter((e) => e.outcome === 'error').map((e) => (e as { reason?: string }).reason)).toEqual(expect.arrayContaining(['SKILL_NOT_APPROVED', 'AMBIGUOUS_CONNECTION', 'BROKER_DENIED', 'INVALID_INPUT']));
  });

  it('a grant revoked at the provider mid-session: the call waits for the reconnect, else answers NEEDS_REAUTH naming the account', async () => {
    await oidc.revokeAllGrants();
    let waited = await session.call('whoami', { connection: CONNECTOR_ID });
    // An access token fetched moments ago may still be the broker's: the provider refuses it (401), and the next call's refresh finds the grant gone.
    if (/→ HTTP 401: OIDC Test rejected the credential/.test(waited.text)) waited = await session.call('whoami', { connection: CONNECTOR_ID });
    expect(waited.isError).toBe(true);
    expect(waited.text).toMatch(/^NEEDS_REAUTH: oidc-test:default needs the user to sign in again/);
    expect(waited.text).toMatch(/ask the user to reconnect default OIDC Test \(oidc-test:default\) in Sophon .*`sophon connect reauth oidc-test:default`/);
    // The owner told the person (sophon serve has no desktop: its log line stands in for the notification).
    expect(serve.output().stderr).toMatch(/sophon serve: OIDC Test needs you to sign in again — The agent skill "mail-triage" is waiting for the connection "default"/);
    const listed = JSON.parse((await session.call('list_connections', { service: CONNECTOR_ID })).text) as { connections: Array<Record<string, unknown>> };
    expect(listed.connections[0]).toMatchObject({ state: 'needs_reauth', action: 'ask the user to reconnect default OIDC Test in Sophon before using it' });

    // Asked again, it holds while the person reconnects, then answers.
    const held = session.call('whoami', { connection: CONNECTOR_ID });
    const reauth = interactive(['connect', 'reauth', `${CONNECTOR_ID}:default`, '--no-browser', '--json'], owner);
    const pasted = await completeAuthorization(String((await reauth.step('authorize'))['url']));
    reauth.child.stdin.write(`${pasted}\n`);
    await reauth.step('completed');
    expect(await reauth.exit).toBe(0);
    const after = await held;
    expect(after.isError, after.text).toBe(false);
    expect(after.text).toMatch(/HTTP 200: OIDC Test accepted the credential/);
    await eventually(async () => JSON.parse((await cli(['broker', 'status', '--json'])).stdout) as { live: unknown[] }, (s) => s.live.length === 0, 'no live tokens');
  });

  it('left the planted credentials and every broker token out of all the client received', async () => {
    const everything = sessions.flatMap((s) => [...s.received, s.stderr()]).join('\n');
    expect(everything.length).toBeGreaterThan(2000);
    for (const needle of [WORK_KEY, PERSONAL_KEY, 'CANARY', Buffer.from(WORK_KEY).toString('base64'), encodeURIComponent(WORK_KEY)]) expect(everything).not.toContain(needle);
    expect(everything).not.toMatch(/sbt_[A-Za-z0-9_-]{20}/);
    // The upstream did get the real keys, so this is not vacuous.
    expect(seen.some((s) => s.headers.authorization === `Bearer ${PERSONAL_KEY}`)).toBe(true);
  });
});
