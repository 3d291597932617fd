import * as oauth from 'oauth4webapi';
import { SophonError, firstLine, type ErrorCode } from '../errors.ts';
import { describeOAuthError } from './oauth-server.ts';

/** Refresh-token errors that mean the grant is gone: sign in again (RFC 6749 §5.2 and provider variants). */
const DEAD_GRANT = new Set(['invalid_grant', 'refresh_token_expired', 'refresh_token_reused', 'refresh_token_invalidated', 'invalid_token', 'unauthorized_client']);

/** `aliases`: a definition's `errorAliases` (Slack: invalid_refresh_token means invalid_grant). */
export function isDeadGrant(error: unknown, aliases: Readonly<Record<string, string>> = {}): boolean {
  return error instanceof oauth.ResponseBodyError && DEAD_GRANT.has(aliases[error.error] ?? error.error);
}

export function oauthErrorCode(error: unknown): string | undefined {
  return error instanceof oauth.ResponseBodyError || error instanceof oauth.AuthorizationResponseError ? error.error : undefined;
}

/** Maps a library failure to our error with a message that says what to do. */
export function toOAuthError(error: unknown, what: string, fix: string, code: ErrorCode = 'OAUTH_PROTOCOL'): SophonError {
  if (error instanceof SophonError) return error;
  return new SophonError(code, `${what} failed (${firstLine(describeOAuthError(error))}) — ${fix}`, { cause: error });
}
