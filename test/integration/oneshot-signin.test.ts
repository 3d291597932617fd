// Every sign-in that waits (device polling, the loopback listener, a pasted address) finishes
// with NO owner running: the CLI opens the vault itself and stays alive until the sign-in ends.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.ts';
import { interactive } from '../helpers/cli-steps.ts';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.ts';
import { approveDeviceCode, completeAuthorization } from '../helpers/oidc-user-agent.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { CONNECTOR_ID, writeOAuthHome } from '../helpers/oauth-fixture.ts';
import { startGithubStandin } from '../helpers/github-standin.ts';
import { SOPHON, shellCommand, startTerminal } from '../helpers/terminal.ts';
import { readLock } from '../../main/core/index.ts';

let server: OidcServer;
let home: TempHome;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startOidcServer({ deviceInterval: 1 });
  home = await tempHome();
  await writeOAuthHome(home.dir, server);
  env = { SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'one-shot passphrase', HOME: home.dir };
});
afterAll(async () => {
  await server?.dispose();
  await home?.dispose();
});

const socket = () => join(home.dir, 'run', 'sophon.sock');

async function connection(id: string): Promise<{ state: string; authMethod: string; label: string }> {
  const result = await runCli(['connect', 'status', id, '--json'], { env });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { state: string; authMethod: string; label: string };
}

describe('waiting sign-ins in one-shot mode (no sophon serve)', () => {
  it('connect add --device polls the token endpoint until the code is approved', async () => {
    const add = interactive(['connect', 'add', CONNECTOR_ID, '--device', '--label', 'tv', '--no-browser', '--json'], env);
    const device = await add.step('device_code');
    expect(existsSync(socket())).toBe(false);
    // A person takes a while to find the code on another device: the CLI keeps polling meanwhile.
    await new Promise((r) => setTimeout(r, 2500));
    expect(add.child.exitCode).toBeNull();
    await approveDeviceCode(String(device['verificationUri']), String(device['userCode']));
    const completed = await add.step('completed');
    expect(await add.exit, add.stderr()).toBe(0);
    expect(completed['connection']).toMatchObject({ label: 'tv', authMethod: 'device', state: 'active' });
    expect(server.tokenRequests.filter((r) => r.error === 'authorization_pending').length).toBeGreaterThan(0);
  });

  it('connect reauth (device) waits for the new consent too', async () => {
    const id = 'oidc-test:tv';
    const reauth = interactive(['connect', 'reauth', id, '--device', '--no-browser', '--json'], env);
    const device = await reauth.step('device_code');
    await approveDeviceCode(String(device['verificationUri']), String(device['userCode']));
    await reauth.step('completed');
    expect(await reauth.exit, reauth.stderr()).toBe(0);
    expect((await connection(id)).state).toBe('active');
  });

  it('connect add in the browser keeps its loopback listener open until the redirect arrives', async () => {
    const add = interactive(['connect', 'add', CONNECTOR_ID, '--label', 'web', '--no-browser', '--json'], env);
    const authorize = await add.step('authorize');
    await new Promise((r) => setTimeout(r, 1000));
    expect(add.child.exitCode).toBeNull();
    const redirect = await completeAuthorization(String(authorize['url']));
    expect(new URL(redirect).hostname).toBe('127.0.0.1');
    expect((await fetch(redirect)).status).toBe(200);
    await add.step('completed');
    expect(await add.exit, add.stderr()).toBe(0);
  });

  it('connect reauth takes the address pasted back (the browser on another machine)', async () => {
    const reauth = interactive(['connect', 'reauth', 'oidc-test:web', '--no-browser', '--json'], env);
    const authorize = await reauth.step('authorize');
    const pasted = await completeAuthorization(String(authorize['url']));
    reauth.child.stdin.write(`${pasted}\n`);
    await reauth.step('completed');
    expect(await reauth.exit, reauth.stderr()).toBe(0);
    expect((await connection('oidc-test:web')).state).toBe('active');
  });

  it('Ctrl-C while waiting withdraws the sign-in and stores nothing', async () => {
    const add = interactive(['connect', 'add', CONNECTOR_ID, '--device', '--label', 'abandoned', '--no-browser', '--json'], env);
    await add.step('device_code');
    add.child.kill('SIGINT');
    expect(await add.exit).toBe(130);
    expect(add.stderr()).toMatch(/^sophon: sign-in cancelled \(Ctrl-C\) — nothing was stored\n$/);
    const list = JSON.parse((await runCli(['connect', 'list', '--json'], { env })).stdout) as Array<{ label: string }>;
    expect(list.map((c) => c.label)).not.toContain('abandoned');
    // The lock was released: the next command did not have to take over a stale one.
    expect(await readLock(join(home.dir, 'run', 'owner.lock'))).toBeUndefined();
  });

  it('models auth login --provider github-copilot polls GitHub and checks the seat, with no owner', async () => {
    const standin = await startGithubStandin({ polls: ['authorization_pending', 'authorization_pending', 'approve'], interval: 1 });
    const copilotHome = await tempHome();
    try {
      await mkdir(join(copilotHome.dir, 'config'), { recursive: true });
      await writeFile(
        join(copilotHome.dir, 'config', 'appsettings.json'),
        JSON.stringify({ Sophon: { Services: { 'github-copilot': { deviceAuthorizationEndpoint: `${standin.url}/login/device/code`, tokenEndpoint: `${standin.url}/login/oauth/access_token`, githubApiUrl: standin.url } } } }),
      );
      const copilotEnv = { SOPHON_HOME: copilotHome.dir, SOPHON_VAULT_PASSPHRASE: 'one-shot passphrase', HOME: copilotHome.dir };
      const login = interactive(['models', 'auth', 'login', '--provider', 'github-copilot', '--no-browser', '--json'], copilotEnv);
      expect((await login.step('device_code'))['userCode']).toBe('WDJB-MJHT');
      await login.step('completed');
      expect(await login.step('copilot')).toMatchObject({ ok: true });
      expect(await login.exit, login.stderr()).toBe(0);
      expect(standin.state.pollTimes.length).toBe(3);
    } finally {
      await standin.dispose();
      await copilotHome.dispose();
    }
  });

  it('in a terminal with no variable: the passphrase is asked, the code shown, and the sign-in finishes', async () => {
    const fresh = await tempHome();
    await writeOAuthHome(fresh.dir, server);
    const terminal = await startTerminal(shellCommand(process.execPath, SOPHON, 'connect', 'add', CONNECTOR_ID, '--device', '--no-browser'), { env: { SOPHON_HOME: fresh.dir } });
    try {
      await terminal.answer(/New vault passphrase:$/, 'terminal passphrase');
      await terminal.answer(/Repeat passphrase:$/, 'terminal passphrase');
      const screen = await terminal.waitFor(/enter the code:\n\n\s+(\S+)\n/);
      const verificationUri = /open (\S+) and enter the code/.exec(screen)?.[1];
      const userCode = /enter the code:\n\n\s+(\S+)\n/.exec(screen)?.[1];
      await approveDeviceCode(String(verificationUri), String(userCode));
      await terminal.waitFor(/connected oidc-test as "default"/);
      expect(await terminal.exitCode()).toBe(0);
    } finally {
      await terminal.dispose();
      await fresh.dispose();
    }
  });
});
