import * as oauth from 'oauth4webapi';
import type { StoredSecret } from '../connections/model.ts';

export type OAuthSecret = Extract<StoredSecret, { type: 'oauth' }>;

/** A token endpoint response → what the vault keeps. */
export function tokenSecret(tokens: oauth.TokenEndpointResponse, now: number, previous?: OAuthSecret): OAuthSecret {
  const refreshToken = tokens.refresh_token ?? previous?.refreshToken;
  const scope = tokens.scope ?? previous?.scope;
  const idToken = tokens.id_token ?? previous?.idToken;
  return {
    type: 'oauth',
    accessToken: tokens.access_token,
    tokenType: tokens.token_type,
    ...(refreshToken ? { refreshToken } : {}),
    ...(typeof tokens.expires_in === 'number' ? { expiresAt: now + tokens.expires_in * 1000 } : {}),
    ...(scope ? { scope } : {}),
    ...(idToken ? { idToken } : {}),
  };
}

/** Who signed in, when the server sent an ID token: email, else preferred_username, else sub. */
export function identityFromTokens(tokens: oauth.TokenEndpointResponse): string | undefined {
  const claims = oauth.getValidatedIdTokenClaims(tokens);
  if (!claims) return undefined;
  const pick = (name: string) => (typeof claims[name] === 'string' ? (claims[name] as string) : undefined);
  return pick('email') ?? pick('preferred_username') ?? claims.sub;
}
