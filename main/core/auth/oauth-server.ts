import * as oauth from 'oauth4webapi';
import { isLoopbackHost } from '../catalog/catalog.ts';
import type { ServiceDefinition } from '../catalog/schema.ts';
import { SophonError, firstLine } from '../errors.ts';
import type { Clock, HttpFetch } from '../ports.ts';
import type { ICredentialVault } from '../vault/types.ts';
import type { OAuth2Method, DeviceMethod } from './methods.ts';
import type { ResponseIssuer } from '../catalog/oauth-facts.ts';

/** The OAuth client a person registered (or a provider's published one). */
export interface OAuthClientConfig {
  readonly clientId: string;
  readonly clientSecret?: string;
}

export const oauthClientKey = (serviceId: string) => `oauth-client/${serviceId}`;

export interface OAuthContext {
  readonly as: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly clientAuth: oauth.ClientAuth;
  readonly clientId: string;
  /** token_type values to accept besides bearer (definition `tokenTypes`). */
  readonly tokenTypes: readonly string[];
  /** Other spellings of the issuer an id_token may carry (definition `responseIssuer.idTokenIssuers`). */
  readonly idTokenIssuers: readonly string[];
  /** Options every oauth4webapi request takes: our fetch, and http only for loopback. */
  readonly http: { [oauth.customFetch]: typeof fetch; [oauth.allowInsecureRequests]?: boolean };
}

/**
 * fetch as oauth4webapi sees it. GitHub and Slack answer token-endpoint errors with HTTP 200
 * and an `error` field; turn those into the 400 that RFC 6749 §5.2 prescribes so the
 * library's error handling applies. Requests to `jsonUrls` (token and revocation endpoints of
 * a provider that documents JSON bodies) go as JSON instead of form-encoded.
 */
function protocolFetch(fetchPort: HttpFetch, jsonUrls: ReadonlySet<string> = new Set()): typeof fetch {
  const wrapped = async (input: URL | Request | string, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : (input as string | URL);
    const response = await fetchPort(url, jsonUrls.has(String(url)) ? asJsonBody(init) : init);
    if (response.status !== 200 || !(response.headers.get('content-type') ?? '').includes('json')) return response;
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return new Response(text, { status: response.status, headers: response.headers });
    }
    const isError = body !== null && typeof body === 'object' && typeof (body as Record<string, unknown>)['error'] === 'string' && !('access_token' in (body as object)) && !('device_code' in (body as object));
    return new Response(text, { status: isError ? 400 : 200, headers: response.headers });
  };
  return wrapped as typeof fetch;
}

/** The same request with its form body as a JSON object (Notion's and Atlassian's documented shape). */
function asJsonBody(init: RequestInit | undefined): RequestInit | undefined {
  if (!init || !(init.body instanceof URLSearchParams)) return init;
  const headers = new Headers(init.headers);
  headers.set('content-type', 'application/json');
  return { ...init, headers, body: JSON.stringify(Object.fromEntries(init.body)) };
}

function isLoopbackUrl(value: string | undefined): boolean {
  if (!value) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
}

interface CachedServer {
  readonly as: oauth.AuthorizationServer;
  readonly at: number;
}

/**
 * Finds the authorization server for a method (discovery when the definition names an
 * issuer; else its endpoints) and the client to use with it.
 */
export class OAuthServers {
  private readonly discovered = new Map<string, CachedServer>();

  constructor(
    private readonly vault: ICredentialVault,
    private readonly fetch: HttpFetch,
    private readonly clock: Clock,
  ) {}

  async context(service: ServiceDefinition, method: OAuth2Method | DeviceMethod): Promise<OAuthContext> {
    const endpoints = [method.issuer, method.tokenEndpoint, method.revocationEndpoint, method.type === 'oauth2' ? method.authorizationEndpoint : method.deviceAuthorizationEndpoint];
    const insecure = endpoints.some(isLoopbackUrl);
    const plainFetch = protocolFetch(this.fetch);
    const http = { [oauth.customFetch]: plainFetch, ...(insecure ? { [oauth.allowInsecureRequests]: true } : {}) };
    const as = await this.server(service, method, http);
    if (method.tokenRequestBody === 'json') {
      const jsonUrls = new Set([as.token_endpoint, as.revocation_endpoint].filter((u): u is string => typeof u === 'string'));
      http[oauth.customFetch] = protocolFetch(this.fetch, jsonUrls);
    }
    const client = await this.client(service, method);
    const clientAuth =
      client.clientSecret === undefined
        ? oauth.None()
        : method.tokenEndpointAuth === 'client_secret_basic'
          ? oauth.ClientSecretBasic(client.clientSecret)
          : oauth.ClientSecretPost(client.clientSecret);
    const declared = method.type === 'oauth2' ? method.responseIssuer : undefined;
    const idTokenIssuers = declared && declared !== 'none' ? declared.idTokenIssuers : [];
    return { as, client: { client_id: client.clientId }, clientAuth, clientId: client.clientId, http, tokenTypes: method.tokenTypes, idTokenIssuers };
  }

