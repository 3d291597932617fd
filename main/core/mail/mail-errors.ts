import type { MailServer } from '../catalog/schema.ts';
import { SophonError, firstLine, type ErrorCode } from '../errors.ts';
import { describeCertificate, presentedCertificate } from './certificate.ts';
import { SIDE_NAME, defaultPort, describeServer, type MailSide } from './endpoints.ts';

/**
 * auth: the server refused the login (the connection needs re-auth); certificate: its
 * certificate is not trusted; tls: TLS could not be had (no STARTTLS, not TLS at all);
 * network: unreachable, timed out, closed; refused: a command was answered with an error.
 */
export type MailFailureKind = 'auth' | 'certificate' | 'tls' | 'network' | 'refused';

export interface MailFailure {
  readonly side: MailSide;
  readonly kind: MailFailureKind;
  /** One line for a person: what happened and what to do. Never holds the password. */
  readonly message: string;
  /** What the server answered, when it did (the reason a connection needs re-auth). */
  readonly answer?: string;
}

const CODE_OF: Readonly<Record<MailFailureKind, ErrorCode>> = {
  auth: 'NEEDS_REAUTH',
  certificate: 'CERTIFICATE_UNTRUSTED',
  tls: 'INSECURE_URL',
  network: 'NETWORK_ERROR',
  refused: 'MAIL_REFUSED',
};

export function failureError(failure: MailFailure): SophonError {
  return new SophonError(CODE_OF[failure.kind], failure.message);
}

/** Node's codes for a certificate that did not verify (chain, name or dates). */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const NOT_TLS_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'EPROTO']);

interface LibraryError {
  readonly message?: string;
  readonly code?: string;
  readonly originalCode?: string;
  readonly response?: string;
  readonly responseText?: string;
  readonly authenticationFailed?: boolean;
  readonly tlsFailed?: boolean;
  readonly command?: string;
}

function withoutTag(response: string): string {
  // An IMAP tagged answer ("3 NO [AUTHENTICATIONFAILED] …"): the tag is ours, not the server's reason.
  return firstLine(response.replace(/^[A-Za-z0-9.]+ (?=(OK|NO|BAD)\b)/, '').trim());
}

/** Sorts an imapflow or nodemailer error; a refused certificate is probed for what was presented. */
export async function classifyMailError(error: unknown, side: MailSide, server: MailServer, timeoutMs: number): Promise<MailFailure> {
  const e = (error ?? {}) as LibraryError;
  const code = e.originalCode ?? e.code ?? '';
  const where = `${SIDE_NAME[side]} server ${server.host}:${server.port}`;
  if (side === 'imap' ? e.authenticationFailed === true : e.code === 'EAUTH') {
    const answer = withoutTag(e.response ?? e.responseText ?? e.message ?? 'authentication failed');
    return { side, kind: 'auth', answer, message: `${SIDE_NAME[side]} refused the password: ${answer}` };
  }
  if (CERTIFICATE_CODES.has(code)) {
    const cert = await presentedCertificate(server, side, timeoutMs);
    const presented = cert ? `it presented ${describeCertificate(cert)}` : 'what it presented could not be read';
    return {
      side,
      kind: 'certificate',
      message: `the certificate of ${where} is not trusted (${firstLine(e.message ?? code)}): ${presented}`,
    };
  }
  if (NOT_TLS_CODES.has(code)) {
    return { side, kind: 'tls', message: `${where} does not answer with TLS — is it a STARTTLS port? try --${side}-tls starttls (port ${defaultPort(side, 'starttls')})` };
  }
  if ((side === 'imap' && e.tlsFailed === true && /STARTTLS/i.test(e.message ?? '')) || (side === 'smtp' && e.code === 'ETLS')) {
    const said = e.response ? ` (it answered: ${firstLine(e.response)})` : '';
    return {
      side,
      kind: 'tls',
      message: `${where} does not offer STARTTLS${said} — the password was not sent; use implicit TLS (port ${defaultPort(side, 'implicit')}) if the server has it`,
    };
  }
  if (side === 'smtp' && e.code === 'ENOAUTH') {
    return { side, kind: 'refused', message: `${where} offers no way to log in (no AUTH) — check the port: submission is ${defaultPort('smtp', 'implicit')} (TLS) or ${defaultPort('smtp', 'starttls')} (STARTTLS)` };
  }
  if (e.response !== undefined && e.code !== 'ESOCKET' && e.code !== 'ECONNECTION') {
    return { side, kind: 'refused', message: `${where} answered: ${withoutTag(e.response)}` };
  }
  const reason = firstLine(e.message ?? String(error));
  return { side, kind: 'network', message: `could not reach ${describeServer(server)}: ${reason} — check the host, port and TLS mode, and the network` };
}
