import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import MailComposer from 'nodemailer/lib/mail-composer';
import { startDovecot, type Dovecot } from './dovecot.ts';
import { startSubmission, type Submission } from './submission-server.ts';
import { makeTestCa, type TestCa } from './test-ca.ts';
import { tempHome, type TempHome } from './temp-home.ts';

/** This machine's own non-loopback IPv4 address (where "plain text to another machine" is tried). */
export function interfaceAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  return undefined;
}

export const ALICE = { address: 'alice@example.test', password: 'alice-app-password-1' } as const;
export const BULK = { address: 'bulk@example.test', password: 'bulk-app-password-1' } as const;

export interface MailFixture {
  readonly dir: TempHome;
  /** The CA the servers' certificates come from. */
  readonly ca: TestCa;
  /** Another CA, trusted by the "wrong CA" case instead of `ca`. */
  readonly otherCa: TestCa;
  readonly dovecot: Dovecot;
  /** SMTP with STARTTLS (587-style) and with implicit TLS (465-style), both delivering into Dovecot. */
  readonly starttls: Submission;
  readonly implicit: Submission;
  readonly iface?: string;
  /** appsettings.json for a SOPHON_HOME that trusts `ca` (or `otherCa`). */
  writeSettings(home: string, extra?: Record<string, unknown>, trust?: 'ca' | 'otherCa'): Promise<void>;
  stop(): Promise<void>;
}

export async function startMailFixture(): Promise<MailFixture> {
  const dir = await tempHome('sophon-mail-');
  // Whatever started before a later step failed is stopped again, newest first.
  const started: Array<() => Promise<void>> = [() => dir.dispose()];
  const undo = async () => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
  };
  try {
    // Dovecot runs as another user (nobody, when the tests run as root) and must traverse to its folder.
    await chmod(dir.dir, 0o711);
    const iface = interfaceAddress();
    await mkdir(join(dir.dir, 'ca'));
    await mkdir(join(dir.dir, 'other-ca'));
    const ca = await makeTestCa(join(dir.dir, 'ca'), 'Sophon Mail Test CA', iface ? [iface] : []);
    const otherCa = await makeTestCa(join(dir.dir, 'other-ca'), 'Some Other CA');
    const passwords: Record<string, string> = { [ALICE.address]: ALICE.password, [BULK.address]: BULK.password };
    const dovecot = await startDovecot({
      dir: join(dir.dir, 'dovecot'),
      users: Object.entries(passwords).map(([user, password]) => ({ user, password })),
      tls: { cert: ca.cert, key: ca.key },
    });
    started.push(() => dovecot.stop());
    const deliver = { port: dovecot.imapsPort, ca: ca.ca, passwords: () => passwords };
    const users = { [ALICE.address]: ALICE.password, [BULK.address]: BULK.password };
    const starttls = await startSubmission({ mode: 'starttls', tls: { cert: ca.cert, key: ca.key }, users, deliver });
    started.push(() => starttls.stop());
    const implicit = await startSubmission({ mode: 'implicit', tls: { cert: ca.cert, key: ca.key }, users, deliver });
    started.push(() => implicit.stop());
    return {
      dir,
      ca,
      otherCa,
      dovecot,
      starttls,
      implicit,
      ...(iface ? { iface } : {}),
      async writeSettings(home, extra = {}, trust = 'ca') {
        await mkdir(join(home, 'config'), { recursive: true, mode: 0o700 });
        const settings = { Sophon: { Mail: { CaFiles: [(trust === 'ca' ? ca : otherCa).caFile], TimeoutSeconds: 10 }, ...extra } };
        await writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify(settings, null, 2), { mode: 0o600 });
      },
      stop: undo,
    };
  } catch (error) {
    await undo();
    throw error;
  }
}

/** A real RFC 5322 message, composed the way a mail client would (nodemailer's MailComposer). */
export async function composeMessage(options: {
  from: string;
  to: string;
  subject: string;
  text?: string;
  html?: string;
  date?: Date;
  attachments?: Array<{ filename: string; content: Buffer | string; contentType?: string }>;
}): Promise<string> {
  const composer = new MailComposer({ ...options, ...(options.date ? { date: options.date } : {}) });
  const built = await composer.compile().build();
  return built.toString('utf8');
}
