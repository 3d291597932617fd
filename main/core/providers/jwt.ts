import { z } from 'zod';

/**
 * Reads the claims of a JWT without verifying it. Only for facts about our own token
 * that the issuer handed us directly over TLS (expiry, plan, account): never to decide
 * whom to trust.
 */
export function jwtClaims(token: string | undefined): Record<string, unknown> | undefined {
  if (!token) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const json: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `exp` in ms since the epoch, when the token is a JWT that has one. */
export function jwtExpiry(token: string | undefined): number | undefined {
  const exp = jwtClaims(token)?.['exp'];
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
}

/** The claim OpenAI puts in its ID (and access) tokens: which ChatGPT account and plan. */
const OpenAIAuthClaim = z.looseObject({
  chatgpt_account_id: z.string().min(1).optional(),
  chatgpt_plan_type: z.string().min(1).optional(),
});

export interface OpenAIIdentity {
  readonly accountId?: string;
  readonly plan?: string;
  readonly email?: string;
}

/** Plan and account from `https://api.openai.com/auth`, and the email, of an OpenAI JWT. */
export function openaiIdentity(token: string | undefined): OpenAIIdentity {
  const claims = jwtClaims(token);
  if (!claims) return {};
  const auth = OpenAIAuthClaim.safeParse(claims['https://api.openai.com/auth']);
  const email = typeof claims['email'] === 'string' ? claims['email'] : undefined;
  return {
    ...(auth.success && auth.data.chatgpt_account_id ? { accountId: auth.data.chatgpt_account_id } : {}),
    ...(auth.success && auth.data.chatgpt_plan_type ? { plan: auth.data.chatgpt_plan_type } : {}),
    ...(email ? { email } : {}),
  };
}
