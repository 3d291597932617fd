import { z } from 'zod';
import type { OAuthSecret } from '../auth/token-response.ts';
import { SophonError, firstLine } from '../errors.ts';
import type { HttpFetch } from '../ports.ts';
import { jwtExpiry } from './jwt.ts';

const CodexTokenResponse = z.looseObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  id_token: z.string().min(1).optional(),
  expires_in: z.number().optional(),
  token_type: z.string().optional(),
  scope: z.string().optional(),
});

/** Single-use refresh tokens: these mean the grant is gone and the person signs in again. */
export const CODEX_DEAD_GRANT: ReadonlySet<string> = new Set(['refresh_token_expired', 'refresh_token_reused', 'refresh_token_invalidated', 'invalid_grant']);

/** `{"error": "code"}`, `{"error": {"code": "…"}}` or `{"code": "…"}`: OpenAI has used each shape. */
export function refreshErrorCode(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  const error = record['error'];
  if (typeof error === 'string') return error;
  if (error !== null && typeof error === 'object' && typeof (error as Record<string, unknown>)['code'] === 'string') return (error as Record<string, string>)['code'];
  return typeof record['code'] === 'string' ? record['code'] : undefined;
}

/** The refresh token was refused for good; `code` is OpenAI's reason. */
export class CodexGrantGone extends SophonError {
  constructor(readonly grantError: string) {
    super('NEEDS_REAUTH', `OpenAI refused the refresh token (${grantError}) — reconnect, or run \`codex login\``);
  }
}

/**
 * Codex's refresh (protocols.md): POST the token endpoint with a JSON body
 * `{client_id, grant_type: "refresh_token", refresh_token}`. The answer's refresh token
 * replaces the old one, which is dead from now on.
 */
export async function refreshCodex(input: { fetch: HttpFetch; tokenEndpoint: string; clientId: string; secret: OAuthSecret; now: () => number }): Promise<OAuthSecret> {
  const { secret } = input;
  if (!secret.refreshToken) throw new CodexGrantGone('no refresh token');
  let response: Response;
  try {
    response = await input.fetch(input.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'SophonDesktop/0.1' },
      body: JSON.stringify({ client_id: input.clientId, grant_type: 'refresh_token', refresh_token: secret.refreshToken }),
      redirect: 'manual',
      signal: AbortSignal.timeout(20_000),
    });
  } catch (error) {
    const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    throw new SophonError('NETWORK_ERROR', `could not reach ${new URL(input.tokenEndpoint).host} to refresh the ChatGPT sign-in (${firstLine(cause)}) — it will be retried; check the network`, { cause: error });
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (response.status >= 500) throw new SophonError('NETWORK_ERROR', `OpenAI answered HTTP ${response.status} to the refresh — it will be retried`);
  if (response.status !== 200) {
    const code = refreshErrorCode(body);
    if (code && CODEX_DEAD_GRANT.has(code)) throw new CodexGrantGone(code);
    if (response.status === 401) throw new CodexGrantGone(code ?? 'HTTP 401');
    throw new SophonError('PROVIDER_ERROR', `OpenAI refused the refresh (HTTP ${response.status}${code ? `, ${code}` : ''}) — reconnect if it keeps failing`);
  }
  const parsed = CodexTokenResponse.safeParse(body);
  if (!parsed.success) throw new SophonError('PROVIDER_ERROR', 'OpenAI\'s refresh answer had no access_token — reconnect if it keeps failing');
  const tokens = parsed.data;
  const now = input.now();
  const expiresAt = tokens.expires_in !== undefined ? now + tokens.expires_in * 1000 : jwtExpiry(tokens.access_token);
  const refreshToken = tokens.refresh_token ?? secret.refreshToken;
  const idToken = tokens.id_token ?? secret.idToken;
  return {
    type: 'oauth',
    accessToken: tokens.access_token,
    tokenType: tokens.token_type ?? secret.tokenType ?? 'Bearer',
    refreshToken,
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...((tokens.scope ?? secret.scope) ? { scope: tokens.scope ?? secret.scope } : {}),
    ...(idToken ? { idToken } : {}),
  };
}
