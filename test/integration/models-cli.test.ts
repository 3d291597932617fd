import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { writeClaudeCredentials } from '../helpers/provider-env.ts';

const ACCESS = 'sk-ant-oat01-CANARYaccess0123456789';
const REFRESH = 'sk-ant-ort01-CANARYrefresh0123456789';
const SETUP = 'sk-ant-oat01-CANARYsetup0123456789';
const API_KEY = 'sk-ant-api03-CANARYkey0123456789';
const HOUR = 3_600_000;

let home: TempHome;
let env: NodeJS.ProcessEnv;
let claudeDir: string;

beforeAll(async () => {
  home = await tempHome('sophon-models-');
  claudeDir = join(home.dir, '.claude');
  env = { HOME: home.dir, SOPHON_HOME: join(home.dir, '.sophon'), SOPHON_VAULT_PASSPHRASE: 'models cli passphrase' };
});
afterAll(async () => home?.dispose());

async function writeClaude(expiresAt: number): Promise<string> {
  return writeClaudeCredentials(claudeDir, { accessToken: ACCESS, refreshToken: REFRESH, expiresAt, scopes: ['user:inference', 'user:profile'], subscriptionType: 'max' }, { mcpOAuth: {} });
}

async function snapshot(file: string): Promise<{ bytes: string; mtimeMs: number }> {
  return { bytes: (await readFile(file)).toString('base64'), mtimeMs: (await stat(file)).mtimeMs };
}

function noSecrets(text: string): void {
  expect(text).not.toContain('CANARY');
}

describe('sophon models status --check, as a real process, in a HOME holding a Claude Code credentials file', () => {
  it('exits 0, 2 and 1 as expiresAt moves from far, to within 24 h, to past, and never touches the file', async () => {
    const file = await writeClaude(Date.now() + 30 * 24 * HOUR);
    const before = await snapshot(file);
    const far = await runCli(['models', 'status', '--check'], { env });
    expect(far.code, far.stderr).toBe(0);
    expect(far.stdout).toMatch(/anthropic:claude-cli\s+cli-sync\s+usable\s+in 30d\s+max\s+0 per token \(plan\)/);
    expect(far.stdout).toContain("Each provider's terms decide whether a subscription may be used programmatically");
    expect(await snapshot(file)).toEqual(before);

    await writeClaude(Date.now() + 3 * HOUR);
    const soon = await runCli(['models', 'status', '--check', '--json'], { env });
    expect(soon.code, soon.stderr).toBe(2);
    const status = JSON.parse(soon.stdout) as { profiles: Array<{ id: string; state: string; cost?: { input: number; output: number } }>; check: { exitCode: number } };
    expect(status.check.exitCode).toBe(2);
    expect(status.profiles).toEqual([expect.objectContaining({ id: 'anthropic:claude-cli', state: 'expiring', cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 } })]);

    const expiredFile = await writeClaude(Date.now() - HOUR);
    const written = await snapshot(expiredFile);
    const past = await runCli(['models', 'status', '--check'], { env });
    expect(past.code, past.stderr).toBe(1);
    expect(past.stdout).toContain('EXPIRED');
    expect(past.stdout).toContain('`claude auth login`');
    expect(past.stderr).toBe('');
    expect(await snapshot(expiredFile)).toEqual(written);
    for (const run of [far, soon, past]) noSecrets(run.stdout + run.stderr);
  });

  it('treats malformed and unreadable files as not usable (exit 1) with the fix, without crashing', async () => {
    await mkdir(claudeDir, { recursive: true });
    const file = join(claudeDir, '.credentials.json');
    await writeFile(file, `{"claudeAiOauth": {"accessToken": "${ACCESS}"`);
    const malformed = await runCli(['models', 'status', '--check'], { env });
    expect(malformed.code).toBe(1);
    expect(malformed.stdout).toContain('is not a Claude Code credentials file (not valid JSON) — run `claude auth login`');
    noSecrets(malformed.stdout + malformed.stderr);

    await rm(file);
    await mkdir(file);
    const unreadable = await runCli(['models', 'status', '--check'], { env });
    expect(unreadable.code).toBe(1);
    expect(unreadable.stdout).toContain('cannot read ~/.claude/.credentials.json (it is a directory)');
    await rm(file, { recursive: true });
  });
});

