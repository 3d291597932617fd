import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

/*
 * `sophon connect configure` as a person runs it: no owner running, the CLI opening the vault for
 * one command; piped (scripts) and in a real pseudo-terminal (util-linux `script`), where it asks.
 */

let home: TempHome | undefined;
afterEach(async () => {
  await home?.dispose();
  home = undefined;
});

async function envFor(): Promise<NodeJS.ProcessEnv> {
  home = await tempHome('sophon-configure-');
  return { SOPHON_HOME: home.dir, HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'configure cli passphrase' };
}

/** Runs `sophon …` on a pseudo-terminal; `answers` are typed one line at a time once the CLI is waiting. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv, answers: string[]): Promise<{ code: number; screen: string }> {
  return new Promise((resolve, reject) => {
    const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('script', ['-qefc', command, '/dev/null'], { env: { PATH: process.env['PATH'], TERM: 'dumb', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    const pending = [...answers];
    const onData = (d: Buffer) => {
      screen += d.toString('utf8');
      // Type the next answer when a prompt ends the screen (as a person does).
      if (/: $/.test(screen) && pending.length > 0) child.stdin.write(`${pending.shift()}\r`);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out; screen:\n${screen}`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, screen });
    });
  });
}

describe('sophon connect configure', () => {
  it('piped: Gmail without its secret is refused with the fix, and nothing is stored', async () => {
    const env = await envFor();
    const refused = await runCli(['connect', 'configure', 'gmail', '--client-id', '1234-abc.apps.googleusercontent.com'], { env });
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toContain('Gmail requires the client secret for the browser sign-in');
    expect(refused.stderr).toMatch(/Gmail requires the client secret — nothing was stored; pipe it: .*--client-secret-stdin/);
    // A client stored by `connect configure` is in the vault (`sophon catalog` reads no vault): `connect add` would find it.
    const add = await runCli(['connect', 'add', 'gmail', '--no-browser', '--json'], { env });
    expect(JSON.parse(add.stdout.trim().split('\n').at(-1)!)).toMatchObject({ ok: false, error: { code: 'OAUTH_CLIENT_MISSING' } });
  });

  it('piped: Dropbox prints the exact redirect URI to register (fixed port) before storing the client', async () => {
    const env = await envFor();
    const result = await runCli(['connect', 'configure', 'dropbox', '--client-id', 'dbx-app-key'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Redirect URI to register, exactly as written:\n    http://127.0.0.1:53682/oauth/callback');
    expect(result.stdout).toContain('Sophon.Services.dropbox.loopbackPort');
    expect(result.stdout).toContain('OAuth client dbx-app-key — now run `sophon connect add dropbox`');
  });

  it('on a terminal: Gmail shows the redirect, asks for the client id, then the secret hidden, and stores both', async () => {
    const env = await envFor();
    const { code, screen } = await onTerminal(['connect', 'configure', 'gmail'], env, ['1234-abc.apps.googleusercontent.com', 'GOCSPX-terminal-secret']);
    expect(code, screen).toBe(0);
    expect(screen).toContain('Sophon returns to http://127.0.0.1:{any free port}/oauth/callback');
    expect(screen).toContain('Client id: ');
    expect(screen).not.toContain('GOCSPX-terminal-secret');
    expect(screen).toContain('(with secret, kept in the vault)');
  });
});
