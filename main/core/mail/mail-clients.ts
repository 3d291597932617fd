// The mail libraries load when a mailbox is used, not when a command starts (see build-cli.js).
import type { ImapFlow } from 'imapflow';
import type { MailServer } from '../catalog/schema.ts';
import { SophonError } from '../errors.ts';
import { classifyMailError, failureError, type MailFailure } from './mail-errors.ts';
import type { MailSide } from './endpoints.ts';

/** A login and the TLS trust every mail connection of this owner uses. */
export interface MailLogin {
  readonly username: string;
  readonly password: string;
}

export interface MailTransportOptions {
  /** System roots plus Sophon.Mail.CaFiles; undefined: Node's default roots. */
  readonly ca?: readonly string[];
  readonly timeoutMs: number;
}

/** A mail failure that has been sorted, so callers can tell a refused password from a network fault. */
export class MailFailureError extends SophonError {
  constructor(readonly failure: MailFailure) {
    super(failureError(failure).code, failure.message);
    this.name = 'MailFailureError';
  }
}

async function failed(error: unknown, side: MailSide, server: MailServer, options: MailTransportOptions): Promise<MailFailureError> {
  if (error instanceof MailFailureError) return error;
  if (error instanceof SophonError) throw error;
  return new MailFailureError(await classifyMailError(error, side, server, options.timeoutMs));
}

function tlsOptions(options: MailTransportOptions) {
  return { minVersion: 'TLSv1.2' as const, ...(options.ca ? { ca: [...options.ca] } : {}) };
}

/**
 * Logs in over IMAP, runs `work`, logs out. STARTTLS is required when asked for (imapflow's
 * doSTARTTLS: true fails rather than falling back); plain text was already limited to loopback.
 */
export async function withImap<T>(server: MailServer, login: MailLogin, options: MailTransportOptions, work: (client: ImapFlow) => Promise<T>): Promise<T> {
  const { ImapFlow } = await import('imapflow');
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: server.tls === 'implicit',
    doSTARTTLS: server.tls === 'starttls' ? true : server.tls === 'plain' ? false : undefined,
    auth: { user: login.username, pass: login.password },
    tls: tlsOptions(options),
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: Math.max(options.timeoutMs * 4, 60_000),
    clientInfo: { name: 'Sophon Desktop' },
  });
  // Errors also reach the pending command; this keeps a late socket error from being unhandled.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    client.close();
    throw await failed(error, 'imap', server, options);
  }
  try {
    return await work(client);
  } catch (error) {
    throw await failed(error, 'imap', server, options);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** An SMTP transport for one send or verify; `close()` it afterwards. */
export async function smtpTransport(server: MailServer, login: MailLogin, options: MailTransportOptions) {
  const { default: nodemailer } = await import('nodemailer');
  return nodemailer.createTransport({
    host: server.host,
    port: server.port,
    secure: server.tls === 'implicit',
    requireTLS: server.tls === 'starttls',
    ignoreTLS: server.tls === 'plain',
    auth: { user: login.username, pass: login.password },
    tls: tlsOptions(options),
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: Math.max(options.timeoutMs * 4, 60_000),
    logger: false,
    debug: false,
  });
}

/** Runs `work` on an SMTP transport and sorts whatever goes wrong. */
export async function withSmtp<T>(server: MailServer, login: MailLogin, options: MailTransportOptions, work: (transport: Awaited<ReturnType<typeof smtpTransport>>) => Promise<T>): Promise<T> {
  const transport = await smtpTransport(server, login, options);
  try {
    return await work(transport);
  } catch (error) {
    throw await failed(error, 'smtp', server, options);
  } finally {
    transport.close();
  }
}
