import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import type { MailServer } from '../catalog/schema.ts';
import type { MailSide } from './endpoints.ts';

/**
 * What a server presented when its certificate was refused. Runs only after the library
 * refused it, on a connection of its own that never authenticates: implicit TLS is a bare
 * handshake; STARTTLS goes through the same library up to the upgrade and stops there.
 */
export async function presentedCertificate(server: MailServer, side: MailSide, timeoutMs: number): Promise<PeerCertificate | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  const probe = server.tls === 'implicit' ? handshake(server) : side === 'imap' ? imapStarttls(server) : smtpStarttls(server, timeoutMs);
  try {
    return await Promise.race([probe.catch(() => undefined), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const servername = (host: string) => (isIP(host) ? {} : { servername: host });

function capture(socket: TLSSocket): PeerCertificate | undefined {
  const cert = socket.getPeerCertificate(true);
  return cert && Object.keys(cert).length > 0 ? cert : undefined;
}

function handshake(server: MailServer): Promise<PeerCertificate | undefined> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: server.host, port: server.port, ...servername(server.host), rejectUnauthorized: false }, () => {
      const cert = capture(socket);
      socket.destroy();
      resolve(cert);
    });
    socket.on('error', () => resolve(undefined));
  });
}

async function imapStarttls(server: MailServer): Promise<PeerCertificate | undefined> {
  let captured: (cert: PeerCertificate | undefined) => void = () => undefined;
  const seen = new Promise<PeerCertificate | undefined>((resolve) => (captured = resolve));
  const { ImapFlow } = await import('imapflow');
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    doSTARTTLS: true,
    logger: false,
    // Our own socket for this probe only: the upgrade records the certificate and then ends the connection.
    transport: {
      connect: (options, onConnect) => netConnect({ host: options.host, port: options.port }, onConnect),
      upgrade: (socket, options) => {
        const secure = tlsConnect({ socket: socket as never, host: options.host, ...servername(options.host), rejectUnauthorized: false }, () => {
          captured(capture(secure));
          secure.destroy();
        });
        return secure;
      },
    },
  });
  client.on('error', () => undefined);
  const failed = client.connect().then(
    () => undefined,
    () => undefined,
  );
  try {
    return await Promise.race([seen, failed]);
  } finally {
    client.close();
  }
}

async function smtpStarttls(server: MailServer, timeoutMs: number): Promise<PeerCertificate | undefined> {
  const { default: SMTPConnection } = await import('nodemailer/lib/smtp-connection');
  return new Promise((resolve) => {
    const connection = new SMTPConnection({ host: server.host, port: server.port, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs });
    connection.on('error', () => resolve(undefined));
    connection.connect(() => {
      // The STARTTLS upgrade happened inside connect(); nothing is authenticated before close().
      const socket = connection._socket;
      const cert = socket && 'getPeerCertificate' in socket ? capture(socket as TLSSocket) : undefined;
      connection.close();
      resolve(cert);
    });
  });
}

function name(entity: Record<string, string | string[] | undefined> | undefined): string {
  if (!entity) return 'an unnamed party';
  const cn = entity['CN'];
  const o = entity['O'];
  const pick = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(', ') : v);
  return [cn !== undefined ? `CN=${pick(cn)}` : undefined, o !== undefined ? `O=${pick(o)}` : undefined].filter(Boolean).join(', ') || 'an unnamed party';
}

/** "CN=mail.example.com (DNS:mail.example.com), issued by CN=Some CA, valid until …, SHA-256 AB:CD:…". */
export function describeCertificate(cert: PeerCertificate): string {
  const subject = name(cert.subject as unknown as Record<string, string>);
  const issuer = name(cert.issuer as unknown as Record<string, string>);
  const names = cert.subjectaltname ? ` (${cert.subjectaltname.replace(/IP Address:/g, 'IP:')})` : '';
  const selfSigned = subject === issuer ? ', self-signed' : `, issued by ${issuer}`;
  return `${subject}${names}${selfSigned}, valid until ${cert.valid_to}, SHA-256 ${cert.fingerprint256}`;
}
