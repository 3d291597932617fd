import { z } from 'zod';
import { MailServer, describeIssues } from '../catalog/schema.ts';
import { SophonError } from '../errors.ts';
import { serviceOverride, type Settings } from '../settings.ts';

/**
 * `Sophon.Mail` in appsettings.json, read here so mail owns its knobs (the settings schema is
 * loose and keeps the section as written), and the per-service server overrides
 * `Sophon.Services.<id>.imap` / `.smtp`.
 */
export const MailSettings = z.object({
  /** Extra PEM files trusted for IMAP/SMTP TLS, besides the system roots (a company CA, a test CA). */
  CaFiles: z.array(z.string().min(1)).default([]),
  /** Connect, greeting and command deadline per server, seconds. */
  TimeoutSeconds: z.number().min(1).max(600).default(30),
  /** The most messages one search returns (newest first). */
  MaxSearchResults: z.number().int().min(1).max(1000).default(50),
  /** The most text of one message `read` returns; longer text is cut and says so. */
  MaxTextBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(256 * 1024),
  /** The largest attachment `read` fetches when asked for one. */
  MaxAttachmentBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(10 * 1024 * 1024),
});
export type MailSettings = z.infer<typeof MailSettings>;

export function mailSettings(settings: Settings): MailSettings {
  const raw = (settings.Sophon as Record<string, unknown>)['Mail'] ?? {};
  const parsed = MailSettings.safeParse(raw);
  if (!parsed.success) throw new SophonError('SETTINGS_INVALID', `appsettings.json Sophon.Mail: ${describeIssues(parsed.error)} — fix the file and restart`);
  return parsed.data;
}

const ServerOverride = MailServer.partial();

/** The `imap` / `smtp` override of a service, if appsettings.json has one. */
export function serverOverride(settings: Settings, serviceId: string, side: 'imap' | 'smtp'): Partial<MailServer> | undefined {
  const raw = (serviceOverride(settings, serviceId) as Record<string, unknown>)[side];
  if (raw === undefined) return undefined;
  const parsed = ServerOverride.safeParse(raw);
  if (!parsed.success) throw new SophonError('SETTINGS_INVALID', `appsettings.json Sophon.Services.${serviceId}.${side}: ${describeIssues(parsed.error)} — e.g. {"host": "imap.example.com", "port": 993, "tls": "implicit"}`);
  return parsed.data;
}
