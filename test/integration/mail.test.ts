import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { openHostApi, type HostApi } from '../../main/api/host.ts';
import type { ApiResult, ConnectionView, MailReadView, RequestOutput, TestResultView } from '../../main/api/contract.ts';
import { fastPassphrase } from '../helpers/protectors.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { freePort, startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { startSubmission, type Submission } from '../helpers/submission-server.ts';
import { ALICE, BULK, composeMessage, startMailFixture, type MailFixture } from '../helpers/mail-fixture.ts';

let fx: MailFixture;
let home: TempHome;
let host: HostApi;

async function openHost(dir: string): Promise<HostApi> {
  return openHostApi({ home: dir, ownerName: 'test', protectors: fastPassphrase(), scheduler: false });
}

function data<T>(result: ApiResult<unknown>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.data as T;
}

/** mail.add / mail.update that stored nothing: what each side answered, and what to do. */
function notStored(result: ApiResult<unknown>): { message: string; problem: string; parts: NonNullable<TestResultView['parts']> } {
  const change = data<Added>(result);
  if (change.connection) throw new Error(`expected nothing stored, got ${change.connection.id}`);
  return { message: change.result?.message ?? '', problem: change.problem ?? '', parts: change.result?.parts ?? [] };
}

function failure(result: ApiResult<unknown>): { code: string; message: string } {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.data).slice(0, 300)}`);
  return result.error;
}

const call = (h: HostApi, method: string, params: unknown, actor: 'cli' | 'window' = 'cli') => h.dispatcher.call(method, params, { actor });

/** The generic mail server pointed at the fixture: IMAP STARTTLS and SMTP STARTTLS. */
function generic(label: string, extra: Record<string, unknown> = {}) {
  return {
    service: 'mail',
    label,
    address: ALICE.address,
    secret: ALICE.password,
    imap: { host: '127.0.0.1', port: fx.dovecot.imapPort, tls: 'starttls' },
    smtp: { host: '127.0.0.1', port: fx.starttls.port, tls: 'starttls' },
    ...extra,
  };
}

type Added = RequestOutput<'mail.add'>;

beforeAll(async () => {
  fx = await startMailFixture();
  home = await tempHome();
  await fx.writeSettings(home.dir);
  host = await openHost(home.dir);
  await fx.dovecot.seed(ALICE.address, [
    { raw: await composeMessage({ from: 'Bob <bob@example.test>', to: ALICE.address, subject: 'Quarterly numbers', text: 'Revenue is up. The secret word is marmalade.', date: new Date('2025-03-01T10:00:00Z') }), date: new Date('2025-03-01T10:00:00Z') },
    {
      raw: await composeMessage({
        from: 'Carol <carol@example.test>',
        to: ALICE.address,
        subject: 'Invoice attached',
        text: 'Please find the invoice attached.',
        html: '<p>Please find the <b>invoice</b> attached.</p>',
        date: new Date('2025-04-02T10:00:00Z'),
        attachments: [{ filename: 'invoice.pdf', content: Buffer.from('%PDF-1.4 not really a pdf'), contentType: 'application/pdf' }],
      }),
      date: new Date('2025-04-02T10:00:00Z'),
    },
    { raw: await composeMessage({ from: 'Bob <bob@example.test>', to: ALICE.address, subject: 'Lunch?', text: 'Thai or pizza?', date: new Date('2025-05-03T10:00:00Z') }), seen: true, date: new Date('2025-05-03T10:00:00Z') },
  ]);
});

afterAll(async () => {
  await host?.dispose();
  await home?.dispose();
  await fx?.stop();
});

describe('connecting a mailbox', () => {
  it('connects a generic mail server over STARTTLS and reports IMAP and SMTP each on its own', async () => {
    const added = data<Added>(await call(host, 'mail.add', generic('work')));
    expect(added.problem).toBeUndefined();
    expect(added.connection).toMatchObject({ service: 'mail', label: 'work', authMethod: 'smtp_imap', state: 'active', account: ALICE.address });
    expect(added.connection?.mail?.imap).toEqual({ host: '127.0.0.1', port: fx.dovecot.imapPort, tls: 'starttls' });
    const result = added.result as TestResultView;
    expect(result.ok).toBe(true);
    expect(result.parts).toEqual([
      { name: 'IMAP', ok: true, message: expect.stringMatching(/^IMAP ok — INBOX has 3 messages, 2 unread \(127\.0\.0\.1:\d+ \(STARTTLS\)\)$/) },
      { name: 'SMTP', ok: true, message: expect.stringMatching(/^SMTP ok — 127\.0\.0\.1:\d+ \(STARTTLS\) accepted the login$/) },
    ]);
    // Test sent nothing: no message was submitted, only a login.
    expect(fx.starttls.delivered).toEqual([]);
    expect(JSON.stringify(added)).not.toContain(ALICE.password);
    expect(await readFile(join(home.dir, 'audit', 'audit.jsonl'), 'utf8')).not.toContain(ALICE.password);
  });

  it('connects with implicit TLS on both sides', async () => {
    const added = data<Added>(await call(host, 'mail.add', generic('implicit', { imap: { host: '127.0.0.1', port: fx.dovecot.imapsPort, tls: 'implicit' }, smtp: { host: '127.0.0.1', port: fx.implicit.port, tls: 'implicit' } })));
    expect(added.result?.ok).toBe(true);
    expect(added.result?.message).toMatch(/IMAP ok — .*\(TLS\)\); SMTP ok — .*\(TLS\) accepted the login/);
  });

  it('a wrong password stores nothing and names what each server answered', async () => {
    const error = notStored(await call(host, 'mail.add', generic('wrong', { secret: 'not-the-password' })));
    expect(error.parts).toEqual([
      { name: 'IMAP', ok: false, message: 'IMAP refused the password: NO [AUTHENTICATIONFAILED] Authentication failed.' },
      { name: 'SMTP', ok: false, message: 'SMTP refused the password: 535 5.7.8 Authentication credentials invalid' },
    ]);
    expect(error.problem).toBe('nothing was stored — check the username and password and try again');
    expect(JSON.stringify(error)).not.toContain('not-the-password');
    const list = data<ConnectionView[]>(await call(host, 'connections.list', {}));
    expect(list.some((c) => c.label === 'wrong')).toBe(false);
  });

  it('asks for what the generic service lacks, refuses a bad address, and keeps labels unique', async () => {
    expect(failure(await call(host, 'mail.add', { service: 'mail', label: 'x', address: ALICE.address, secret: 'p' })).message).toMatch(/Mail server \(IMAP\/SMTP\) has no IMAP server — give it with --imap-host HOST/);
    expect(failure(await call(host, 'mail.add', generic('y', { address: 'not an address' }))).message).toMatch(/is not an email address/);
    expect(failure(await call(host, 'mail.add', generic('work'))).code).toBe('DUPLICATE_LABEL');
    expect(failure(await call(host, 'mail.add', { service: 'github', address: ALICE.address, secret: 'p' })).code).toBe('UNSUPPORTED_AUTH_METHOD');
  });

  it('a preset takes its servers from settings overrides (Sophon.Services.<id>.imap/.smtp)', async () => {
    const dir = await tempHome();
    await fx.writeSettings(dir.dir, {
      Services: { fastmail: { imap: { host: '127.0.0.1', port: fx.dovecot.imapsPort }, smtp: { host: '127.0.0.1', port: fx.implicit.port } } },
    });
    const other = await openHost(dir.dir);
    try {
      const summary = data<{ auth: Array<{ imap?: unknown; help?: string; docs?: string }> }>(await call(other, 'catalog.get', { id: 'fastmail' }));
      expect(summary.auth[0]).toMatchObject({ imap: { host: 'imap.fastmail.com', port: 993, tls: 'implicit' }, help: expect.stringMatching(/^https:\/\/www\.fastmail\.com\//), docs: expect.stringMatching(/^https:/) });
      const added = data<Added>(await call(other, 'mail.add', { service: 'fastmail', label: 'work', address: ALICE.address, secret: ALICE.password }));
      expect(added.result?.ok).toBe(true);
      expect(added.connection?.mail).toBeUndefined();
    } finally {
      await other.dispose();
      await dir.dispose();
    }
  });
});

describe('lifecycle', () => {
  it('SMTP refusing the password: IMAP ok, SMTP refused, needs re-auth with the answer; fixed, it is active again', async () => {
    fx.starttls.setPassword(ALICE.address, 'rotated-on-the-server');
    try {
      const { connection, result } = data<{ connection: ConnectionView; result: TestResultView }>(await call(host, 'connections.test', { ref: 'mail:work' }));
      expect(result.ok).toBe(false);
      expect(result.parts?.map((p) => [p.name, p.ok])).toEqual([
        ['IMAP', true],
        ['SMTP', false],
      ]);
      expect(result.message).toMatch(/^IMAP ok — .*; SMTP refused the password: 535 5\.7\.8 Authentication credentials invalid$/);
      expect(connection.state).toBe('needs_reauth');
      expect(connection.stateReason).toBe('SMTP refused the password: 535 5.7.8 Authentication credentials invalid');
    } finally {
      fx.starttls.setPassword(ALICE.address, ALICE.password);
    }
    const again = data<{ connection: ConnectionView; result: TestResultView }>(await call(host, 'connections.test', { ref: 'mail:work' }));
    expect(again.result.ok).toBe(true);
    expect(again.connection.state).toBe('active');
    expect(again.connection.stateReason).toBeUndefined();
  });

  it('IMAP refusing the password marks it too, and a new password through mail.update brings it back', async () => {
    await fx.dovecot.setPassword(ALICE.address, 'new-imap-password');
    fx.starttls.setPassword(ALICE.address, 'new-imap-password');
    try {
      const tested = data<{ connection: ConnectionView; result: TestResultView }>(await call(host, 'connections.test', { ref: 'mail:work' }));
      expect(tested.connection.state).toBe('needs_reauth');
      expect(tested.connection.stateReason).toMatch(/^IMAP refused the password: NO \[AUTHENTICATIONFAILED\] Authentication failed\.; SMTP refused the password: 535/);
      const wrong = notStored(await call(host, 'mail.update', { ref: 'mail:work', secret: 'still-wrong' }));
      expect(wrong.problem).toMatch(/^nothing was changed/);
      const updated = data<Added>(await call(host, 'mail.update', { ref: 'mail:work', secret: 'new-imap-password' }));
      expect(updated.connection?.state).toBe('active');
      expect(updated.result?.ok).toBe(true);
    } finally {
      await fx.dovecot.setPassword(ALICE.address, ALICE.password);
      fx.starttls.setPassword(ALICE.address, ALICE.password);
      data(await call(host, 'mail.update', { ref: 'mail:work', secret: ALICE.password }));
    }
  });

  it('a network failure is reported but does not turn the connection to needs re-auth', async () => {
    const closed = await freePort();
    data(await call(host, 'mail.add', generic('offline', { smtp: { host: '127.0.0.1', port: closed, tls: 'implicit' }, test: false })));
    const { connection, result } = data<{ connection: ConnectionView; result: TestResultView }>(await call(host, 'connections.test', { ref: 'mail:offline' }));
    expect(result.parts?.[0]?.ok).toBe(true);
    expect(result.parts?.[1]?.message).toMatch(/^could not reach 127\.0\.0\.1:\d+ \(TLS\): connect ECONNREFUSED/);
    expect(connection.state).toBe('active');
    data(await call(host, 'connections.remove', { ref: 'mail:offline' }));
  });
});

describe('transport security', () => {
  it('a certificate from another CA is refused, naming the host and what it presented', async () => {
    const dir = await tempHome();
    await fx.writeSettings(dir.dir, {}, 'otherCa');
    const other = await openHost(dir.dir);
    try {
      for (const [imap, smtp] of [
        [{ host: '127.0.0.1', port: fx.dovecot.imapPort, tls: 'starttls' }, { host: '127.0.0.1', port: fx.starttls.port, tls: 'starttls' }],
        [{ host: '127.0.0.1', port: fx.dovecot.imapsPort, tls: 'implicit' }, { host: '127.0.0.1', port: fx.implicit.port, tls: 'implicit' }],
      ] as const) {
        const error = notStored(await call(other, 'mail.add', generic('x', { imap, smtp })));
        for (const [index, side, port] of [[0, 'IMAP', imap.port], [1, 'SMTP', smtp.port]] as const) {
          const part = error.parts[index]?.message ?? '';
          expect(part).toMatch(new RegExp(`^the certificate of ${side} server 127\\.0\\.0\\.1:${port} is not trusted \\(unable to verify the first certificate\\): it presented CN=127\\.0\\.0\\.1 \\(IP:127\\.0\\.0\\.1, DNS:localhost`));
          expect(part).toContain('issued by CN=Sophon Mail Test CA');
          expect(part).toMatch(/SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
        }
        expect(error.problem).toContain('Sophon.Mail.CaFiles');
      }
      // Nothing authenticated anywhere: the login never went to an untrusted server.
    } finally {
      await other.dispose();
      await dir.dispose();
    }
  });

  it('plain text is allowed to this machine only', async () => {
    const plain = await startSubmission({ mode: 'none', users: { [ALICE.address]: ALICE.password } });
    try {
      const added = data<Added>(await call(host, 'mail.add', generic('loopback-plain', { smtp: { host: '127.0.0.1', port: plain.port, tls: 'plain' } })));
      expect(added.result?.parts?.[1]).toMatchObject({ ok: true, message: expect.stringMatching(/\(plain text\) accepted the login/) });
      data(await call(host, 'connections.remove', { ref: 'mail:loopback-plain' }));
    } finally {
      await plain.stop();
    }
  });

  describe('to another address of this machine', () => {
    let plainSmtp: Submission;
    let plainImap: Dovecot;
    let plainHome: TempHome;
    beforeAll(async () => {
      if (!fx.iface) throw new Error('this machine has no non-loopback IPv4 address to test plain text against');
      plainSmtp = await startSubmission({ host: fx.iface, mode: 'none', users: { [ALICE.address]: ALICE.password } });
      plainHome = await tempHome('sophon-plain-imap-');
      plainImap = await startDovecot({ dir: plainHome.dir, users: [{ user: ALICE.address, password: ALICE.password }], listen: [fx.iface] });
    });
    afterAll(async () => {
      await plainSmtp?.stop();
      await plainImap?.stop();
      await plainHome?.dispose();
    });

    it('refuses to configure plain text to a non-loopback address, before connecting', async () => {
      const iface = fx.iface as string;
      const smtp = failure(await call(host, 'mail.add', generic('lan', { smtp: { host: iface, port: plainSmtp.port, tls: 'plain' } })));
      expect(smtp.code).toBe('INSECURE_URL');
      expect(smtp.message).toBe(`SMTP to ${iface} would send the password in plain text — plain is allowed only to 127.0.0.1/localhost; use implicit TLS (port 465) or STARTTLS (port 587)`);
      const imap = failure(await call(host, 'mail.add', generic('lan', { imap: { host: iface, port: plainImap.imapPort, tls: 'plain' } })));
      expect(imap.code).toBe('INSECURE_URL');
      expect(plainSmtp.connections()).toBe(0);
    });

    it('a server that offers only plain text is refused when STARTTLS is required, and never sees the password', async () => {
      const iface = fx.iface as string;
      const error = notStored(
        await call(host, 'mail.add', generic('lan', { imap: { host: iface, port: plainImap.imapPort, tls: 'starttls' }, smtp: { host: iface, port: plainSmtp.port, tls: 'starttls' } })),
      );
      expect(error.message).toContain(`IMAP server ${iface}:${plainImap.imapPort} does not offer STARTTLS`);
      expect(error.message).toMatch(new RegExp(`SMTP server ${iface.replace(/\./g, '\\.')}:${plainSmtp.port} does not offer STARTTLS \\(it answered: 500 .*\\) — the password was not sent`));
      expect(plainSmtp.connections()).toBe(1);
      expect(plainSmtp.authAttempts).toEqual([]);
      const log = await plainImap.log();
      expect(log).toContain('no auth attempts');
      expect(log).not.toMatch(/Info: Login:|auth failed|password mismatch/);
    });
  });
});

describe('the mail tools for agents', () => {
  const TRIAGE = { id: 'triage', name: 'Mail triage', credentials: [{ ref: 'mail:work', send: false }] };
  const SENDER = { id: 'sender', name: 'Mail sender', credentials: ['mail:work'], tools: ['mail_search', 'mail_read', 'mail_send'] };
  const mint = async (skill: string, tool: string) => (await host.broker.mint({ skill, tool, connections: ['mail:work'], ttlSeconds: 120 }, { actor: 'runtime', via: 'direct' })).token;

  beforeAll(async () => {
    for (const manifest of [TRIAGE, SENDER]) {
      data(await call(host, 'skills.add', { manifest }));
      data(await call(host, 'skills.approve', { id: manifest.id }));
    }
  });

  it('searches by sender, subject, date range and unread: headers and ids, newest first', async () => {
    const token = await mint('triage', 'search');
    type Search = RequestOutput<'mail.search'>;
    const all = data<Search>(await call(host, 'mail.search', { token, connection: 'mail:work' }));
    expect(all.total).toBe(3);
    expect(all.messages.map((m) => m.subject)).toEqual(['Lunch?', 'Invoice attached', 'Quarterly numbers']);
    expect(all.messages[0]).toMatchObject({ from: [{ name: 'Bob', address: 'bob@example.test' }], unread: false, hasAttachments: false });
    expect(all.messages[1]).toMatchObject({ unread: true, hasAttachments: true, id: expect.stringMatching(/^INBOX:\d+:\d+$/) });
    expect(data<Search>(await call(host, 'mail.search', { token, connection: 'mail:work', from: 'bob@example.test' })).messages.map((m) => m.subject)).toEqual(['Lunch?', 'Quarterly numbers']);
    expect(data<Search>(await call(host, 'mail.search', { token, connection: 'mail:work', subject: 'invoice' })).messages.map((m) => m.subject)).toEqual(['Invoice attached']);
    expect(data<Search>(await call(host, 'mail.search', { token, connection: 'mail:work', since: '2025-03-15', before: '2025-05-01' })).messages.map((m) => m.subject)).toEqual(['Invoice attached']);
    expect(data<Search>(await call(host, 'mail.search', { token, connection: 'mail:work', unread: true })).messages.map((m) => m.subject)).toEqual(['Invoice attached', 'Quarterly numbers']);
    expect(JSON.stringify(all)).not.toContain('marmalade');
  });

  it('reads one message: its text, attachments listed and fetched only when asked, without marking it read', async () => {
    const token = await mint('triage', 'read');
    const found = data<RequestOutput<'mail.search'>>(await call(host, 'mail.search', { token, connection: 'mail:work', subject: 'Invoice' }));
    const id = found.messages[0]?.id as string;
    const read = data<MailReadView>(await call(host, 'mail.read', { token, connection: 'mail:work', id }));
    expect(read.message).toMatchObject({ subject: 'Invoice attached', text: 'Please find the invoice attached.', textFormat: 'plain', textTruncated: false });
    expect(read.message?.attachments).toEqual([{ part: expect.any(String), filename: 'invoice.pdf', contentType: 'application/pdf', size: expect.any(Number) }]);
    expect(read.attachment).toBeUndefined();
    const part = read.message?.attachments[0]?.part as string;
    const attachment = data<MailReadView>(await call(host, 'mail.read', { token, connection: 'mail:work', id, attachment: part }));
    expect(Buffer.from(attachment.attachment?.contentBase64 ?? '', 'base64').toString()).toBe('%PDF-1.4 not really a pdf');
    const after = data<RequestOutput<'mail.search'>>(await call(host, 'mail.search', { token, connection: 'mail:work', subject: 'Invoice' }));
    expect(after.messages[0]?.unread).toBe(true);
    expect(failure(await call(host, 'mail.read', { token, connection: 'mail:work', id: 'INBOX:1:99999' })).message).toMatch(/older state of INBOX|no message/);
  });

  it('sends when the grant allows it, and the mail arrives in Dovecot; "send": false is refused', async () => {
    const denied = failure(await call(host, 'mail.send', { token: await mint('triage', 'send'), connection: 'mail:work', to: ['bob@example.test'], subject: 'x', text: 'y' }));
    expect(denied.code).toBe('BROKER_DENIED');
    expect(denied.message).toMatch(/may search and read mail:work but not send from it \(its grant says "send": false\)/);
    const sent = data<RequestOutput<'mail.send'>>(
      await call(host, 'mail.send', { token: await mint('sender', 'mail_send'), connection: 'mail:work', to: [`Alice <${ALICE.address}>`], cc: ['bob@example.test'], subject: 'Minutes from the agent', text: 'Body text nobody audits.' }),
    );
    expect(sent).toMatchObject({ accepted: 2, rejected: [], messageId: expect.stringMatching(/^<.+>$/) });
    const client = new ImapFlow({ host: '127.0.0.1', port: fx.dovecot.imapsPort, secure: true, tls: { ca: [fx.ca.ca] }, auth: { user: ALICE.address, pass: ALICE.password }, logger: false });
    await client.connect();
    try {
      await client.mailboxOpen('INBOX');
      const uids = (await client.search({ subject: 'Minutes from the agent' }, { uid: true })) || [];
      expect(uids.length).toBe(1);
      const message = await client.fetchOne(String(uids[0]), { source: true }, { uid: true });
      const source = message ? (message.source?.toString() ?? '') : '';
      expect(source).toContain(`From: ${ALICE.address}`);
      expect(source).toContain('Body text nobody audits.');
    } finally {
      await client.logout();
    }
  });

  it('audits every call by mailbox, tool, ids and recipient count, never bodies or subjects', async () => {
    const audit = await readFile(join(home.dir, 'audit', 'audit.jsonl'), 'utf8');
    const lines = audit.trim().split('\n').map((l) => JSON.parse(l) as { action: string; skill?: string; tool?: string; connection?: string; outcome?: string; detail?: Record<string, unknown> });
    const send = lines.find((l) => l.action === 'mail.send' && l.outcome === 'ok');
    expect(send).toMatchObject({ skill: 'sender', tool: 'mail_send', connection: expect.stringMatching(/^mail-/), detail: { recipients: 2, accepted: 2, token: expect.stringMatching(/^btk_/) } });
    expect(lines.find((l) => l.action === 'mail.send' && l.outcome === 'denied')).toMatchObject({ skill: 'triage' });
    expect(lines.find((l) => l.action === 'mail.read' && l.outcome === 'ok')?.detail).toMatchObject({ mailbox: 'INBOX', ids: expect.stringMatching(/^INBOX:\d+:\d+$/) });
    expect(lines.find((l) => l.action === 'mail.search' && l.outcome === 'ok')?.detail).toMatchObject({ mailbox: 'INBOX', count: expect.any(Number), total: expect.any(Number) });
    for (const secretish of ['marmalade', 'Body text nobody audits', 'Minutes from the agent', 'Quarterly numbers', 'bob@example.test', ALICE.password]) expect(audit).not.toContain(secretish);
  });

  it('refuses the window, unknown tokens, and mailboxes outside the token', async () => {
    expect(failure(await call(host, 'mail.search', { token: await mint('triage', 'search'), connection: 'mail:work' }, 'window')).code).toBe('BROKER_DENIED');
    expect(failure(await call(host, 'mail.search', { token: 'sbt_' + 'a'.repeat(43), connection: 'mail:work' })).code).toBe('BROKER_TOKEN_INVALID');
    expect(failure(await call(host, 'mail.search', { token: await mint('triage', 'search'), connection: 'mail:implicit' })).message).toMatch(/does not cover the mailbox "mail:implicit" — it covers mail:work/);
  });

  it('a refused login during a tool call turns the mailbox to needs re-auth; the next call is refused without a login', async () => {
    const token = await mint('triage', 'search');
    await fx.dovecot.setPassword(ALICE.address, 'changed-by-the-provider');
    try {
      const error = failure(await call(host, 'mail.search', { token, connection: 'mail:work' }));
      expect(error.code).toBe('NEEDS_REAUTH');
      expect(error.message).toMatch(/^mail:work needs the user to sign in again \(IMAP refused the password: NO \[AUTHENTICATIONFAILED\] Authentication failed\.\) — pause and ask them to reconnect it/);
      expect(data<ConnectionView>(await call(host, 'connections.status', { ref: 'mail:work' }))).toMatchObject({ state: 'needs_reauth', stateReason: 'IMAP refused the password: NO [AUTHENTICATIONFAILED] Authentication failed.' });
      const logins = (await fx.dovecot.log()).split('\n').filter((l) => /auth.*(failed|mismatch)/i.test(l)).length;
      expect(failure(await call(host, 'mail.search', { token, connection: 'mail:work' })).code).toBe('NEEDS_REAUTH');
      expect((await fx.dovecot.log()).split('\n').filter((l) => /auth.*(failed|mismatch)/i.test(l)).length).toBe(logins);
    } finally {
      await fx.dovecot.setPassword(ALICE.address, ALICE.password);
    }
    data(await call(host, 'connections.test', { ref: 'mail:work' }));
    expect(data<ConnectionView>(await call(host, 'connections.status', { ref: 'mail:work' })).state).toBe('active');
  });
});

describe('a mailbox with a few thousand messages', () => {
  const COUNT = 3000;
  beforeAll(async () => {
    const messages = [];
    for (let i = 0; i < COUNT; i++) {
      const date = new Date(Date.UTC(2024, 0, 1) + i * 3_600_000);
      messages.push({ raw: await composeMessage({ from: `sender${i % 50}@example.test`, to: BULK.address, subject: `Report ${i}`, text: `Body ${i}`, date }), seen: i % 3 !== 0, date });
    }
    await fx.dovecot.seed(BULK.address, messages);
    data(await call(host, 'mail.add', { ...generic('bulk'), address: BULK.address, secret: BULK.password }));
    data(await call(host, 'skills.add', { manifest: { id: 'bulk-reader', name: 'Bulk', credentials: [{ ref: 'mail:bulk', send: false }] } }));
    data(await call(host, 'skills.approve', { id: 'bulk-reader' }));
  });

  it('returns the newest matches only, up to the limit, with the total', async () => {
    const token = (await host.broker.mint({ skill: 'bulk-reader', tool: 'search', connections: ['mail:bulk'] }, { actor: 'runtime', via: 'direct' })).token;
    type Search = RequestOutput<'mail.search'>;
    const all = data<Search>(await call(host, 'mail.search', { token, connection: 'mail:bulk' }));
    expect(all.total).toBe(COUNT);
    expect(all.messages.length).toBe(20);
    expect(all.truncated).toBe(true);
    expect(all.messages[0]?.subject).toBe(`Report ${COUNT - 1}`);
    const bySender = data<Search>(await call(host, 'mail.search', { token, connection: 'mail:bulk', from: 'sender7@example.test', limit: 5 }));
    expect(bySender.total).toBe(COUNT / 50);
    expect(bySender.messages.map((m) => m.subject)).toEqual([2957, 2907, 2857, 2807, 2757].map((n) => `Report ${n}`));
    const capped = data<Search>(await call(host, 'mail.search', { token, connection: 'mail:bulk', limit: 1000 }));
    expect(capped.messages.length).toBe(50);
    const unread = data<Search>(await call(host, 'mail.search', { token, connection: 'mail:bulk', unread: true, limit: 3 }));
    expect(unread.total).toBe(COUNT / 3);
  });
});
