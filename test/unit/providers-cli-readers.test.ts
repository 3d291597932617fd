import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SophonError } from '../../main/core/index.ts';
import { ClaudeCodeReader } from '../../main/core/providers/claude-code.ts';
import { CodexCliReader } from '../../main/core/providers/codex-cli.ts';
import { GhCliReader, parseGhHosts } from '../../main/core/providers/gh-cli.ts';
import { CliCredentialCache, type CliRead } from '../../main/core/providers/cli-credentials.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { fakeEnvironment, installStub, openaiJwt, writeClaudeCredentials } from '../helpers/provider-env.ts';

const TOKEN = 'sk-ant-oat01-CANARY-claude-access';
let home: TempHome;

beforeEach(async () => {
  home = await tempHome('sophon-providers-');
});
afterEach(async () => home.dispose());

function failure(read: CliRead): Extract<CliRead, { ok: false }> {
  if (read.ok) throw new Error('expected a failure');
  return read;
}

async function fingerprint(file: string): Promise<{ bytes: string; mtimeMs: number; mode: number }> {
  const info = await stat(file);
  return { bytes: (await readFile(file)).toString('base64'), mtimeMs: info.mtimeMs, mode: info.mode };
}

describe('Claude Code reader', () => {
  it('reads ~/.claude/.credentials.json from the HOME in the environment, ignoring other keys, and changes nothing', async () => {
    const file = await writeClaudeCredentials(join(home.dir, '.claude'), { accessToken: TOKEN, refreshToken: 'sk-ant-ort01-x', expiresAt: 1_900_000_000_000, scopes: ['user:inference'], subscriptionType: 'max' }, { mcpOAuth: { x: 1 } });
    const before = await fingerprint(file);
    const read = await new ClaudeCodeReader(fakeEnvironment({ home: home.dir })).read();
    expect(read).toEqual({ ok: true, credential: { cli: 'claude-code', token: TOKEN, expiresAt: 1_900_000_000_000, plan: 'max', location: '~/.claude/.credentials.json' } });
    expect(await fingerprint(file)).toEqual(before);
  });

  it('honours CLAUDE_CONFIG_DIR', async () => {
    const dir = join(home.dir, 'elsewhere');
    await writeClaudeCredentials(dir, { accessToken: TOKEN, expiresAt: 1_900_000_000_000 });
    const read = await new ClaudeCodeReader(fakeEnvironment({ home: home.dir, env: { CLAUDE_CONFIG_DIR: dir } })).read();
    expect(read.ok && read.credential.location).toBe('~/elsewhere/.credentials.json');
  });

  it('reports missing, malformed, wrongly shaped and unreadable stores in one line that says to run `claude auth login`, never quoting the file', async () => {
    const reader = new ClaudeCodeReader(fakeEnvironment({ home: home.dir }));
    const missing = failure(await reader.read());
    expect(missing.problem).toBe('missing');
    expect(missing.message).toMatch(/^no Claude Code sign-in found in ~\/\.claude\/\.credentials\.json — run `claude auth login`$/);

    await mkdir(join(home.dir, '.claude'), { recursive: true });
    const file = join(home.dir, '.claude', '.credentials.json');
    await writeFile(file, `{"claudeAiOauth": {"accessToken": "${TOKEN}", oops`);
    const malformed = failure(await reader.read());
    expect(malformed.problem).toBe('malformed');
    expect(malformed.message).toContain('not valid JSON');
    expect(malformed.message).toContain('claude auth login');
    expect(malformed.message).not.toContain('CANARY');

    await writeFile(file, JSON.stringify({ claudeAiOauth: { refreshToken: 'sk-ant-ort01-CANARY' } }));
    const shape = failure(await reader.read());
    expect(shape.message).toContain('claudeAiOauth.accessToken');
    expect(shape.message).not.toContain('CANARY');

    // Tests run as root, for whom chmod 000 changes nothing: a directory in place of the file cannot be read either.
    await import('node:fs/promises').then((fs) => fs.rm(file));
    await mkdir(file);
    const unreadable = failure(await reader.read());
    expect(unreadable.problem).toBe('unreadable');
    expect(unreadable.message).toMatch(/^cannot read ~\/\.claude\/\.credentials\.json \(it is a directory\) — check its permissions, or run `claude auth login`$/);
  });

  it('on macOS reads the Keychain item with the secret on stdout (never in argv), and falls back to the file', async () => {
    const json = JSON.stringify({ claudeAiOauth: { accessToken: TOKEN, expiresAt: 1_900_000_000_000, subscriptionType: 'pro' } });
    const env = fakeEnvironment({ home: home.dir, platform: 'darwin', run: () => ({ code: 0, stdout: `${json}\n` }) });
    const read = await new ClaudeCodeReader(env).read();
    expect(read.ok && read.credential).toMatchObject({ token: TOKEN, plan: 'pro', location: 'the macOS Keychain item "Claude Code-credentials"' });
    expect(env.runs).toEqual([{ command: 'security', args: ['find-generic-password', '-s', 'Claude Code-credentials', '-w'] }]);

    await writeClaudeCredentials(join(home.dir, '.claude'), { accessToken: 'sk-ant-oat01-from-file', expiresAt: 1_900_000_000_000 });
    const notInKeychain = await new ClaudeCodeReader(fakeEnvironment({ home: home.dir, platform: 'darwin', run: () => ({ code: 44, stdout: '' }) })).read();
    expect(notInKeychain.ok && notInKeychain.credential.token).toBe('sk-ant-oat01-from-file');

    const denied = failure(await new ClaudeCodeReader(fakeEnvironment({ home: home.dir, platform: 'darwin', run: () => ({ code: 51, stdout: '' }) })).read());
    expect(denied.problem).toBe('unreadable');
    expect(denied.message).toContain('security exited with 51');
  });
});

