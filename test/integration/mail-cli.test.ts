// `sophon connect add|test|reauth` for mailboxes as real processes, and the mail tools over the
// owner's socket (what `sophon mcp` calls) with `sophon serve` running.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { connectSocket } from '../../main/api/wire.ts';
import { runCli, startCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { ALICE, composeMessage, startMailFixture, type MailFixture } from '../helpers/mail-fixture.ts';

const PASSPHRASE = 'a long test passphrase';
let fx: MailFixture;

beforeAll(async () => {
  fx = await startMailFixture();
  await fx.dovecot.seed(ALICE.address, [{ raw: await composeMessage({ from: 'Dana <dana@example.test>', to: ALICE.address, subject: 'Board meeting', text: 'Thursday at nine.' }) }]);
});
afterAll(async () => {
  await fx?.stop();
});

describe('sophon connect for a mailbox', () => {
  let home: TempHome;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    home = await tempHome();
    env = { SOPHON_HOME: home.dir, HOME: home.dir, SOPHON_VAULT_PASSPHRASE: PASSPHRASE };
    // Fastmail's preset, moved to the test servers the way a person moves it: appsettings.json.
    await fx.writeSettings(home.dir, {
      Services: { fastmail: { imap: { host: '127.0.0.1', port: fx.dovecot.imapsPort }, smtp: { host: '127.0.0.1', port: fx.starttls.port, tls: 'starttls' } } },
    });
  });
  afterAll(async () => {
    await home?.dispose();
  });

  it('adds a Fastmail-style mailbox with the password on stdin and prints each side', async () => {
    const added = await runCli(['connect', 'add', 'fastmail', '--label', 'work', '--address', ALICE.address], { env, input: ALICE.password });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toMatch(/ok {5}IMAP ok — INBOX has 1 message, 1 unread \(127\.0\.0\.1:\d+ \(TLS\)\)/);
    expect(added.stderr).toMatch(/ok {5}SMTP ok — 127\.0\.0\.1:\d+ \(STARTTLS\) accepted the login/);
    expect(added.stdout).toMatch(/^connected fastmail as "work" \(fastmail-[a-f0-9]+\)$/m);
    expect(added.stdout + added.stderr).not.toContain(ALICE.password);
  });

  it('says which flag is missing when stdin is not a terminal', async () => {
    const missing = await runCli(['connect', 'add', 'mail', '--address', ALICE.address], { env, input: ALICE.password });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('sophon: imap server is needed — pass --imap-host (stdin carries only the password)\n');
    const badTls = await runCli(['connect', 'add', 'mail', '--address', ALICE.address, '--imap-host', 'imap.example.com', '--imap-tls', 'ssl3'], { env, input: ALICE.password });
    expect(badTls.stderr).toMatch(/^sophon: --imap-tls "ssl3" is not a TLS mode — use implicit, starttls, or plain/);
  });

  it('a wrong password: each side on its own line, a one-line error, exit 1, nothing stored', async () => {
    const wrong = await runCli(['connect', 'add', 'fastmail', '--label', 'typo', '--address', ALICE.address], { env, input: 'typo-password' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('  FAILED IMAP refused the password: NO [AUTHENTICATIONFAILED] Authentication failed.\n');
    expect(wrong.stderr).toContain('  FAILED SMTP refused the password: 535 5.7.8 Authentication credentials invalid\n');
    expect(wrong.stderr).toMatch(/sophon: nothing was stored — check the username and password \(make an app password at https:\/\/www\.fastmail\.com\/help\/clients\/apppassword\.html\) and try again\n$/);
    const list = await runCli(['connect', 'list', '--json'], { env });
    expect((JSON.parse(list.stdout) as Array<{ label: string }>).map((c) => c.label)).toEqual(['work']);
  });

  it('connect test shows both sides; a refused SMTP login turns it to needs re-auth; reauth with a new password fixes it', async () => {
    const ok = await runCli(['connect', 'test', 'fastmail:work'], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^ok: fastmail:work \(\d+ ms\)\n {2}ok {5}IMAP ok — .*\n {2}ok {5}SMTP ok — .*\n$/);

    // The provider revokes the app password.
    await fx.dovecot.setPassword(ALICE.address, 'the-new-app-password');
    fx.starttls.setPassword(ALICE.address, 'the-new-app-password');
    try {
      const refused = await runCli(['connect', 'test', 'fastmail:work'], { env });
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain('  FAILED SMTP refused the password: 535 5.7.8 Authentication credentials invalid\n');
      expect(refused.stdout).toContain('now needs re-auth — give it a new password with `sophon connect reauth fastmail:work`');
      const status = await runCli(['connect', 'status', 'fastmail:work'], { env });
      expect(status.stdout).toMatch(/state: {8}NEEDS RE-AUTH — IMAP refused the password: NO \[AUTHENTICATIONFAILED\] Authentication failed\.; SMTP refused the password: 535/);

      const reauth = await runCli(['connect', 'reauth', 'fastmail:work'], { env, input: 'the-new-app-password' });
      expect(reauth.code, reauth.stderr).toBe(0);
      expect(reauth.stdout).toContain('fastmail:work has the new password — active');
      expect((await runCli(['connect', 'status', 'fastmail:work', '--json'], { env })).stdout).toContain('"state":"active"');
    } finally {
      await fx.dovecot.setPassword(ALICE.address, ALICE.password);
      fx.starttls.setPassword(ALICE.address, ALICE.password);
    }
  });
});

describe('the mail tools over the owner socket, with sophon serve running', () => {
  let home: TempHome;
  let env: NodeJS.ProcessEnv;
  let serve: ReturnType<typeof startCli> | undefined;
  beforeAll(async () => {
    home = await tempHome();
    env = { SOPHON_HOME: home.dir, HOME: home.dir, SOPHON_VAULT_PASSPHRASE: PASSPHRASE };
    await fx.writeSettings(home.dir);
    serve = startCli(['serve'], { env, ready: /listening|sophon serve/i });
    await serve.ready;
  });
  afterAll(async () => {
    await serve?.stop();
    await home?.dispose();
  });

  it('connects, approves a skill, mints a token with the CLI, and searches, reads and sends over the socket', async () => {
    const added = await runCli(
      ['connect', 'add', 'mail', '--label', 'work', '--address', ALICE.address, '--imap-host', '127.0.0.1', '--imap-port', String(fx.dovecot.imapPort), '--imap-tls', 'starttls', '--smtp-host', '127.0.0.1', '--smtp-port', String(fx.implicit.port), '--smtp-tls', 'implicit'],
      { env, input: ALICE.password },
    );
    expect(added.code, added.stderr).toBe(0);
    const manifest = join(home.dir, 'assistant.json');
    await import('node:fs/promises').then((fs) => fs.writeFile(manifest, JSON.stringify({ id: 'assistant', name: 'Assistant', credentials: ['mail:work'] })));
    expect((await runCli(['skills', 'add', manifest], { env })).code).toBe(0);
    expect((await runCli(['skills', 'approve', 'assistant'], { env })).code).toBe(0);
    const minted = await runCli(['broker', 'mint', '--skill', 'assistant', '--tool', 'mail_search', '--connection', 'mail:work', '--json'], { env });
    expect(minted.code, minted.stderr).toBe(0);
    const token = (JSON.parse(minted.stdout) as { token: string }).token;

    const socket = await connectSocket(join(home.dir, 'run', 'sophon.sock'));
    expect(socket).toBeDefined();
    try {
      const search = await socket!.call<{ messages: Array<{ id: string; subject: string }> }>('mail.search', { token, connection: 'mail:work', from: 'dana@example.test' });
      expect(search.ok && search.data.messages.map((m) => m.subject)).toEqual(['Board meeting']);
      const id = search.ok ? (search.data.messages[0]?.id as string) : '';
      const read = await socket!.call<{ message: { text: string } }>('mail.read', { token, connection: 'mail:work', id });
      expect(read.ok && read.data.message.text).toBe('Thursday at nine.');
      const sent = await socket!.call<{ accepted: number }>('mail.send', { token, connection: 'mail:work', to: [ALICE.address], subject: 'Sent through the owner', text: 'hello' });
      expect(sent.ok && sent.data.accepted).toBe(1);
      const arrived = await socket!.call<{ total: number }>('mail.search', { token, connection: 'mail:work', subject: 'Sent through the owner' });
      expect(arrived.ok && arrived.data.total).toBe(1);
    } finally {
      await socket!.close();
    }
    const audit = await runCli(['audit', '--skill', 'assistant', '--json'], { env });
    const actions = (JSON.parse(audit.stdout) as { entries?: Array<{ action: string }> } | Array<{ action: string }>);
    const list = Array.isArray(actions) ? actions : (actions.entries ?? []);
    expect(list.map((e) => e.action)).toEqual(expect.arrayContaining(['mail.search', 'mail.read', 'mail.send']));
  });
});
