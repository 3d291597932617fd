// An MCP client (the official SDK over stdio) searches, reads and sends mail through
// `sophon mcp`, with `sophon serve` owning the vault, a real Dovecot and a submission server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { runCli, startCli } from '../helpers/run-cli.ts';
import { mcpSession, type McpSession } from '../helpers/mcp-client.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { ALICE, composeMessage, startMailFixture, type MailFixture } from '../helpers/mail-fixture.ts';

let fx: MailFixture;
let home: TempHome;
let owner: NodeJS.ProcessEnv;
let agent: Record<string, string>;
let serve: ReturnType<typeof startCli>;
const sessions: McpSession[] = [];

async function cli(args: string[], input?: string) {
  const result = await runCli(args, { env: owner, ...(input !== undefined ? { input } : {}) });
  expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result;
}

async function open(skill: string): Promise<McpSession> {
  const session = await mcpSession(['--skill', skill], agent);
  sessions.push(session);
  return session;
}

beforeAll(async () => {
  fx = await startMailFixture();
  await fx.dovecot.seed(ALICE.address, [
    { raw: await composeMessage({ from: 'Dana <dana@example.test>', to: ALICE.address, subject: 'Board meeting', text: 'Thursday at nine, room 4.' }) },
    { raw: await composeMessage({ from: 'Erik <erik@example.test>', to: ALICE.address, subject: 'Slides', text: 'See attached.', attachments: [{ filename: 'slides.txt', content: 'slide one\nslide two\n', contentType: 'text/plain' }] }) },
  ]);
  home = await tempHome('sophon-mail-mcp-');
  await fx.writeSettings(home.dir);
  owner = { SOPHON_HOME: home.dir, HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'mail mcp passphrase' };
  agent = { SOPHON_HOME: home.dir, HOME: home.dir };
  serve = startCli(['serve'], { env: owner, ready: /listening on/ });
  await serve.ready;
  await cli(
    ['connect', 'add', 'mail', '--label', 'work', '--address', ALICE.address, '--imap-host', '127.0.0.1', '--imap-port', String(fx.dovecot.imapPort), '--imap-tls', 'starttls', '--smtp-host', '127.0.0.1', '--smtp-port', String(fx.starttls.port), '--smtp-tls', 'starttls'],
    ALICE.password,
  );
  for (const manifest of [
    { id: 'assistant', name: 'Assistant', credentials: ['mail:work'] },
    { id: 'reader', name: 'Reader', credentials: [{ ref: 'mail:work', send: false }] },
  ]) {
    const file = join(home.dir, `${manifest.id}.json`);
    await writeFile(file, JSON.stringify(manifest));
    await cli(['skills', 'add', file]);
    await cli(['skills', 'approve', manifest.id]);
  }
});

afterAll(async () => {
  for (const s of sessions) await s.close().catch(() => undefined);
  await serve?.stop();
  await home?.dispose();
  await fx?.stop();
});

