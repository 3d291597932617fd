// The CLI in a real terminal (tmux), as a person runs it: no SOPHON_VAULT_PASSPHRASE, no
// owner running, prompts read from the keyboard.
import { describe, it, expect } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { disposeAfterEach } from '../helpers/cleanup.ts';
import { SOPHON, shellCommand, startTerminal, type Terminal } from '../helpers/terminal.ts';

const PASSPHRASE = 'correct horse battery';
const KEY_A = 'sk-or-v1-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const KEY_B = 'sk-or-v1-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

const disposeLater = disposeAfterEach();
let home: TempHome;

/** `sophon …` in a terminal whose only Sophon variable is SOPHON_HOME. */
async function sophonIn(dir: string, commandLine: string): Promise<Terminal> {
  return disposeLater(await startTerminal(commandLine, { env: { SOPHON_HOME: dir } }));
}

const sophon = (...args: string[]) => shellCommand(process.execPath, SOPHON, ...args);

async function listWithVariable(dir: string): Promise<Array<{ label: string }>> {
  const list = await runCli(['connect', 'list', '--json'], { env: { SOPHON_HOME: dir, SOPHON_VAULT_PASSPHRASE: PASSPHRASE } });
  expect(list.code, list.stderr).toBe(0);
  return JSON.parse(list.stdout) as Array<{ label: string }>;
}

/** A vault with one connection, made the way the README says, in a terminal. */
async function firstConnection(dir: string): Promise<void> {
  const t = await sophonIn(dir, sophon('connect', 'add', 'openrouter'));
  await t.answer(/New vault passphrase:$/, PASSPHRASE);
  await t.answer(/Repeat passphrase:$/, PASSPHRASE);
  await t.answer(/OpenRouter API key:$/, KEY_A);
  expect(await t.exitCode()).toBe(0);
  await t.dispose();
}

describe('the CLI in a real terminal, with no variable and no owner', () => {
  it('shows each prompt, hides what is typed, and creates the vault with the first connection', async () => {
    home = disposeLater(await tempHome());
    const t = await sophonIn(home.dir, sophon('connect', 'add', 'openrouter'));
    // The prompt stays on screen while the command waits (it used to be erased at once).
    await t.waitFor(/New vault passphrase:$/);
    await new Promise((r) => setTimeout(r, 300));
    expect(await t.screen()).toMatch(/New vault passphrase:$/);
    await t.type(PASSPHRASE);
    expect(await t.screen()).not.toContain('horse');
    await t.press('Enter');
    await t.answer(/Repeat passphrase:$/, PASSPHRASE);
    await t.waitFor(/OpenRouter API key:$/);
    await t.type(KEY_A);
    expect(await t.screen()).not.toContain('sk-or-v1');
    await t.press('Enter');
    const done = await t.waitFor(/connected openrouter as "default"/);
    expect(await t.exitCode()).toBe(0);
    expect(done).not.toContain(KEY_A);
    expect(done).not.toContain(PASSPHRASE);
    expect((await listWithVariable(home.dir)).map((c) => c.label)).toEqual(['default']);
  });

  it('asks again when the new passphrases differ or are too short', async () => {
    home = disposeLater(await tempHome());
    const t = await sophonIn(home.dir, sophon('connect', 'add', 'openrouter'));
    await t.answer(/New vault passphrase:$/, 'short');
    await t.answer(/shorter than 8 characters — try again \(2 of 3\)\.\nNew vault passphrase:$/, PASSPHRASE);
    await t.answer(/Repeat passphrase:$/, 'something else');
    await t.answer(/The two passphrases differ — try again \(3 of 3\)\.\nNew vault passphrase:$/, PASSPHRASE);
    await t.answer(/Repeat passphrase:$/, PASSPHRASE);
    await t.answer(/OpenRouter API key:$/, KEY_A);
    expect(await t.exitCode()).toBe(0);
    expect(await listWithVariable(home.dir)).toHaveLength(1);
  });

  it('with the key piped on stdin, asks the passphrase on the terminal and lets a wrong one be typed again', async () => {
    home = disposeLater(await tempHome());
    await firstConnection(home.dir);
    const t = await sophonIn(home.dir, `printf %s ${KEY_B} | ${sophon('connect', 'add', 'openrouter', '--label', 'b')}`);
    await t.answer(/Vault passphrase:$/, 'not the passphrase');
    await t.answer(/does not open the vault — try again \(2 of 3\)\.\nVault passphrase:$/, PASSPHRASE);
    const done = await t.waitFor(/connected openrouter as "b"/);
    expect(await t.exitCode()).toBe(0);
    expect(done).not.toContain(KEY_B);
    expect((await listWithVariable(home.dir)).map((c) => c.label).sort()).toEqual(['b', 'default']);
  });

  it('gives up after three wrong passphrases, changing nothing', async () => {
    home = disposeLater(await tempHome());
    await firstConnection(home.dir);
    const before = await readFile(join(home.dir, 'config', 'vault.enc'));
    const t = await sophonIn(home.dir, sophon('connect', 'list'));
    for (const attempt of [1, 2, 3]) {
      await t.waitFor(attempt === 1 ? /Vault passphrase:$/ : new RegExp(`try again \\(${attempt} of 3\\)\\.\\nVault passphrase:$`));
      await t.type(`wrong passphrase ${attempt}`);
      await t.press('Enter');
    }
    const screen = await t.waitFor(/sophon: .*\(3 tries\)/);
    expect(await t.exitCode()).toBe(1);
    expect(screen).toMatch(/the passphrase did not open vault\.enc \(3 tries\) — nothing was changed; run the command again/);
    expect(await readFile(join(home.dir, 'config', 'vault.enc'))).toEqual(before);
  });

  it('Ctrl-C at a prompt cancels cleanly', async () => {
    home = disposeLater(await tempHome());
    await firstConnection(home.dir);
    const t = await sophonIn(home.dir, sophon('connect', 'list'));
    await t.waitFor(/Vault passphrase:$/);
    await t.press('C-c');
    const screen = await t.waitFor(/sophon: cancelled at the prompt/);
    expect(await t.exitCode()).toBe(1);
    expect(screen).not.toMatch(/unexpected|report it/);
    // The terminal is back in its normal mode: the shell would echo again.
  });
});