  async client(service: ServiceDefinition, method: OAuth2Method | DeviceMethod): Promise<OAuthClientConfig> {
    const stored = await this.vault.get<OAuthClientConfig>(oauthClientKey(service.id));
    const clientId = stored?.clientId ?? method.defaultClientId;
    if (!clientId) {
      throw new SophonError(
        'OAUTH_CLIENT_MISSING',
        `no OAuth client id for ${service.name} — create one at ${method.clientRegistrationUrl}, then run \`sophon connect configure ${service.id} --client-id ID\` (or set Sophon.Services.${service.id}.clientId in appsettings.json)`,
      );
    }
    const clientSecret = stored?.clientSecret && stored.clientId === clientId ? stored.clientSecret : undefined;
    if (method.clientSecret === 'required' && !clientSecret) {
      const what = method.type === 'device' ? 'the device sign-in' : 'the browser sign-in';
      throw new SophonError(
        'OAUTH_CLIENT_MISSING',
        `${service.name} requires the OAuth client's secret for ${what} and none is stored for client ${clientId} — nothing was opened; run \`sophon connect configure ${service.id}\` (it asks for the secret) and sign in again`,
      );
    }
    return { clientId, ...(clientSecret ? { clientSecret } : {}) };
  }

  private async server(service: ServiceDefinition, method: OAuth2Method | DeviceMethod, http: OAuthContext['http']): Promise<oauth.AuthorizationServer> {
    const explicit = {
      ...(method.type === 'oauth2' && method.authorizationEndpoint ? { authorization_endpoint: method.authorizationEndpoint } : {}),
      ...(method.type === 'device' && method.deviceAuthorizationEndpoint ? { device_authorization_endpoint: method.deviceAuthorizationEndpoint } : {}),
      ...(method.tokenEndpoint ? { token_endpoint: method.tokenEndpoint } : {}),
      ...(method.revocationEndpoint ? { revocation_endpoint: method.revocationEndpoint } : {}),
    };
    const declared = method.type === 'oauth2' ? method.responseIssuer : undefined;
    let as: oauth.AuthorizationServer;
    if (!method.issuer) {
      // No discovery: a guess only when the definition does not say (custom connectors).
      const guess = new URL((explicit as { authorization_endpoint?: string }).authorization_endpoint ?? method.tokenEndpoint ?? 'https://invalid').origin;
      as = { issuer: guess, ...explicit };
    } else {
      // Endpoints a definition (or appsettings.json) names win over discovery.
      as = { ...(await this.discover(service, method.issuer, http)), ...explicit };
    }
    return withResponseIssuer(as, declared);
  }

  /** RFC 8414 / OpenID discovery, cached for an hour. */
  private async discover(service: ServiceDefinition, issuer: string, http: OAuthContext['http']): Promise<oauth.AuthorizationServer> {
    const cached = this.discovered.get(issuer);
    if (cached && this.clock.now() - cached.at < 3_600_000) return cached.as;
    const url = new URL(issuer);
    let lastError: unknown;
    for (const algorithm of ['oidc', 'oauth2'] as const) {
      try {
        const response = await oauth.discoveryRequest(url, { algorithm, ...http });
        const as = await oauth.processDiscoveryResponse(url, response);
        this.discovered.set(issuer, { as, at: this.clock.now() });
        return as;
      } catch (error) {
        lastError = error;
      }
    }
    throw new SophonError(
      'OAUTH_PROTOCOL',
      `could not read ${service.name}'s OAuth discovery document at ${issuer} (${firstLine(describeOAuthError(lastError))}) — check the issuer in the connector or appsettings.json and the network`,
      { cause: lastError },
    );
  }
}

