// `sophon connect add mail` in a real terminal (tmux) as a person runs it: no variable but
// SOPHON_HOME, no owner running, a new vault, every answer typed at the keyboard.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { disposeAfterEach } from '../helpers/cleanup.ts';
import { SOPHON, shellCommand, startTerminal } from '../helpers/terminal.ts';
import { ALICE, startMailFixture, type MailFixture } from '../helpers/mail-fixture.ts';

const PASSPHRASE = 'a passphrase typed twice';
const disposeLater = disposeAfterEach();
let fx: MailFixture;

beforeAll(async () => {
  fx = await startMailFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const sophon = (...args: string[]) => shellCommand(process.execPath, SOPHON, ...args);

describe('connecting a mailbox in a real terminal', () => {
  it('asks for the address, username, servers and a hidden password, then shows each server', async () => {
    const home: TempHome = disposeLater(await tempHome());
    await fx.writeSettings(home.dir);
    const t = disposeLater(await startTerminal(sophon('connect', 'add', 'mail', '--label', 'work'), { env: { SOPHON_HOME: home.dir } }));
    await t.answer(/New vault passphrase:$/, PASSPHRASE);
    await t.answer(/Repeat passphrase:$/, PASSPHRASE);
    await t.answer(/Email address:$/, ALICE.address);
    // Enter takes the default shown in brackets: the address.
    await t.answer(/Username \[alice@example\.test\]:$/, '');
    await t.answer(/IMAP server:$/, '127.0.0.1');
    await t.answer(/IMAP TLS mode \(implicit, starttls\) \[implicit\]:$/, 'starttls');
    await t.answer(/IMAP port \[143\]:$/, String(fx.dovecot.imapPort));
    await t.answer(/SMTP server:$/, '127.0.0.1');
    await t.answer(/SMTP TLS mode \(implicit, starttls\) \[implicit\]:$/, '');
    await t.answer(/SMTP port \[465\]:$/, String(fx.implicit.port));
    await t.waitFor(/Password for alice@example\.test:\s*$/);
    await t.type(ALICE.password);
    expect(await t.screen()).not.toContain(ALICE.password);
    await t.press('Enter');
    const done = await t.waitFor(/connected mail as "work"/);
    expect(await t.exitCode()).toBe(0);
    expect(done).toMatch(/ok {5}IMAP ok — INBOX has \d+ messages?, \d+ unread \(127\.0\.0\.1:\d+ \(STARTTLS\)\)/);
    expect(done).toMatch(/ok {5}SMTP ok — 127\.0\.0\.1:\d+ \(TLS\) accepted the login/);
    expect(done).not.toContain(ALICE.password);
    expect(done).not.toContain(PASSPHRASE);
    const list = await runCli(['connect', 'list', '--json'], { env: { SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: PASSPHRASE } });
    expect(JSON.parse(list.stdout)).toMatchObject([{ service: 'mail', label: 'work', account: ALICE.address }]);
  });

  it('a wrong password shows both answers and stores nothing; reauth in the terminal takes a new one', async () => {
    const home: TempHome = disposeLater(await tempHome());
    await fx.writeSettings(home.dir, { Services: { fastmail: { imap: { host: '127.0.0.1', port: fx.dovecot.imapsPort }, smtp: { host: '127.0.0.1', port: fx.implicit.port } } } });
    const env = { SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: PASSPHRASE };
    expect((await runCli(['connect', 'add', 'fastmail', '--address', ALICE.address], { env, input: ALICE.password })).code).toBe(0);

    const wrong = disposeLater(await startTerminal(sophon('connect', 'add', 'fastmail', '--label', 'typo'), { env: { SOPHON_HOME: home.dir } }));
    await wrong.answer(/Vault passphrase:$/, PASSPHRASE);
    await wrong.answer(/Email address:$/, ALICE.address);
    await wrong.answer(/Username \[alice@example\.test\]:$/, '');
    await wrong.answer(/Password for alice@example\.test \(make an app password at https:\/\/www\.fastmail\.com\/help\/clients\/apppassword\.html\):\s*$/, 'not-it');
    const refused = await wrong.waitFor(/sophon: nothing was stored/);
    expect(await wrong.exitCode()).toBe(1);
    expect(refused).toContain('FAILED IMAP refused the password: NO [AUTHENTICATIONFAILED] Authentication failed.');
    expect(refused).toContain('FAILED SMTP refused the password: 535 5.7.8 Authentication credentials invalid');

    const reauth = disposeLater(await startTerminal(sophon('connect', 'reauth', 'fastmail'), { env: { SOPHON_HOME: home.dir } }));
    await reauth.answer(/Vault passphrase:$/, PASSPHRASE);
    await reauth.answer(/New password for alice@example\.test .*:\s*$/, ALICE.password);
    const fixed = await reauth.waitFor(/fastmail:default has the new password — active/);
    expect(await reauth.exitCode()).toBe(0);
    expect(fixed).not.toContain(ALICE.password);
  });
});
