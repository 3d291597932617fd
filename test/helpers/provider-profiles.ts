import type { ProviderProfile } from './provider-sim.ts';

/*
 * What each provider documents, as simulation profiles. Every value here was taken from the
 * page in `docs` (and the linked ones in the comments), not from Sophon's catalog: the
 * conformance suite only passes when the catalog agrees with these pages.
 */

const GOOGLE_API = ['https://gmail.googleapis.com', 'https://www.googleapis.com', 'https://openidconnect.googleapis.com'];

export const PROFILES = {
  // https://developers.google.com/identity/protocols/oauth2/native-app: desktop clients, loopback IP
  // on any port, client_secret required at the token endpoint, access_type=offline for a refresh
  // token (not rotated), revocation at oauth2.googleapis.com/revoke (400 for an unknown token).
  // Authorization responses now carry iss=https://accounts.google.com; id_tokens carry either
  // spelling (https://developers.google.com/identity/openid-connect/openid-connect#validatinganidtoken).
  google: {
    docs: 'https://developers.google.com/identity/protocols/oauth2/native-app',
    origins: ['https://accounts.google.com', 'https://oauth2.googleapis.com', ...GOOGLE_API],
    authorize: { path: '/o/oauth2/v2/auth', iss: 'https://accounts.google.com', redirect: 'any-port', pkce: 'optional', offline: { param: ['access_type', 'offline'] }, scopeSeparator: ' ' },
    token: { path: '/token', body: 'form', clientAuth: 'basic-or-post', secret: 'required', errors: 'rfc6749', tokenType: 'Bearer', accessPrefix: 'ya29.', expiresIn: 3599, refresh: 'reuse', idTokenIssuers: ['https://accounts.google.com', 'accounts.google.com'], scopeSeparator: ' ' },
    revoke: { kind: 'rfc7009', path: '/revoke', clientAuth: 'none', body: 'form', invalidTokenStatus: 400 },
    api: [
      { method: 'GET', path: '/gmail/v1/users/me/profile' },
      { method: 'GET', path: '/calendar/v3/users/me/calendarList' },
      { method: 'GET', path: '/drive/v3/about' },
      { method: 'GET', path: '/v1/userinfo' },
    ],
  },
  // https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow and
  // .../reply-url#localhost-exceptions: public client, http://localhost with the port ignored,
  // offline_access for a refresh token that is replaced on every use, no iss on the response,
  // no revocation endpoint; device code per .../v2-oauth2-device-code.
  microsoft: {
    docs: 'https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow',
    origins: ['https://login.microsoftonline.com', 'https://graph.microsoft.com'],
    authorize: { path: '/common/oauth2/v2.0/authorize', redirect: 'any-port', pkce: 'optional', offline: { scope: 'offline_access' }, scopeSeparator: ' ' },
    device: { codePath: '/common/oauth2/v2.0/devicecode', verificationUri: 'https://microsoft.com/devicelogin', deniedError: 'authorization_declined' },
    token: { path: '/common/oauth2/v2.0/token', body: 'form', clientAuth: 'post', secret: 'none', errors: 'rfc6749', tokenType: 'Bearer', accessPrefix: 'eyJ0eXAiOiJKV1Qi.', expiresIn: 3600, refresh: 'rotate', scopeSeparator: ' ' },
    revoke: { kind: 'none' },
    api: [
      { method: 'GET', path: '/v1.0/me' },
      { method: 'GET', path: '/v1.0/me/mailFolders/inbox' },
      { method: 'GET', path: '/v1.0/me/calendars' },
      { method: 'GET', path: '/v1.0/me/drive' },
      { method: 'GET', path: '/v1.0/me/joinedTeams' },
    ],
  },
  // https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps: loopback
  // callback with any port (path must match), client_secret required by the web flow, answers
  // form-encoded unless Accept: application/json, errors as HTTP 200, no refresh tokens for OAuth
  // apps, iss=https://github.com/login/oauth on the callback. Revocation:
  // https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token (Basic app auth, 204).
  github: {
    docs: 'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps',
    origins: ['https://github.com', 'https://api.github.com'],
    authorize: { path: '/login/oauth/authorize', iss: 'https://github.com/login/oauth', redirect: 'any-port', pkce: 'optional', scopeSeparator: ' ' },
    device: { codePath: '/login/device/code', verificationUri: 'https://github.com/login/device', deniedError: 'access_denied' },
    token: { path: '/login/oauth/access_token', body: 'form', clientAuth: 'basic-or-post', secret: 'required', errors: 'http200', formUnlessJsonAccepted: true, tokenType: 'bearer', accessPrefix: 'gho_', refresh: 'none', scopeSeparator: ',' },
    revoke: { kind: 'github', pathPrefix: '/applications' },
    // https://docs.github.com/en/rest/rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user:
    // every valid token may call it (it does not count against the limit); an installation
    // token (ghs_) cannot read /user. A bad token: 401 {"message": "Bad credentials"}
    // (https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api). Requests
    // without a User-Agent are refused (https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api#user-agent).
    api: [
      { method: 'GET', path: '/user', answer: { login: 'octocat', id: 1 } },
      { method: 'GET', path: '/rate_limit', answer: { resources: { core: { limit: 5000, used: 1, remaining: 4999, reset: 1_900_000_000 }, search: { limit: 30, used: 0, remaining: 30, reset: 1_900_000_000 }, graphql: { limit: 5000, used: 0, remaining: 5000, reset: 1_900_000_000 } }, rate: { limit: 5000, used: 1, remaining: 4999, reset: 1_900_000_000 } } },
    ],
    api401: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' },
    apiNeedsUserAgent: true,
  },
  // https://docs.gitlab.com/api/oauth2/: discovery, PKCE lets a non-confidential app skip the
  // secret, two-hour access tokens, a new refresh token on each refresh, /oauth/revoke (RFC 7009),
  // device authorization grant; gitlab.com compares the redirect URI with its port
  // (https://gitlab.com/gitlab-org/gitlab/-/issues/435764).
  gitlab: {
    docs: 'https://docs.gitlab.com/api/oauth2/',
    origins: ['https://gitlab.com'],
    discovery: true,
    authorize: { path: '/oauth/authorize', redirect: 'exact', pkce: 'optional', scopeSeparator: ' ' },
    device: { codePath: '/oauth/authorize_device', verificationUri: 'https://gitlab.com/oauth/device', deniedError: 'access_denied' },
    token: { path: '/oauth/token', body: 'form', clientAuth: 'basic-or-post', secret: 'unless-pkce', errors: 'rfc6749', tokenType: 'Bearer', accessPrefix: '', expiresIn: 7200, refresh: 'rotate', scopeSeparator: ' ' },
    revoke: { kind: 'rfc7009', path: '/oauth/revoke', clientAuth: 'basic-or-post', body: 'form', invalidTokenStatus: 200 },
    api: [{ method: 'GET', path: '/api/v4/user' }],
  },
  // https://docs.slack.dev/authentication/using-pkce: PKCE public client, desktop redirects for
  // user scopes; oauth.v2.user.access answers token_type "user", comma-separated scopes, errors as
  // HTTP 200 {"ok": false}; rotating tokens (12 h, refresh invalid_refresh_token when dead);
  // https://docs.slack.dev/reference/methods/auth.revoke with the token itself.
  slack: {
    docs: 'https://docs.slack.dev/authentication/using-pkce',
    origins: ['https://slack.com'],
    authorize: { path: '/oauth/v2_user/authorize', redirect: 'exact', pkce: 'optional', scopeSeparator: ',' },
    token: { path: '/api/oauth.v2.user.access', body: 'form', clientAuth: 'basic-or-post', secret: 'unless-pkce', errors: 'slack', tokenType: 'user', accessPrefix: 'xoxe.xoxp-1-', expiresIn: 43200, refresh: 'rotate', scopeSeparator: ',', extra: { ok: true, user_id: 'U1', team: { id: 'T1' } } },
    revoke: { kind: 'bearer', path: '/api/auth.revoke', slack: true },
    api: [{ method: 'POST', path: '/api/auth.test', slack: true }],
  },
  // https://discord.com/developers/docs/topics/oauth2 and https://discord.com/.well-known/oauth-authorization-server:
  // issuer https://discord.com with authorization_response_iss_parameter_supported, exact redirects,
  // basic/post/none client auth, rotating refresh tokens, RFC 7009 revocation.
  discord: {
    docs: 'https://discord.com/developers/docs/topics/oauth2',
    origins: ['https://discord.com'],
    authorize: { path: '/api/oauth2/authorize', iss: 'https://discord.com', redirect: 'exact', pkce: 'optional', scopeSeparator: ' ' },
    token: { path: '/api/oauth2/token', body: 'form', clientAuth: 'basic-or-post', secret: 'unless-pkce', errors: 'rfc6749', tokenType: 'Bearer', accessPrefix: 'dsc', expiresIn: 604800, refresh: 'rotate', scopeSeparator: ' ' },
    revoke: { kind: 'rfc7009', path: '/api/oauth2/token/revoke', clientAuth: 'basic-or-post', body: 'form', invalidTokenStatus: 200 },
    api: [{ method: 'GET', path: '/api/v10/users/@me' }],
  },
  // https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/: audience=api.atlassian.com,
  // one exact callback URL, JSON token requests with client_id and client_secret, offline_access for
  // a rotating refresh token, tokens only valid through api.atlassian.com/ex/{product}/{cloudid},
  // the cloud id from /oauth/token/accessible-resources; no revocation endpoint documented.
  atlassian: {
    docs: 'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/',
    origins: ['https://auth.atlassian.com', 'https://api.atlassian.com'],
    authorize: { path: '/authorize', redirect: 'exact', pkce: 'unsupported', offline: { scope: 'offline_access' }, requireParams: { audience: 'api.atlassian.com' }, scopeSeparator: ' ' },
    token: { path: '/oauth/token', body: 'json', clientAuth: 'post', secret: 'required', errors: 'rfc6749', tokenType: 'Bearer', accessPrefix: 'eyJraWQi.', expiresIn: 3600, refresh: 'rotate', scopeSeparator: ' ' },
    revoke: { kind: 'none' },
    api: [{ method: 'GET', path: /^\/ex\/(jira\/cloud-7\/rest\/api\/3\/myself|confluence\/cloud-7\/wiki\/rest\/api\/user\/current)$/ }],
    resources: { path: '/oauth/token/accessible-resources', sites: [{ id: 'cloud-9', url: 'https://other.atlassian.net' }, { id: 'cloud-7', url: 'https://acme.atlassian.net' }] },
  },
  // https://linear.app/developers/oauth-2-0-authentication: comma-separated scopes, PKCE (secret then
  // optional), form-encoded token requests, 24 h access tokens with rotating refresh tokens, revoke
  // with POST /oauth/revoke and the token as bearer.
  linear: {
    docs: 'https://linear.app/developers/oauth-2-0-authentication',
    origins: ['https://linear.app', 'https://api.linear.app'],
    authorize: { path: '/oauth/authorize', redirect: 'exact', pkce: 'optional', scopeSeparator: ',' },
    token: { path: '/oauth/token', body: 'form', clientAuth: 'post', secret: 'unless-pkce', errors: 'rfc6749', tokenType: 'Bearer', accessPrefix: 'lin_oauth_', expiresIn: 86399, refresh: 'rotate', scopeSeparator: ',' },
    revoke: { kind: 'bearer', path: '/oauth/revoke' },
    api: [{ method: 'POST', path: '/graphql' }],
  },
  // https://developers.notion.com/docs/authorization and /reference/create-a-token, /refresh-a-token,
  // /revoke-token: owner=user, registered redirect URIs, HTTP Basic client auth with a JSON body, a
  // new refresh token on each refresh, revoke with Basic auth and {"token"}.
  notion: {
    docs: 'https://developers.notion.com/docs/authorization',
    origins: ['https://api.notion.com'],
    authorize: { path: '/v1/oauth/authorize', redirect: 'exact', pkce: 'unsupported', requireParams: { owner: 'user' }, scopeSeparator: ' ' },
    token: { path: '/v1/oauth/token', body: 'json', clientAuth: 'basic', secret: 'required', errors: 'rfc6749', tokenType: 'bearer', accessPrefix: 'ntn_', refresh: 'rotate', scopeSeparator: ' ', extra: { bot_id: 'b1', workspace_id: 'w1', owner: { type: 'user' } } },
    revoke: { kind: 'notion', path: '/v1/oauth/revoke' },
    api: [{ method: 'GET', path: '/v1/users/me' }],
  },
  // https://developers.asana.com/docs/oauth: confidential app (secret required), one-hour access
  // tokens, a refresh token that stays the same, POST /-/oauth_revoke with client credentials.
  asana: {
    docs: 'https://developers.asana.com/docs/oauth',
    origins: ['https://app.asana.com'],
    authorize: { path: '/-/oauth_authorize', redirect: 'exact', pkce: 'optional', scopeSeparator: ' ' },
    token: { path: '/-/oauth_token', body: 'form', clientAuth: 'post', secret: 'required', errors: 'rfc6749', tokenType: 'bearer', accessPrefix: '2/', expiresIn: 3600, refresh: 'reuse', scopeSeparator: ' ' },
    revoke: { kind: 'rfc7009', path: '/-/oauth_revoke', clientAuth: 'post', body: 'form', invalidTokenStatus: 200 },
    api: [{ method: 'GET', path: '/api/1.0/users/me' }],
  },
  // https://developer.todoist.com/api/v1/#tag/Authorization and the official SDK (todoist-api-typescript,
  // src/authentication.ts): the authorization URL has client_id, scope (comma-separated) and state
  // only, so Todoist always returns to the app's one registered redirect URL; the code exchange sends
  // client_id, client_secret and code; tokens do not expire; RFC 7009 revocation at
  // api.todoist.com/api/v1/revoke with HTTP Basic.
  todoist: {
    docs: 'https://developer.todoist.com/api/v1/#tag/Authorization',
    origins: ['https://todoist.com', 'https://api.todoist.com'],
    authorize: { path: '/oauth/authorize', redirect: 'registered-only', pkce: 'unsupported', scopeSeparator: ',' },
    token: { path: '/oauth/access_token', body: 'form', clientAuth: 'post', secret: 'required', errors: 'rfc6749', tokenType: 'Bearer', accessPrefix: '', refresh: 'none', scopeSeparator: ',' },
    revoke: { kind: 'rfc7009', path: '/api/v1/revoke', clientAuth: 'basic', body: 'form', invalidTokenStatus: 200 },
    api: [{ method: 'GET', path: '/api/v1/user' }],
  },
  // https://developers.dropbox.com/oauth-guide: redirect URIs registered exactly, PKCE without the app
  // secret, token_access_type=offline for a long-lived refresh token that is not rotated, revocation
  // with POST /2/auth/token/revoke and the token as bearer.
  dropbox: {
    docs: 'https://developers.dropbox.com/oauth-guide',
    origins: ['https://www.dropbox.com', 'https://api.dropboxapi.com'],
    authorize: { path: '/oauth2/authorize', redirect: 'exact', pkce: 'optional', offline: { param: ['token_access_type', 'offline'] }, scopeSeparator: ' ' },
    token: { path: '/oauth2/token', body: 'form', clientAuth: 'basic-or-post', secret: 'unless-pkce', errors: 'rfc6749', tokenType: 'bearer', accessPrefix: 'sl.', expiresIn: 14400, refresh: 'reuse', scopeSeparator: ' ' },
    revoke: { kind: 'bearer', path: '/2/auth/token/revoke' },
    api: [{ method: 'POST', path: '/2/users/get_current_account' }],
  },
  // https://developer.box.com/guides/authentication/oauth2/ and /access-tokens/revoke: registered
  // redirect URIs, client secret required, single-use refresh tokens, POST /oauth2/revoke with
  // client_id, client_secret and token.
  box: {
    docs: 'https://developer.box.com/guides/authentication/oauth2/',
    origins: ['https://account.box.com', 'https://api.box.com'],
    authorize: { path: '/api/oauth2/authorize', redirect: 'exact', pkce: 'unsupported', scopeSeparator: ' ' },
    token: { path: '/oauth2/token', body: 'form', clientAuth: 'post', secret: 'required', errors: 'rfc6749', tokenType: 'bearer', accessPrefix: '', expiresIn: 3600, refresh: 'rotate', scopeSeparator: ' ' },
    revoke: { kind: 'rfc7009', path: '/oauth2/revoke', clientAuth: 'post', body: 'form', invalidTokenStatus: 200 },
    api: [{ method: 'GET', path: '/2.0/users/me' }],
  },
  // shared/docs/protocols.md (OpenAI Codex, unofficial): public client with PKCE, loopback on
  // localhost:1455 or 1457 only, id_tokens from https://auth.openai.com, refresh with a JSON body and
  // single-use refresh tokens; no revocation is documented.
  codex: {
    docs: 'https://developers.openai.com/codex/auth',
    origins: ['https://auth.openai.com'],
    authorize: { path: '/oauth/authorize', redirect: 'exact', pkce: 'required', scopeSeparator: ' ' },
    token: { path: '/oauth/token', body: 'form', refreshBody: 'json', clientAuth: 'post', secret: 'none', errors: 'rfc6749', tokenType: 'Bearer', accessPrefix: 'eyJhbGciOi.', expiresIn: 3600, refresh: 'rotate', idTokenIssuers: ['https://auth.openai.com'], idTokenClaims: { 'https://api.openai.com/auth': { chatgpt_account_id: 'acct-42', chatgpt_plan_type: 'plus' } }, scopeSeparator: ' ' },
    revoke: { kind: 'none' },
    api: [],
  },
} satisfies Record<string, ProviderProfile>;

/**
 * GitHub with a Copilot seat: GitHub's own sign-in and API, plus the Copilot token exchange as
 * shared/docs/protocols.md records it ("GitHub and Copilot", unofficial): GET
 * /copilot_internal/v2/token with `Authorization: token <GitHub token>` answers {token,
 * expires_at, refresh_in, endpoints.api, sku, chat_enabled}; 401/403/404 when there is no seat.
 */
export const COPILOT: ProviderProfile = { ...PROFILES.github, docs: 'https://docs.github.com/copilot', copilotExchange: { path: '/copilot_internal/v2/token' } };
