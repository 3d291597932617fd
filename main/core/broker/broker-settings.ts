import { z } from 'zod';
import { describeIssues } from '../catalog/schema.ts';
import { SophonError } from '../errors.ts';
import type { Settings } from '../settings.ts';

/**
 * `Sophon.Broker` in appsettings.json. Read here rather than in settings.ts so the
 * broker owns its knobs; the settings schema is loose and keeps this section as is.
 */
export const BrokerSettings = z.object({
  Enabled: z.boolean().default(true),
  /** 127.0.0.1 port of the proxy; 0 picks a free one (printed, and written to run/broker.json). */
  Port: z.number().int().min(0).max(65535).default(0),
  DefaultTtlSeconds: z.number().int().min(1).max(86_400).default(300),
  /** The ceiling no minted token may exceed. */
  MaxTtlSeconds: z.number().int().min(1).max(86_400).default(900),
  /** Extra PEM files trusted for upstream TLS, besides the system roots (tests, corporate CAs). */
  CaFiles: z.array(z.string().min(1)).default([]),
  /** How long a call to a connection that needs re-auth waits for the user to reconnect; 0 answers at once. */
  ReauthHoldSeconds: z.number().min(0).max(600).default(0),
  /** Upstream connections kept per origin. */
  UpstreamConnections: z.number().int().min(1).max(1024).default(64),
  /** Upstream answer deadline (headers), seconds. */
  UpstreamTimeoutSeconds: z.number().min(1).max(3600).default(60),
  /** Connections from skills open at once; past it the oldest idle one is closed (see net-limits.ts). */
  MaxConnections: z.number().int().min(16).max(16_384).default(1024),
  /** Calls one broker token may have in flight at once; more are answered 429. */
  MaxCallsPerToken: z.number().int().min(1).max(4096).default(64),
});
export type BrokerSettings = z.infer<typeof BrokerSettings>;

export function brokerSettings(settings: Settings): BrokerSettings {
  const raw = (settings.Sophon as Record<string, unknown>)['Broker'] ?? {};
  const parsed = BrokerSettings.safeParse(raw);
  if (!parsed.success) {
    throw new SophonError('SETTINGS_INVALID', `appsettings.json Sophon.Broker: ${describeIssues(parsed.error)} — fix the file and restart`);
  }
  return parsed.data;
}
