import { SMTPServer, type SMTPServerAuthentication, type SMTPServerSession } from 'smtp-server';
import { ImapFlow } from 'imapflow';

/**
 * A mail submission server (RFC 6409) built on the smtp-server package: AUTH PLAIN/LOGIN only
 * after TLS (STARTTLS or implicit), as real providers do, or, for the "plain text only" case,
 * no STARTTLS at all. Accepted mail is delivered into Dovecot by IMAP APPEND to the
 * recipient's INBOX, the way an MDA would put it there.
 */
export interface SubmissionOptions {
  readonly host?: string;
  /** starttls: STARTTLS offered, AUTH only after it; implicit: TLS from the first byte; none: no TLS offered at all. */
  readonly mode: 'starttls' | 'implicit' | 'none';
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly users: Readonly<Record<string, string>>;
  /** Where accepted messages go: IMAP APPEND into this Dovecot, logging in as the recipient. */
  readonly deliver?: { readonly port: number; readonly ca: string; readonly passwords: () => Readonly<Record<string, string>> };
}

export interface Submission {
  readonly port: number;
  /** Every AUTH attempt the server saw (username only). */
  readonly authAttempts: string[];
  /** How many TCP connections were accepted. */
  connections(): number;
  readonly delivered: Array<{ from: string; to: string[]; size: number }>;
  setPassword(user: string, password: string): void;
  stop(): Promise<void>;
}

export async function startSubmission(options: SubmissionOptions): Promise<Submission> {
  const passwords = new Map(Object.entries(options.users));
  const authAttempts: string[] = [];
  const delivered: Array<{ from: string; to: string[]; size: number }> = [];
  let connections = 0;
  const deliver = async (to: string, raw: Buffer) => {
    const target = options.deliver;
    if (!target) return;
    const password = target.passwords()[to];
    if (password === undefined) return;
    const client = new ImapFlow({ host: '127.0.0.1', port: target.port, secure: true, tls: { ca: [target.ca] }, auth: { user: to, pass: password }, logger: false });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.append('INBOX', raw);
    } finally {
      await client.logout();
    }
  };
  const server = new SMTPServer({
    secure: options.mode === 'implicit',
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    ...(options.mode === 'none' ? { disabledCommands: ['STARTTLS'], allowInsecureAuth: true } : {}),
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onAuth(auth: SMTPServerAuthentication, _session: SMTPServerSession, callback) {
      authAttempts.push(auth.username ?? '');
      if (auth.username !== undefined && passwords.get(auth.username) === auth.password) return callback(null, { user: auth.username });
      return callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const to = session.envelope.rcptTo.map((r) => r.address);
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        Promise.all(to.map((rcpt) => deliver(rcpt, raw)))
          .then(() => {
            delivered.push({ from, to, size: raw.length });
            callback();
          })
          .catch((error: Error) => callback(Object.assign(new Error(`4.3.0 delivery failed: ${error.message}`), { responseCode: 451 })));
      });
    },
  });
  server.on('error', () => undefined);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    authAttempts,
    delivered,
    connections: () => connections,
    setPassword(user, password) {
      passwords.set(user, password);
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