describe('CLI credential cache', () => {
  it('keeps the token until it nears expiry, then re-reads the store and picks up the CLI\'s own refresh; never writes', async () => {
    const clock = new ManualClock(Date.parse('2026-11-23T12:00:00Z'));
    const dir = join(home.dir, '.claude');
    const file = await writeClaudeCredentials(dir, { accessToken: 'sk-ant-oat01-first', expiresAt: clock.now() + 60 * 60_000 });
    const cache = new CliCredentialCache(new ClaudeCodeReader(fakeEnvironment({ home: home.dir })), clock);
    expect(await cache.credential()).toMatchObject({ credential: { token: 'sk-ant-oat01-first' }, fromStore: true });

    // Claude Code refreshes on its own; we keep the cached token while it is far from expiry.
    await writeClaudeCredentials(dir, { accessToken: 'sk-ant-oat01-second', expiresAt: clock.now() + 9 * 60 * 60_000 });
    const written = await fingerprint(file);
    await clock.advance(30 * 60_000);
    expect(await cache.credential()).toMatchObject({ credential: { token: 'sk-ant-oat01-first' }, fromStore: false });
    await clock.advance(26 * 60_000);
    expect(await cache.credential()).toMatchObject({ credential: { token: 'sk-ant-oat01-second' }, fromStore: true });
    expect(await fingerprint(file)).toEqual(written);

    // Past its expiry with no refresh by Claude Code: a clear error, not a stale token.
    await clock.advance(9 * 60 * 60_000);
    const error = await cache.credential().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SophonError);
    expect((error as SophonError).code).toBe('CLI_CREDENTIALS');
    expect((error as SophonError).message).toMatch(/expired at 2026-11-23T21:00:00Z and Claude Code has not refreshed it — run `claude` once, or `claude auth login`$/);
  });
});

describe('Codex reader', () => {
  it('reads $CODEX_HOME/auth.json: the plan and account come from the id_token claim', async () => {
    const exp = Math.floor(Date.parse('2026-12-01T00:00:00Z') / 1000);
    const dir = join(home.dir, 'codex-home');
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'auth.json');
    await writeFile(
      file,
      JSON.stringify({
        OPENAI_API_KEY: null,
        tokens: { id_token: openaiJwt({ exp, accountId: 'acct-42', plan: 'plus', email: 'a@example.com' }), access_token: openaiJwt({ exp }), refresh_token: 'rt-CANARY', account_id: 'acct-42' },
        last_refresh: '2026-11-23T10:00:00Z',
      }),
    );
    const before = await fingerprint(file);
    const read = await new CodexCliReader(fakeEnvironment({ home: home.dir, env: { CODEX_HOME: dir } })).read();
    expect(read.ok && read.credential).toMatchObject({ cli: 'codex', account: 'acct-42', plan: 'plus', email: 'a@example.com', expiresAt: exp * 1000, location: '~/codex-home/auth.json' });
    expect(await fingerprint(file)).toEqual(before);
  });

  it('tells an API-key login and a missing file apart', async () => {
    const reader = new CodexCliReader(fakeEnvironment({ home: home.dir }));
    expect(failure(await reader.read()).message).toContain('run `codex login`');
    await mkdir(join(home.dir, '.codex'));
    await writeFile(join(home.dir, '.codex', 'auth.json'), JSON.stringify({ OPENAI_API_KEY: 'sk-proj-CANARY', tokens: null }));
    const apiKey = failure(await reader.read());
    expect(apiKey.problem).toBe('not_subscription');
    expect(apiKey.message).not.toContain('CANARY');
  });
});

