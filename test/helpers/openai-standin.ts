import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { startUpstream } from './http-upstream.ts';
import { openaiJwt } from './provider-env.ts';

const CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/**
 * auth.openai.com as Codex uses it (protocols.md): the authorization code grant with PKCE
 * (form body), and the refresh grant with a JSON body whose refresh tokens are single-use:
 * presenting one twice answers `refresh_token_reused`.
 */
export async function startOpenAIStandin(options: { accountId?: string; plan?: string; omitExpiresIn?: boolean } = {}) {
  const codes = new Map<string, { challenge: string; redirectUri: string }>();
  const live = new Set<string>();
  const used = new Set<string>();
  const state = { refreshBodies: [] as unknown[], issuedAccess: [] as string[], issuedRefresh: [] as string[] };
  let issuer = '';
  const issue = (res: ServerResponse, expiresIn: boolean) => {
    const now = Math.floor(Date.now() / 1000);
    const access = openaiJwt({ iss: issuer, aud: CLIENT_ID, exp: now + 3600, iat: now, accountId: options.accountId ?? 'acct-42', plan: options.plan ?? 'plus' });
    const refresh = `rt-CANARY-${randomBytes(6).toString('hex')}`;
    live.add(refresh);
    state.issuedAccess.push(access);
    state.issuedRefresh.push(refresh);
    json(res, 200, {
      id_token: openaiJwt({ iss: issuer, aud: CLIENT_ID, exp: now + 3600, iat: now, email: 'ada@example.com', accountId: options.accountId ?? 'acct-42', plan: options.plan ?? 'plus' }),
      access_token: access,
      refresh_token: refresh,
      token_type: 'Bearer',
      ...(expiresIn ? { expires_in: 3600 } : {}),
    });
  };
  const upstream = await startUpstream((req, res) => {
    if (req.method !== 'POST' || req.url !== '/oauth/token') return json(res, 404, { error: 'not_found' });
    if ((req.headers['content-type'] ?? '').includes('application/json')) {
      const body = JSON.parse(req.body) as { client_id?: string; grant_type?: string; refresh_token?: string };
      state.refreshBodies.push(body);
      if (body.client_id !== CLIENT_ID || body.grant_type !== 'refresh_token') return json(res, 400, { error: { code: 'invalid_request', message: 'bad request' } });
      const token = body.refresh_token ?? '';
      if (used.has(token)) return json(res, 401, { error: { message: 'Your refresh token has already been used to generate a new access token.', type: 'invalid_request_error', code: 'refresh_token_reused' } });
      if (!live.has(token)) return json(res, 401, { error: { message: 'unknown', type: 'invalid_request_error', code: 'refresh_token_invalidated' } });
      live.delete(token);
      used.add(token);
      return issue(res, false);
    }
    const form = new URLSearchParams(req.body);
    if (form.get('grant_type') !== 'authorization_code') return json(res, 400, { error: 'unsupported_grant_type' });
    const grant = codes.get(form.get('code') ?? '');
    codes.delete(form.get('code') ?? '');
    const verifier = form.get('code_verifier') ?? '';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (!grant || grant.challenge !== challenge || grant.redirectUri !== form.get('redirect_uri') || form.get('client_id') !== CLIENT_ID) return json(res, 400, { error: 'invalid_grant' });
    issue(res, !options.omitExpiresIn);
  });
  // The issuer auth.openai.com names in its id_tokens, wherever the stand-in listens (only the host moves).
  issuer = 'https://auth.openai.com';
  return {
    ...upstream,
    state,
    /** The person approves in the browser: the redirect the browser would be sent to. */
    approve(authorizationUrl: string): string {
      const url = new URL(authorizationUrl);
      const code = randomBytes(8).toString('hex');
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      codes.set(code, { challenge: url.searchParams.get('code_challenge') ?? '', redirectUri });
      return `${redirectUri}?code=${code}&scope=${encodeURIComponent(url.searchParams.get('scope') ?? '')}&state=${url.searchParams.get('state')}`;
    },
    /** Another client (Codex itself, say) used this refresh token already. */
    markUsed(token: string): void {
      live.delete(token);
      used.add(token);
    },
  };
}
