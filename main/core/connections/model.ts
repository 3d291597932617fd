import { z } from 'zod';
import { AUTH_METHOD_TYPES, MailServer, ServiceId } from '../catalog/schema.ts';

export const ConnectionState = z.enum(['active', 'expiring', 'needs_reauth', 'error']);
export type ConnectionState = z.infer<typeof ConnectionState>;

export const Label = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^\p{Cc}:]+$/u, 'no control characters or colons')
  .refine((s) => s.trim() === s, 'no leading or trailing spaces');

/** One side of a test that has several (a mailbox: IMAP and SMTP), reported on its own. */
export const TestPart = z.object({ name: z.string(), ok: z.boolean(), message: z.string() });
export type TestPart = z.infer<typeof TestPart>;

export const TestResult = z.object({
  at: z.string(),
  ok: z.boolean(),
  status: z.number().int().optional(),
  message: z.string(),
  durationMs: z.number(),
  parts: z.array(TestPart).optional(),
  /** false: nothing was called (no live check exists for this sign-in; `message` says why). */
  live: z.boolean().optional(),
});
export type TestResult = z.infer<typeof TestResult>;

/** A connection's metadata. Holds no secret: the credential is under secret/<id> in the vault. */
export const Connection = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  service: ServiceId,
  label: Label,
  authMethod: z.enum(AUTH_METHOD_TYPES),
  state: ConnectionState,
  stateReason: z.string().optional(),
  scopes: z.array(z.string()),
  /** Access-token expiry, ms since the epoch; absent when the credential does not expire. */
  expiresAt: z.number().optional(),
  createdAt: z.string(),
  lastUsedAt: z.string().optional(),
  lastRefreshAt: z.string().optional(),
  lastTest: TestResult.optional(),
  params: z.record(z.string(), z.string()),
  /** Who this credential signs in as, when the service told us (a login, an email). */
  account: z.string().optional(),
  /** Which OAuth client obtained it (not a secret). */
  clientId: z.string().optional(),
  /** Whether the vault holds a refresh token for it (the scheduler renews only these). */
  refreshable: z.boolean().optional(),
  /** A mailbox's own servers, where the service has none or they were given when connecting (settings still win). */
  mail: z.object({ imap: MailServer.optional(), smtp: MailServer.optional() }).optional(),
});
export type Connection = z.infer<typeof Connection>;

/** Credential material, kept only in the vault under secret/<connection id>. */
export type StoredSecret =
  | { readonly type: 'api_key'; readonly key: string }
  | { readonly type: 'bearer'; readonly token: string }
  | { readonly type: 'basic'; readonly username: string; readonly password: string }
  | { readonly type: 'smtp_imap'; readonly username: string; readonly password: string }
  | {
      readonly type: 'oauth';
      readonly accessToken: string;
      readonly refreshToken?: string;
      readonly expiresAt?: number;
      readonly tokenType?: string;
      readonly scope?: string;
      readonly idToken?: string;
      readonly extra?: Readonly<Record<string, string>>;
    }
  | { readonly type: 'external'; readonly source: string };

export const connectionKey = (id: string) => `connection/${id}`;
export const secretKey = (id: string) => `secret/${id}`;

/** Every string value in a secret, for redaction and leak checks. */
export function secretValues(secret: StoredSecret): string[] {
  return Object.entries(secret)
    .filter(([name, value]) => name !== 'type' && typeof value === 'string' && value.length >= 6 && name !== 'tokenType' && name !== 'scope' && name !== 'username')
    .map(([, value]) => value as string);
}
