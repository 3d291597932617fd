import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, runCli, startCli, type CliResult } from '../helpers/run-cli.ts';
import { eventually } from '../helpers/cli-steps.ts';
import { startAnthropicApi, startOpenAIApi } from '../helpers/model-api-standins.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

const OPENAI_KEY = 'sk-proj-CANARY-openai-0123456789abcdef';
const ANTHROPIC_KEY = 'sk-ant-api03-CANARY-anthropic-0123456789';
const CLAUDE_OAUTH = 'sk-ant-oat01-CANARY-subscription-0123456789';
const GH_REAL = 'ghp_CANARYrealGitHubToken0123456789ab';
const PLANTED = [OPENAI_KEY, ANTHROPIC_KEY, CLAUDE_OAUTH, GH_REAL, 'CANARY'];
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

let home: TempHome;
let owner: NodeJS.ProcessEnv;
let openai: Awaited<ReturnType<typeof startOpenAIApi>>;
let anthropic: Awaited<ReturnType<typeof startAnthropicApi>>;
let serve: ReturnType<typeof startCli>;
let proxy: string;
const outputs: string[] = [];

/**
 * What a person's shell has when they type `sophon run …`: their own variables, perhaps a
 * real key left over, perhaps the vault passphrase exported for `sophon serve`.
 */
function shell(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { SOPHON_HOME: home.dir, HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'run test passphrase', OPENAI_API_KEY: OPENAI_KEY, GH_TOKEN: GH_REAL, ...extra };
}

async function run(args: string[], env = shell()): Promise<CliResult> {
  const result = await runCli(['run', ...args], { env });
  outputs.push(result.stdout, result.stderr);
  return result;
}

async function cli(args: string[], input?: string): Promise<CliResult> {
  const result = await runCli(args, { env: owner, ...(input !== undefined ? { input } : {}) });
  expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result;
}

async function dumped(file: string): Promise<Record<string, string>> {
  const text = await readFile(file, 'utf8');
  outputs.push(text);
  return JSON.parse(text) as Record<string, string>;
}

type AuditEntry = { action: string; tool?: string; outcome?: string; detail?: Record<string, unknown> };
async function calls(): Promise<AuditEntry[]> {
  const audit = JSON.parse((await cli(['audit', '--skill', 'writer', '--since', '1h', '--limit', '500', '--json'])).stdout) as { entries: AuditEntry[] };
  return audit.entries.filter((e) => e.action === 'broker.call');
}

beforeAll(async () => {
  home = await tempHome('sophon-run-');
  openai = await startOpenAIApi(OPENAI_KEY);
  anthropic = await startAnthropicApi({ apiKey: ANTHROPIC_KEY, oauthToken: CLAUDE_OAUTH });
  await mkdir(join(home.dir, 'config'), { recursive: true });
  // The stand-ins are the services' base URLs, the way a person points Sophon at a gateway.
  await writeFile(
    join(home.dir, 'config', 'appsettings.json'),
    JSON.stringify({ Sophon: { Services: { openai: { baseUrl: openai.url }, anthropic: { baseUrl: anthropic.url }, 'anthropic-subscription': { baseUrl: anthropic.url } } } }),
  );
  owner = { SOPHON_HOME: home.dir, HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'run test passphrase' };
  serve = startCli(['serve'], { env: owner, ready: /listening on/ });
  await serve.ready;
  proxy = /broker proxy on (http:\/\/127\.0\.0\.1:\d+)\/proxy/.exec(serve.output().stderr)?.[1] ?? '';
  await cli(['connect', 'add', 'openai'], `${OPENAI_KEY}\n`);
  await cli(['connect', 'add', 'anthropic', '--label', 'console'], `${ANTHROPIC_KEY}\n`);
  await cli(['models', 'auth', 'paste-token', '--provider', 'anthropic', '--profile', 'sub'], CLAUDE_OAUTH);
  await cli(['models', 'auth', 'order', 'set', '--provider', 'anthropic', '--agent', 'claude-desktop', 'sub', 'console']);
  await cli(['models', 'auth', 'order', 'set', '--provider', 'anthropic', '--agent', 'ci', 'console', 'sub']);
  const manifest = join(home.dir, 'writer.json');
  await writeFile(manifest, JSON.stringify({ id: 'writer', name: 'Writer', credentials: ['openai', 'anthropic', 'anthropic-subscription'] }));
  await cli(['skills', 'add', manifest]);
  await cli(['skills', 'approve', 'writer']);
});

