import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { runCli, startCli } from '../helpers/run-cli.ts';
import { eventually, interactive as interactiveIn } from '../helpers/cli-steps.ts';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.ts';
import { completeAuthorization, approveDeviceCode } from '../helpers/oidc-user-agent.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { CONNECTOR_ID, writeOAuthHome } from '../helpers/oauth-fixture.ts';

let server: OidcServer;
let home: TempHome;
let env: NodeJS.ProcessEnv;
let serve: ReturnType<typeof startCli>;

beforeAll(async () => {
  server = await startOidcServer({ accessTokenTtl: 6, deviceInterval: 1 });
  home = await tempHome();
  await writeOAuthHome(home.dir, server, { Lifecycle: { RefreshMarginSeconds: 60, JitterSeconds: 0 } });
  env = { SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'oauth cli passphrase', HOME: home.dir };
  serve = startCli(['serve'], { env, ready: /listening on/ });
  await serve.ready;
});
afterAll(async () => {
  await serve?.stop();
  await server?.dispose();
  await home?.dispose();
});

const interactive = (args: string[]) => interactiveIn(args, env);

async function status(ref: string): Promise<{ state: string; lastRefreshAt?: string; authMethod: string }> {
  const result = await runCli(['connect', 'status', ref, '--json'], { env });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { state: string; lastRefreshAt?: string; authMethod: string };
}

describe('a custom connector from the CLI, against a standards-compliant server, through sophon serve', () => {
  it('connects by the loopback flow, is refreshed in the background, and once revoked needs re-auth', async () => {
    const add = interactive(['connect', 'add', CONNECTOR_ID, '--no-browser', '--json']);
    const authorize = await add.step('authorize');
    const redirect = await completeAuthorization(String(authorize['url']));
    expect((await fetch(redirect)).status).toBe(200);
    const completed = await add.step('completed');
    expect(await add.exit).toBe(0);
    const id = (completed['connection'] as { id: string }).id;

    const refreshed = await eventually(() => status(id), (s) => s.lastRefreshAt !== undefined, 'a background refresh');
    expect(refreshed.state).toBe('active');

    await server.revokeAllGrants();
    const dead = await eventually(() => status(id), (s) => s.state === 'needs_reauth', 'needs_reauth');
    expect(dead.state).toBe('needs_reauth');
    const human = await runCli(['connect', 'status', id], { env });
    expect(human.stdout).toContain('NEEDS RE-AUTH');

    // Reconnect by pasting the redirected address (a machine whose browser is elsewhere).
    const reauth = interactive(['connect', 'reauth', id, '--no-browser', '--json']);
    const again = await reauth.step('authorize');
    const pasted = await completeAuthorization(String(again['url']));
    reauth.child.stdin.write(`${pasted}\n`);
    await reauth.step('completed');
    expect(await reauth.exit).toBe(0);
    expect((await status(id)).state).toBe('active');
  });

  it('connects by the device flow', async () => {
    const add = interactive(['connect', 'add', CONNECTOR_ID, '--device', '--label', 'tv', '--json', '--no-browser']);
    const device = await add.step('device_code');
    expect(device['userCode']).toBeTruthy();
    await approveDeviceCode(String(device['verificationUri']), String(device['userCode']));
    const completed = await add.step('completed');
    expect(await add.exit).toBe(0);
    expect(completed['connection']).toMatchObject({ label: 'tv', authMethod: 'device', state: 'active' });
    const list = JSON.parse((await runCli(['connect', 'list', '--json'], { env })).stdout) as Array<{ label: string }>;
    expect(list.map((c) => c.label).sort()).toEqual(['default', 'tv']);
  });
});
