import { isLoopbackHost } from '../catalog/catalog.ts';
import type { MailServer, MailTls, ServiceDefinition } from '../catalog/schema.ts';
import { authMethod } from '../catalog/schema.ts';
import type { Connection } from '../connections/model.ts';
import { SophonError } from '../errors.ts';
import type { Settings } from '../settings.ts';
import { serverOverride } from './mail-settings.ts';

export type MailSide = 'imap' | 'smtp';

export interface MailEndpoints {
  readonly imap: MailServer;
  readonly smtp: MailServer;
}

export const SIDE_NAME: Readonly<Record<MailSide, string>> = { imap: 'IMAP', smtp: 'SMTP' };

/** The usual port for a side and TLS mode (RFC 8314 §7.3 for implicit TLS, RFC 6409 for submission). */
export function defaultPort(side: MailSide, tls: MailTls): number {
  if (side === 'imap') return tls === 'implicit' ? 993 : 143;
  return tls === 'implicit' ? 465 : 587;
}

export function describeServer(server: MailServer): string {
  const mode = server.tls === 'implicit' ? 'TLS' : server.tls === 'starttls' ? 'STARTTLS' : 'plain text';
  return `${server.host}:${server.port} (${mode})`;
}

/** A password never crosses the network in plain text, except to this machine. */
export function checkTlsPolicy(server: MailServer, side: MailSide): void {
  if (server.tls === 'plain' && !isLoopbackHost(server.host)) {
    throw new SophonError(
      'INSECURE_URL',
      `${SIDE_NAME[side]} to ${server.host} would send the password in plain text — plain is allowed only to 127.0.0.1/localhost; use implicit TLS (port ${defaultPort(side, 'implicit')}) or STARTTLS (port ${defaultPort(side, 'starttls')})`,
    );
  }
}

/**
 * The servers a mailbox connection talks to: appsettings.json (Sophon.Services.<id>.imap/.smtp)
 * over what was given when connecting over the service's preset. Throws when a side is
 * incomplete or would send the password in plain text to another machine.
 */
export function resolveEndpoints(service: ServiceDefinition, mail: Connection['mail'], settings: Settings): MailEndpoints {
  const method = authMethod(service, 'smtp_imap');
  const resolve = (side: MailSide): MailServer => {
    const merged = { ...(method?.[side] ?? {}), ...(mail?.[side] ?? {}), ...(serverOverride(settings, service.id, side) ?? {}) };
    if (merged.host === undefined || merged.tls === undefined) {
      throw new SophonError('INVALID_INPUT', `${service.name} has no ${SIDE_NAME[side]} server — give it with --${side}-host HOST --${side}-tls implicit|starttls (or Sophon.Services.${service.id}.${side} in appsettings.json)`);
    }
    const server: MailServer = { host: merged.host, tls: merged.tls, port: merged.port ?? defaultPort(side, merged.tls) };
    checkTlsPolicy(server, side);
    return server;
  };
  return { imap: resolve('imap'), smtp: resolve('smtp') };
}