afterAll(async () => {
  await serve?.stop();
  await openai?.dispose();
  await anthropic?.dispose();
  await home?.dispose();
});

describe('sophon run: unmodified programs on the official SDKs, through the broker', () => {
  it('runs an OpenAI SDK program: the upstream sees the real key, the child only a broker token that dies with it', async () => {
    const dump = join(home.dir, 'openai-env.json');
    const result = await run(['--skill', 'writer', '--', process.execPath, fixture('openai-app.mjs')], shell({ ENV_DUMP: dump }));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('openai says hello to "hi there"\n');
    expect(openai.requests.at(-1)?.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    const env = await dumped(dump);
    expect(env['OPENAI_BASE_URL']).toBe(`${proxy}/proxy/openai/v1`);
    expect(env['OPENAI_API_KEY']).toMatch(/^sbt_[A-Za-z0-9_-]{43}$/);
    expect(env['ANTHROPIC_BASE_URL']).toBe(`${proxy}/proxy/anthropic`);
    expect(env['ANTHROPIC_API_KEY']).toBe(env['OPENAI_API_KEY']);
    expect(env['SOPHON_BROKER_URL']).toBe(`${proxy}/proxy`);
    // No Sophon secret and no real credential: the passphrase and the shell's own keys are gone.
    expect(env['SOPHON_VAULT_PASSPHRASE']).toBeUndefined();
    expect(env['GH_TOKEN']).toBeUndefined();
    expect(env['SOPHON_HOME']).toBe(home.dir);
    expect(result.stderr).toMatch(/sophon run: not passed on: GH_TOKEN, SOPHON_VAULT_PASSPHRASE \(the child gets broker tokens instead\)/);
    expect(result.stderr).toMatch(/sophon run: node runs for skill writer\/node with broker token btk_[a-f0-9]{16} \(anthropic:console, anthropic-subscription:sub, openai:default\); set ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, OPENAI_API_KEY, OPENAI_BASE_URL, SOPHON_BROKER_TOKEN, SOPHON_BROKER_URL/);
    const after = await fetch(`${env['OPENAI_BASE_URL']}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${env['OPENAI_API_KEY']}`, 'content-type': 'application/json' }, body: '{}' });
    outputs.push(await after.text());
    expect(after.status).toBe(401);
  });

  it('runs an Anthropic SDK program by auth profile: the agent\'s order picks the Claude subscription, audited at cost 0', async () => {
    const result = await run(['--skill', 'writer', '--agent', 'claude-desktop', '--', process.execPath, fixture('anthropic-app.mjs')]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('claude (subscription) says hello to "hi there"\n');
    expect(anthropic.used.at(-1)).toBe('oauth');
    const line = (await calls()).find((c) => c.detail?.['path'] === '/v1/messages');
    expect(line).toMatchObject({ outcome: 'ok', tool: 'node', detail: { status: 200, profile: 'anthropic:sub', billing: 'subscription', cost: 0 } });
  });

  it('another agent\'s order picks the API key: the SDK\'s Authorization header becomes x-api-key, billed per token', async () => {
    const result = await run(['--skill', 'writer', '--agent', 'ci', '--tool', 'nightly', '--', process.execPath, fixture('anthropic-app.mjs')]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('claude (api key) says hello to "hi there"\n');
    expect(anthropic.used.at(-1)).toBe('api-key');
    expect(anthropic.requests.at(-1)?.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    const line = (await calls()).find((c) => c.tool === 'nightly');
    expect(line?.detail).toMatchObject({ profile: 'anthropic:console', billing: 'per-token' });
    expect(line?.detail?.['cost']).toBeUndefined();
  });

  it('takes the token where Claude Code puts ANTHROPIC_API_KEY (x-api-key) and never forwards it', async () => {
    const script = "const r = await fetch(process.env.ANTHROPIC_BASE_URL + '/v1/messages', { method: 'POST', headers: { 'x-api-key': process.env.ANTHROPIC_API_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'ping' }] }) }); console.log(r.status, (await r.json()).content[0].text)";
    const result = await run(['--skill', 'writer', '--agent', 'ci', '--', process.execPath, '--input-type=module', '-e', script]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('200 claude (api key) says hello to "ping"\n');
    const seen = anthropic.requests.at(-1)!;
    expect(seen.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(JSON.stringify(seen.headers)).not.toMatch(/sbt_/);
  });

  it('exits with the child\'s status; its own failures are 125, 126 and 127 with a line saying why', async () => {
    expect((await run(['--skill', 'writer', '--', process.execPath, fixture('run-child.mjs'), 'exit', '7'])).code).toBe(7);
    const missing = await run(['--skill', 'writer', '--', 'no-such-program-anywhere']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/sophon run: no-such-program-anywhere: not found — check the name, or give its path/);
    const directory = await run(['--skill', 'writer', '--', home.dir]);
    expect(directory.code).toBe(126);
    const unknown = await run(['--skill', 'nobody', '--', process.execPath, '-e', '']);
    expect(unknown.code).toBe(125);
    expect(unknown.stderr).toBe('sophon: no skill "nobody" — add its manifest with `sophon skills add <manifest.json>`, or see `sophon skills list`\n');
    const empty = await tempHome('sophon-run-none-');
    try {
      const none = await run(['--skill', 'writer', '--', process.execPath, '-e', 'console.log("never")'], { SOPHON_HOME: empty.dir, HOME: empty.dir });
      expect(none.code).toBe(125);
      expect(none.stdout).toBe('');
      expect(none.stderr).toBe('sophon: Sophon is not running — start the Sophon desktop app, or `sophon serve` in another terminal, then try again\n');
    } finally {
      await empty.dispose();
    }
  });

  it('passes SIGTERM on to the child and exits as it does; dies by the signal that killed the child', async () => {
    const child = spawn(process.execPath, [BIN, 'run', '--skill', 'writer', '--', process.execPath, fixture('run-child.mjs'), 'wait'], { env: { PATH: process.env['PATH'], ...shell() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await eventually(async () => stdout, (s) => s.includes('ready'), 'the child to start');
    const live = JSON.parse((await cli(['broker', 'status', '--json'])).stdout) as { live: Array<{ tool: string }> };
    expect(live.live.map((t) => t.tool)).toEqual(['node']);
    child.kill('SIGTERM');
    expect(await exited).toBe(42);
    expect(stdout).toBe('ready\nchild got SIGTERM\n');

    const dying = spawn(process.execPath, [BIN, 'run', '--skill', 'writer', '--', process.execPath, fixture('run-child.mjs'), 'die', 'SIGTERM'], { env: { PATH: process.env['PATH'], ...shell() }, stdio: 'ignore' });
    const end = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => dying.on('close', (code, signal) => resolve({ code, signal })));
    expect(end).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('a `sophon run` killed outright loses its child\'s token at once (bound to its connection to the owner)', async () => {
    const dump = join(home.dir, 'killed-env.json');
    const script = `require('node:fs').writeFileSync(${JSON.stringify(dump)}, process.pid + ' ' + process.env.SOPHON_BROKER_TOKEN); setInterval(() => {}, 1000)`;
    const child = spawn(process.execPath, [BIN, 'run', '--skill', 'writer', '--', process.execPath, '-e', script], { env: { PATH: process.env['PATH'], ...shell() }, stdio: 'ignore' });
    const written = await eventually(() => readFile(dump, 'utf8').catch(() => ''), (t) => / sbt_/.test(t), 'the child to write its token');
    const [grandchild, token] = written.split(' ') as [string, string];
    const ok = await fetch(`${proxy}/proxy/openai/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ content: 'x' }] }) });
    expect(ok.status).toBe(200);
    child.kill('SIGKILL');
    await eventually(
      async () => (await fetch(`${proxy}/proxy/openai/v1/models`, { headers: { authorization: `Bearer ${token}` } })).status,
      (status) => status === 401,
      'the token to be revoked',
    );
    // The orphaned program outlives a SIGKILLed sophon run (nothing could tell it); end it by its pid.
    process.kill(Number(grandchild), 'SIGTERM');
  });

  it('left the planted credentials out of every output, environment and log', async () => {
    outputs.push(serve.output().stdout, serve.output().stderr);
    const all = outputs.join('\n');
    expect(all.length).toBeGreaterThan(500);
    for (const needle of PLANTED) expect(all).not.toContain(needle);
  });
});