export function describeOAuthError(error: unknown): string {
  if (error instanceof oauth.ResponseBodyError) return `${error.error}${error.error_description ? `: ${error.error_description}` : ''} (HTTP ${error.status})`;
  if (error instanceof oauth.AuthorizationResponseError) return `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
  if (error instanceof Error) return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
  return String(error);
}

/** True for failures worth retrying: the network, or the server's own trouble (5xx). */
export function isTransient(error: unknown): boolean {
  if (error instanceof oauth.ResponseBodyError) return error.status >= 500;
  if (error instanceof oauth.OperationProcessingError) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Response ? cause.status >= 500 : false;
  }
  if (error instanceof SophonError) return error.code === 'NETWORK_ERROR';
  return error instanceof TypeError || (error instanceof Error && /fetch failed|ECONN|ETIMEDOUT|socket|network/i.test(error.message));
}

/** The issuer a sign-in response must name, for the checks in SignInManager and oauth4webapi. */
export const NO_ISSUER = 'urn:sophon:no-issuer';

/**
 * Applies a definition's `responseIssuer` (RFC 9207 §2.4): the issuer the provider names in
 * authorization responses and id_tokens, and whether it always names it. 'none' gets an
 * issuer no response can name, so any `iss` is refused.
 */
export function withResponseIssuer(as: oauth.AuthorizationServer, declared: ResponseIssuer | undefined): oauth.AuthorizationServer {
  if (declared === undefined) return as;
  if (declared === 'none') return { ...as, issuer: NO_ISSUER, authorization_response_iss_parameter_supported: false };
  return { ...as, issuer: declared.issuer, authorization_response_iss_parameter_supported: declared.always };
}

/** The `iss` of an id_token oauth4webapi refused for naming another issuer, if that was the reason. */
function refusedIdTokenIssuer(error: unknown): string | undefined {
  if (!(error instanceof oauth.OperationProcessingError) || error.code !== oauth.JWT_CLAIM_COMPARISON) return undefined;
  const cause = error.cause as { claim?: unknown; claims?: { iss?: unknown } } | undefined;
  return cause?.claim === 'iss' && typeof cause.claims?.iss === 'string' ? cause.claims.iss : undefined;
}

type Grant = 'authorization_code' | 'refresh_token' | 'device_code';

/**
 * Checks a token endpoint response with the provider's facts: the token types it documents
 * (Slack's "user"), and the other spellings of its issuer its id_tokens may carry (Google's
 * "accounts.google.com"), which are accepted and nothing else.
 */
export async function processTokenResponse(ctx: OAuthContext, response: Response, grant: Grant): Promise<oauth.TokenEndpointResponse> {
  const recognizedTokenTypes = Object.fromEntries(ctx.tokenTypes.filter((t) => t !== 'bearer' && t !== 'dpop').map((t) => [t, () => undefined]));
  const run = (as: oauth.AuthorizationServer, res: Response) => {
    switch (grant) {
      case 'authorization_code':
        return oauth.processAuthorizationCodeResponse(as, ctx.client, res, { requireIdToken: false, recognizedTokenTypes });
      case 'refresh_token':
        return oauth.processRefreshTokenResponse(as, ctx.client, res, { recognizedTokenTypes });
      case 'device_code':
        return oauth.processDeviceCodeResponse(as, ctx.client, res, { recognizedTokenTypes });
    }
  };
  const spare = ctx.idTokenIssuers.length > 0 ? response.clone() : undefined;
  try {
    return await run(ctx.as, response);
  } catch (error) {
    const iss = refusedIdTokenIssuer(error);
    if (iss === undefined) throw error;
    if (spare && ctx.idTokenIssuers.includes(iss)) return run({ ...ctx.as, issuer: iss }, spare);
    // OpenID Connect Core §3.1.3.7 step 2: the id_token's iss must be the issuer; a mix-up or a forged answer otherwise.
    const expected = ctx.as.issuer === NO_ISSUER ? 'but this provider names none' : `not ${[ctx.as.issuer, ...ctx.idTokenIssuers].map((i) => `"${i}"`).join(' or ')}`;
    throw new SophonError(
      'OAUTH_ISSUER_MISMATCH',
      `the id_token in the token response names the issuer "${firstLine(iss).slice(0, 200)}", ${expected} — refused, nothing was stored; sign in again, and if it repeats check this service's origins in appsettings.json`,
      { cause: error },
    );
  }
}
