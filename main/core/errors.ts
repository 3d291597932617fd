/**
 * One error type for everything the core reports. `code` is stable (the UI and the
 * CLI switch on it); `message` is one line a person can act on: the cause, then the fix.
 */
export const ERROR_CODES = [
  'VAULT_LOCKED',
  'VAULT_TAMPERED',
  'VAULT_WRONG_PASSPHRASE',
  'VAULT_WRONG_PROTECTOR',
  'VAULT_NEEDS_DESKTOP',
  'VAULT_UNSUPPORTED',
  'VAULT_OWNED',
  'VAULT_MISSING',
  'VAULT_CLOSED',
  'KEYRING_UNAVAILABLE',
  'NO_PROTECTOR',
  'PASSPHRASE_REQUIRED',
  'UNKNOWN_SERVICE',
  'UNSUPPORTED_AUTH_METHOD',
  'DUPLICATE_LABEL',
  'CONNECTION_NOT_FOUND',
  'AMBIGUOUS_CONNECTION',
  'CONNECTOR_INVALID',
  'SETTINGS_INVALID',
  'INVALID_INPUT',
  'EMPTY_SECRET',
  'TEST_FAILED',
  'NETWORK_ERROR',
  'INSECURE_URL',
  'AUDIT_BROKEN',
  'OAUTH_CLIENT_MISSING',
  'OAUTH_STATE_MISMATCH',
  'OAUTH_ISSUER_MISMATCH',
  'OAUTH_ERROR_RESPONSE',
  'OAUTH_EXPIRED',
  'OAUTH_ACCESS_DENIED',
  'OAUTH_CANCELLED',
  'OAUTH_PROTOCOL',
  'NEEDS_REAUTH',
  'NOT_SUPPORTED',
  'PROVIDER_ERROR',
  'CLI_CREDENTIALS',
  'NO_COPILOT_SEAT',
  'CREDENTIAL_RESTRICTED',
  'NO_USABLE_PROFILE',
  'SKILL_NOT_FOUND',
  'SKILL_NOT_APPROVED',
  'BROKER_DENIED',
  'BROKER_BUSY',
  'BROKER_TOKEN_INVALID',
  'BROKER_NOT_RUNNING',
  'OWNER_UNREACHABLE',
  'CERTIFICATE_UNTRUSTED',
  'MAIL_REFUSED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class SophonError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SophonError';
    this.code = code;
  }
}

export function isSophonError(value: unknown): value is SophonError {
  return value instanceof SophonError;
}

/** Maps anything thrown to a SophonError; unknown failures become INTERNAL (a bug). */
export function toSophonError(value: unknown): SophonError {
  if (value instanceof SophonError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new SophonError('INTERNAL', `unexpected error: ${firstLine(message)}`, { cause: value });
}

export function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

export function assertNever(value: never, what = 'value'): never {
  throw new SophonError('INTERNAL', `unhandled ${what}: ${JSON.stringify(value)}`);
}
