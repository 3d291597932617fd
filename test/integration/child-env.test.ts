import { describe, it, expect, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeProviderEnvironment } from '../../main/core/index.ts';
import { BIN, startCli } from '../helpers/run-cli.ts';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.ts';
import { completeAuthorization } from '../helpers/oidc-user-agent.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { CONNECTOR_ID, writeOAuthHome } from '../helpers/oauth-fixture.ts';

const PASSPHRASE = 'CANARY-passphrase-in-the-environment';
/** A team vault backend's store credentials: whoever holds one reads the whole vault prefix. */
const STORE = {
  VAULT_TOKEN: 'CANARY-hvs-token',
  AWS_ACCESS_KEY_ID: 'CANARY-AKIA',
  AWS_SECRET_ACCESS_KEY: 'CANARY-aws-secret',
  AWS_SESSION_TOKEN: 'CANARY-aws-session',
  AZURE_CLIENT_SECRET: 'CANARY-azure-secret',
  azure_password: 'CANARY-azure-password-lower-case',
};
/** Settings that are not secrets pass on as before. */
const PLAIN = { AWS_REGION: 'eu-west-1', AZURE_TENANT_ID: 'tenant-1' };

function expectNoStoreCredentials(seen: string): void {
  for (const value of Object.values(STORE)) expect(seen).not.toContain(value);
  expect(seen).toContain('AWS_REGION=eu-west-1');
  expect(seen).toContain('AZURE_TENANT_ID=tenant-1');
}
let home: TempHome;
let server: OidcServer | undefined;
afterAll(async () => {
  await server?.dispose();
  await home?.dispose();
});

/** A stand-in program on PATH that writes the environment it was given, then its arguments, to a file. */
async function recorder(bin: string, name: string, dump: string, stdout = ''): Promise<void> {
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, name), `#!/bin/sh\nenv > "${dump}.tmp"\nprintf '%s\\n' "$@" >> "${dump}.tmp"\nmv "${dump}.tmp" "${dump}"\nprintf '%s' '${stdout}'\n`);
  await chmod(join(bin, name), 0o755);
}

async function waitForFile(file: string): Promise<string> {
  for (let i = 0; i < 400; i++) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${file} never appeared`);
}

describe('programs Sophon starts get an environment without its secrets', () => {
  it('the browser opener of `sophon connect add` (xdg-open) never sees SOPHON_VAULT_PASSPHRASE or a store credential', async () => {
    home = await tempHome();
    server = await startOidcServer();
    await writeOAuthHome(home.dir, server);
    const bin = join(home.dir, 'bin');
    const dump = join(home.dir, 'xdg-open.env');
    await recorder(bin, 'xdg-open', dump);
    const env = { SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: PASSPHRASE, HOME: home.dir, PATH: `${bin}:${process.env['PATH']}` };
    const serve = startCli(['serve'], { env, ready: /listening on/ });
    // The CLI that opens the browser holds them (the local vault does not use them: they only have to be there).
    const cliEnv = { ...env, ...STORE, ...PLAIN };
    await serve.ready;
    try {
      const add = spawn(process.execPath, [BIN, 'connect', 'add', CONNECTOR_ID, '--json'], { env: cliEnv, stdio: ['pipe', 'pipe', 'pipe'] });
      const exit = new Promise<number | null>((resolve) => add.on('close', resolve));
      const seen = await waitForFile(dump);
      expect(seen).toContain(`HOME=${home.dir}`);
      expect(seen).not.toContain(PASSPHRASE);
      expect(seen).not.toMatch(/^SOPHON_/m);
      expectNoStoreCredentials(seen);
      // The browser (here: the test) signs in at the URL it was given, and the command completes.
      const url = seen.trim().split('\n').at(-1) as string;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.*auth/);
      const redirect = await completeAuthorization(url);
      expect((await fetch(redirect)).status).toBe(200);
      expect(await exit).toBe(0);
    } finally {
      await serve.stop();
    }
  });

  it('`gh auth token` and other reader commands run without it or a store credential (real child process)', async () => {
    home ??= await tempHome();
    const bin = join(home.dir, 'bin-gh');
    const dump = join(home.dir, 'gh.env');
    await recorder(bin, 'gh', dump, 'gho_from_gh');
    const environment = nodeProviderEnvironment({ PATH: `${bin}:/usr/bin:/bin`, HOME: home.dir, GH_CONFIG_DIR: join(home.dir, 'gh'), SOPHON_VAULT_PASSPHRASE: PASSPHRASE, SOPHON_HOME: home.dir, ...STORE, ...PLAIN });
    const result = await environment.run(join(bin, 'gh'), ['auth', 'token', '--hostname', 'github.com']);
    expect(result).toEqual({ code: 0, stdout: 'gho_from_gh' });
    const seen = await readFile(dump, 'utf8');
    expect(seen).toContain(`GH_CONFIG_DIR=${join(home.dir, 'gh')}`);
    expect(seen).not.toContain(PASSPHRASE);
    expect(seen).not.toMatch(/^SOPHON_/m);
    expectNoStoreCredentials(seen);
  });
});