describe('auth profiles from the CLI', () => {
  it('pastes tokens from stdin, routes them by provider, orders them per agent and links the Claude Code sign-in', async () => {
    await writeClaude(Date.now() + 30 * 24 * HOUR);
    const setup = await runCli(['models', 'auth', 'paste-token', '--provider', 'anthropic', '--profile', 'work', '--expires-in', '365d'], { env, input: `${SETUP}\n` });
    expect(setup.code, setup.stderr).toBe(0);
    expect(setup.stdout).toContain('stored anthropic:work (token, usable, expires in 365d)');
    expect(setup.stdout).toContain('confirm that your plan permits it');

    const key = await runCli(['models', 'auth', 'paste-token', '--provider', 'anthropic', '--profile', 'api', '--json'], { env, input: API_KEY });
    expect(key.code, key.stderr).toBe(0);
    expect(JSON.parse(key.stdout).profile).toMatchObject({ id: 'anthropic:api', service: 'anthropic', source: 'api-key', billing: 'per-token' });

    const tty = await runCli(['models', 'auth', 'setup-token', '--provider', 'anthropic'], { env });
    expect(tty.code).toBe(1);
    expect(tty.stderr).toMatch(/^sophon: setup-token needs an interactive terminal — pipe the token to `sophon models auth paste-token --provider anthropic` instead\n$/);

    const link = await runCli(['models', 'auth', 'sync', '--provider', 'anthropic'], { env });
    expect(link.code, link.stderr).toBe(0);
    expect(link.stdout).toContain('linked anthropic:claude-cli (cli-sync, usable');

    const set = await runCli(['models', 'auth', 'order', 'set', '--provider', 'anthropic', '--agent', 'coder', 'api', 'anthropic:claude-cli'], { env });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('anthropic (agent coder): anthropic:api → anthropic:claude-cli → anthropic:work');
    const coder = JSON.parse((await runCli(['models', 'resolve', '--provider', 'anthropic', '--agent', 'coder', '--json'], { env })).stdout) as { profile: { id: string } };
    expect(coder.profile.id).toBe('anthropic:api');
    const anyone = JSON.parse((await runCli(['models', 'resolve', '--provider', 'anthropic', '--json'], { env })).stdout) as { profile: { id: string } };
    expect(anyone.profile.id).toBe('anthropic:work');
    const cleared = await runCli(['models', 'auth', 'order', 'clear', '--provider', 'anthropic', '--agent', 'coder', '--json'], { env });
    expect(JSON.parse(cleared.stdout)).toMatchObject({ scope: 'default', explicit: [] });

    const status = await runCli(['models', 'status', '--json'], { env });
    const profiles = (JSON.parse(status.stdout) as { profiles: Array<{ id: string; source: string; connectionId?: string }> }).profiles;
    expect(profiles.map((p) => `${p.id} ${p.source}`).sort()).toEqual(['anthropic:api api-key', 'anthropic:claude-cli cli-sync', 'anthropic:work token']);
    expect(profiles.every((p) => p.connectionId)).toBe(true);

    const again = await runCli(['models', 'auth', 'paste-token', '--provider', 'anthropic', '--profile', 'work'], { env, input: SETUP });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^sophon: the profile anthropic:work exists already \(token\) — pass --profile NAME/);

    for (const run of [setup, key, link, set, status, again]) noSecrets(run.stdout + run.stderr);
    const vault = await readFile(join(home.dir, '.sophon', 'config', 'vault.enc'));
    expect(vault.includes(Buffer.from('CANARY'))).toBe(false);
    const audit = await readFile(join(home.dir, '.sophon', 'audit', 'audit.jsonl'), 'utf8');
    noSecrets(audit);
    expect(audit).toContain('"source":"claude-code"');

    // The linked Claude Code sign-in disappears: its profile is missing, and --check says so.
    await rm(join(claudeDir, '.credentials.json'));
    const gone = await runCli(['models', 'status', '--check'], { env });
    expect(gone.code).toBe(1);
    expect(gone.stdout).toMatch(/anthropic:claude-cli\s+cli-sync\s+MISSING/);
    expect(gone.stdout).toContain('check: expired or missing — anthropic:claude-cli: missing — no Claude Code sign-in found in ~/.claude/.credentials.json — run `claude auth login`');
  });
});
