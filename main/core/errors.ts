import { dirname } from 'node:path';

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
  'VAULT_UNAVAILABLE',
  'VAULT_PERMISSION',
  'VAULT_CONFLICT',
  'VAULT_TOO_LARGE',
  'VAULT_QUOTA',
  'VAULT_MIGRATION',
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
  'PERMISSION_DENIED',
  'INPUT_TOO_LARGE',
  'CANCELLED',
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
  const system = fileSystemError(value, (value as NodeJS.ErrnoException)?.path ?? 'a file', 'write');
  if (system) return system;
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

/** What to do about a path Sophon cannot write, by the system's reason. */
function writeRemedy(path: string, code: string): string {
  switch (code) {
    case 'EROFS':
      return 'it is on a read-only file system: set SOPHON_HOME to a directory on a writable one';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full: free some space, then retry';
    default:
      return `Sophon's directories must be yours with mode 0700: run \`chown -R "$(id -un)" ${path}\` and \`chmod 700 ${path}\`, or set SOPHON_HOME to a directory you own`;
  }
}

/** One line for a directory Sophon cannot write: the cause, then the fix. */
export function writeFix(path: string, code: string): string {
  return `${path} is not writable (${code}) — ${writeRemedy(path, code)}`;
}

/**
 * A file-system failure as a SophonError naming the path and the fix, or undefined for other
 * errors. `create` and `write` are fixed on the directory holding the path; `secure` (making
 * it mode 0700) on the path itself.
 */
export function fileSystemError(error: unknown, path: string, doing: 'create' | 'write' | 'read' | 'secure'): SophonError | undefined {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS' && code !== 'ENOSPC' && code !== 'EDQUOT') return undefined;
  const where = (error as NodeJS.ErrnoException).path ?? path;
  const remedy = doing === 'read' && code !== 'EROFS' ? 'it must be readable by you (files 0600, directories 0700, owned by you): run `sophon doctor`' : writeRemedy(doing === 'secure' ? where : dirname(where), code);
  // A write goes through a temp file beside its target: name the directory, which is what needs fixing.
  const what = doing === 'secure' ? `make ${where} private (mode 0700)` : doing === 'write' ? `write in ${dirname(where)}` : `${doing} ${where}`;
  return new SophonError('PERMISSION_DENIED', `cannot ${what} (${code}) — ${remedy}`, { cause: error });
}
