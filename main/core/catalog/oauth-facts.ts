import { z } from 'zod';

/*
 * How a provider's OAuth differs from the RFCs, written down per catalog entry with the
 * page that says so (`docs`). The sign-in, refresh, test and revocation code reads these
 * facts; it has no provider names in it.
 */

/**
 * RFC 9207 `iss` in the authorization response, and the `iss` of any id_token. A URL: a
 * response naming another issuer is refused (and one naming none too, when `always`).
 * 'none': the provider names no issuer, and a response that does name one is refused.
 */
export const ResponseIssuer = z.union([
  z.literal('none'),
  z.object({
    issuer: z.string().min(1),
    /** The provider documents `iss` on every response (or advertises authorization_response_iss_parameter_supported). */
    always: z.boolean().default(false),
    /** Other spellings id_tokens carry (Google: "accounts.google.com" beside "https://accounts.google.com"). */
    idTokenIssuers: z.array(z.string().min(1)).default([]),
  }),
]);
export type ResponseIssuer = z.infer<typeof ResponseIssuer>;

/**
 * How the provider compares a loopback redirect_uri with the registered one.
 * 'any-port': RFC 8252 §7.3, register it without a port (or nothing at all, see `register`).
 * 'exact': the port is compared too, so Sophon listens on a fixed, configurable port.
 */
export const LoopbackMatch = z.enum(['any-port', 'exact']);
export type LoopbackMatch = z.infer<typeof LoopbackMatch>;

/** The port Sophon listens on for providers that compare the port (override: Sophon.Services.<id>.loopbackPort). */
export const DEFAULT_FIXED_LOOPBACK_PORT = 53682;

export const Loopback = z
  .object({
    host: z.enum(['127.0.0.1', 'localhost']).default('127.0.0.1'),
    path: z.string().startsWith('/').default('/oauth/callback'),
    match: LoopbackMatch.default('any-port'),
    /** Fixed ports, tried in order (a provider-registered client such as Codex's, or `match: 'exact'`). */
    ports: z.array(z.number().int().min(1).max(65535)).optional(),
    /** False when the person registers nothing (Google "Desktop app" clients, a provider's own public client). */
    register: z.boolean().default(true),
  })
  .default({ host: '127.0.0.1', path: '/oauth/callback', match: 'any-port', register: true });
export type Loopback = z.infer<typeof Loopback>;

/** Placeholders a revocation request may use: {token}, {client_id}, {client_secret}. */
const Template = z.string().min(1);

/**
 * How `connect remove` ends the grant at the provider.
 * rfc7009: POST to the method's revocationEndpoint (RFC 7009), with the method's client
 *   authentication and body format. `token`: 'refresh' revokes the refresh token when there
 *   is one (which ends the grant), else the access token; 'access' always the access token.
 * request: the provider's own API call (GitHub's DELETE /applications/{client_id}/token,
 *   Slack's auth.revoke, Dropbox's /2/auth/token/revoke).
 * none: the provider offers no revocation; `manageUrl` is where the person revokes it.
 */
export const Revocation = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('rfc7009'),
    token: z.enum(['refresh', 'access']).default('refresh'),
    /** When the revocation endpoint authenticates the client differently from the token endpoint (Todoist: Basic). */
    clientAuth: z.enum(['client_secret_basic', 'client_secret_post']).optional(),
    docs: z.url().optional(),
  }),
  z.object({
    kind: z.literal('request'),
    method: z.enum(['POST', 'DELETE']).default('POST'),
    url: Template,
    /** bearer: the token being revoked authenticates the call; client_basic: client_id:client_secret. */
    auth: z.enum(['bearer', 'client_basic']),
    /** JSON body fields (templates); none: no body. */
    json: z.record(z.string(), Template).optional(),
    okStatus: z.array(z.number().int().min(100).max(599)).default([200, 204]),
    /** A JSON field that must hold a value on success (Slack answers HTTP 200 with {"ok": false} on failure). */
    okJson: z.object({ path: z.string().min(1), equals: z.union([z.string(), z.number(), z.boolean()]) }).optional(),
    /** Where to revoke by hand when this call cannot be made (no client secret stored). */
    manageUrl: z.url(),
    docs: z.url().optional(),
  }),
  z.object({ kind: z.literal('none'), manageUrl: z.url(), reason: z.string().min(1), docs: z.url().optional() }),
]);
export type Revocation = z.infer<typeof Revocation>;

/**
 * Parameters a connection learns after sign-in from a provider call (Atlassian's cloud id
 * from /oauth/token/accessible-resources). The answer is a JSON array; the element whose
 * `match.field` equals `match.equals` (params filled in) gives each `take` param from its field.
 */
export const ParamLookup = z.object({
  url: z.url(),
  match: z.object({ field: z.string().min(1), equals: z.string().min(1) }),
  take: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/), z.string().min(1)),
  docs: z.url().optional(),
});
export type ParamLookup = z.infer<typeof ParamLookup>;

/** Provider facts every OAuth2 and device method may state. */
export const OAuthFacts = {
  /** Where these facts come from: the provider's own OAuth documentation. */
  docs: z.url().optional(),
  /** RFC 6749 §4.1.3 says form-encoded; some providers (Notion, Atlassian) document JSON bodies. */
  tokenRequestBody: z.enum(['form', 'json']).default('form'),
  /** token_type values the provider returns for a usable bearer token (Slack's user tokens say "user"). Lower case. */
  tokenTypes: z.array(z.string().min(1)).default(['bearer']),
  /** How the scope parameter joins scopes (Linear, Todoist and Slack want commas). */
  scopeSeparator: z.enum([' ', ',']).default(' '),
  revocation: Revocation.optional(),
  /** OAuth error codes a provider spells its own way, mapped to the RFCs' (Microsoft's device flow: authorization_declined; Slack: invalid_refresh_token). */
  errorAliases: z.record(z.string(), z.string()).default({}),
};