describe('mail through sophon mcp', () => {
  it('offers the mail tools to a skill granted a mailbox, and list_connections says to use them', async () => {
    const session = await open('assistant');
    const { tools } = await session.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['http_request', 'list_connections', 'mail_read', 'mail_search', 'mail_send', 'whoami']);
    expect(tools.find((t) => t.name === 'mail_send')?.annotations).toMatchObject({ destructiveHint: true });
    const listed = await session.call('list_connections');
    const connection = (JSON.parse(listed.text) as { connections: Array<Record<string, unknown>> }).connections[0];
    expect(connection).toMatchObject({ connection: 'mail:work', account: ALICE.address, mailbox: true, use: expect.stringContaining('mail_search') });
    expect(connection).not.toHaveProperty('apiBase');
    expect(listed.text).not.toContain(ALICE.password);
  });

  it('searches, reads (attachments listed, one fetched when asked) and sends; the mail arrives in Dovecot', async () => {
    const session = await open('assistant');
    const found = await session.call('mail_search', { from: 'dana@example.test' });
    expect(found.isError, found.text).toBe(false);
    const search = JSON.parse(found.text) as { total: number; messages: Array<{ id: string; subject: string; messageId: string }> };
    expect(search.messages.map((m) => m.subject)).toEqual(['Board meeting']);

    const read = await session.call('mail_read', { id: search.messages[0]!.id });
    expect((JSON.parse(read.text) as { message: { text: string } }).message.text).toBe('Thursday at nine, room 4.');

    const slides = JSON.parse((await session.call('mail_search', { subject: 'Slides' })).text) as { messages: Array<{ id: string; hasAttachments: boolean }> };
    expect(slides.messages[0]?.hasAttachments).toBe(true);
    const withList = JSON.parse((await session.call('mail_read', { connection: 'mail:work', id: slides.messages[0]!.id })).text) as { message: { attachments: Array<{ part: string; filename: string }> } };
    expect(withList.message.attachments.map((a) => a.filename)).toEqual(['slides.txt']);
    const fetched = JSON.parse((await session.call('mail_read', { id: slides.messages[0]!.id, attachment: withList.message.attachments[0]!.part })).text) as { attachment: { contentBase64: string } };
    expect(Buffer.from(fetched.attachment.contentBase64, 'base64').toString()).toBe('slide one\nslide two\n');

    const sent = await session.call('mail_send', { to: [`Alice <${ALICE.address}>`], subject: 'Re: Board meeting', text: 'I will be there.', in_reply_to: search.messages[0]!.messageId });
    expect(sent.isError, sent.text).toBe(false);
    expect(JSON.parse(sent.text)).toMatchObject({ connection: 'mail:work', sent: true, accepted: 1 });

    const client = new ImapFlow({ host: '127.0.0.1', port: fx.dovecot.imapsPort, secure: true, tls: { ca: [fx.ca.ca] }, auth: { user: ALICE.address, pass: ALICE.password }, logger: false });
    await client.connect();
    try {
      await client.mailboxOpen('INBOX');
      const uids = (await client.search({ subject: 'Re: Board meeting' }, { uid: true })) || [];
      expect(uids).toHaveLength(1);
      const source = (await client.fetchOne(String(uids[0]), { source: true }, { uid: true })) || undefined;
      const raw = source?.source?.toString() ?? '';
      expect(raw).toContain(`In-Reply-To: ${search.messages[0]!.messageId}`);
      expect(raw).toContain('I will be there.');
    } finally {
      await client.logout();
    }
  });

  it('a skill granted "send": false is not offered mail_send, and a call to it is refused with what to do', async () => {
    const session = await open('reader');
    const { tools } = await session.client.listTools();
    expect(tools.map((t) => t.name)).toContain('mail_search');
    expect(tools.map((t) => t.name)).not.toContain('mail_send');
    const refused = await session.call('mail_send', { to: [ALICE.address], subject: 'x', text: 'y' });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/^BROKER_DENIED: skill "reader" may search and read mail:work but not send from it/);
    expect(refused.text).toMatch(/What to do: this is outside what the user granted the skill "reader"/);
    expect(fx.starttls.delivered.filter((d) => d.size > 0 && d.to.includes(ALICE.address))).toHaveLength(1);
  });

  it('http_request on a mailbox is refused and points to the mail tools', async () => {
    const session = await open('assistant');
    const refused = await session.call('http_request', { connection: 'mail:work', path: '/' });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/is a mailbox: use the mail tools \(search, read, send\), not the HTTP proxy/);
  });

  it('a revoked password: the call says to ask the user to reconnect, and the mailbox turns needs re-auth', async () => {
    const session = await open('assistant');
    await fx.dovecot.setPassword(ALICE.address, 'revoked-by-provider');
    try {
      const failed = await session.call('mail_search', {});
      expect(failed.isError).toBe(true);
      expect(failed.text).toMatch(/^NEEDS_REAUTH: mail:work needs the user to sign in again \(IMAP refused the password: NO \[AUTHENTICATIONFAILED\] Authentication failed\.\)/);
      expect(failed.text).toMatch(/What to do: ask the user to reconnect work Mail server \(IMAP\/SMTP\) \(mail:work\) in Sophon/);
      const status = await runCli(['connect', 'status', 'mail:work', '--json'], { env: owner });
      expect(JSON.parse(status.stdout)).toMatchObject({ state: 'needs_reauth', stateReason: 'IMAP refused the password: NO [AUTHENTICATIONFAILED] Authentication failed.' });
      expect(serve.output().stderr).toMatch(/Mail server \(IMAP\/SMTP\) needs you to sign in again/);
    } finally {
      await fx.dovecot.setPassword(ALICE.address, ALICE.password);
    }
    await cli(['connect', 'test', 'mail:work']);
  });

  it('audits each tool call and each mail operation, without bodies, subjects or addresses', async () => {
    const audit = await readFile(join(home.dir, 'audit', 'audit.jsonl'), 'utf8');
    const lines = audit.trim().split('\n').map((l) => JSON.parse(l) as { action: string; tool?: string; skill?: string; outcome?: string });
    expect(lines.filter((l) => l.action === 'mail.send' && l.outcome === 'ok').map((l) => [l.skill, l.tool?.replace(/#.*/, '')])).toEqual([['assistant', 'mail_send']]);
    expect(lines.some((l) => l.action === 'agent.tool' && l.tool?.startsWith('mail_search#'))).toBe(true);
    for (const text of ['Thursday at nine', 'I will be there', 'Board meeting', 'dana@example.test', 'slide one', ALICE.password]) expect(audit).not.toContain(text);
  });
});