describe('gh reader', () => {
  const HOSTS = [
    'github.com:',
    '    users:',
    '        octocat:',
    '            oauth_token: gho_nested_not_used',
    '    git_protocol: https',
    '    oauth_token: "gho_CANARY_top"   # a comment',
    '    user: octocat',
    'ghe.example.com:',
    '    user: monalisa',
    '    git_protocol: ssh',
    '',
  ].join('\n');

  it('parses the subset of YAML gh writes', () => {
    const hosts = parseGhHosts(HOSTS);
    expect(hosts.get('github.com')).toEqual({ user: 'octocat', oauthToken: 'gho_CANARY_top' });
    expect(hosts.get('ghe.example.com')).toEqual({ user: 'monalisa' });
  });

  it('prefers GH_TOKEN / GITHUB_TOKEN, then hosts.yml in GH_CONFIG_DIR', async () => {
    const dir = join(home.dir, 'ghconf');
    await mkdir(dir);
    await writeFile(join(dir, 'hosts.yml'), HOSTS);
    const fromFile = await new GhCliReader(fakeEnvironment({ home: home.dir, env: { GH_CONFIG_DIR: dir } }), () => 'github.com').read({ needToken: true });
    expect(fromFile.ok && fromFile.credential).toMatchObject({ token: 'gho_CANARY_top', account: 'octocat', location: '~/ghconf/hosts.yml' });
    const fromEnv = await new GhCliReader(fakeEnvironment({ home: home.dir, env: { GH_CONFIG_DIR: dir, GITHUB_TOKEN: 'ghp_env' } }), () => 'github.com').read({ needToken: true });
    expect(fromEnv.ok && fromEnv.credential).toMatchObject({ token: 'ghp_env', location: '$GITHUB_TOKEN' });
    const first = await new GhCliReader(fakeEnvironment({ home: home.dir, env: { GH_TOKEN: 'ghp_first', GITHUB_TOKEN: 'ghp_env' } }), () => 'github.com').read({ needToken: true });
    expect(first.ok && first.credential.token).toBe('ghp_first');
  });

  it('asks `gh auth token` for a keyring token only when gh is installed and the token is needed', async () => {
    await mkdir(join(home.dir, '.config', 'gh'), { recursive: true });
    await writeFile(join(home.dir, '.config', 'gh', 'hosts.yml'), HOSTS);
    const without = fakeEnvironment({ home: home.dir });
    const missingGh = failure(await new GhCliReader(without, () => 'ghe.example.com').read({ needToken: true }));
    expect(missingGh.message).toContain('gh is not on PATH');
    expect(without.runs).toEqual([]);

    const gh = await installStub(home.dir, 'gh');
    const env = fakeEnvironment({ home: home.dir, run: () => ({ code: 0, stdout: 'gho_from_keyring\n' }) });
    const reader = new GhCliReader(env, () => 'ghe.example.com');
    const facts = await reader.read({ needToken: false });
    expect(facts.ok && facts.credential).toEqual({ cli: 'gh', account: 'monalisa', location: 'the OS keyring (gh:ghe.example.com)' });
    expect(env.runs).toEqual([]);
    const read = await reader.read({ needToken: true });
    expect(read.ok && read.credential.token).toBe('gho_from_keyring');
    expect(env.runs).toEqual([{ command: gh, args: ['auth', 'token', '--hostname', 'ghe.example.com'] }]);
  });
});
