import * as oauth from 'oauth4webapi';
import { isLoopbackHost } from '../catalog/catalog.ts';
import type { ServiceDefinition } from '../catalog/schema.ts';
import { SophonError, firstLine } from '../errors.ts';
import type { Clock, HttpFetch } from '../ports.ts';
import type { ICredentialVault } from '../vault/types.ts';
import type { OAuth2Method, DeviceMethod } from './methods.ts';

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
  /** Options every oauth4webapi request takes: our fetch, and http only for loopback. */
  readonly http: { [oauth.customFetch]: typeof fetch; [oauth.allowInsecureRequests]?: boolean };
}

/**
 * fetch as oauth4webapi sees it. GitHub answers token-endpoint errors with HTTP 200 and
 * an `error` field; turn those into the 400 that RFC 6749 §5.2 prescribes so the
 * library's error handling applies.
 */
function protocolFetch(fetchPort: HttpFetch): typeof fetch {
  const wrapped = async (input: URL | Request | string, init?: RequestInit): Promise<Response> => {
    const response = await fetchPort(input instanceof Request ? input.url : (input as string | URL), init);
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
    const endpoints = [method.issuer, method.tokenEndpoint, method.type === 'oauth2' ? method.authorizationEndpoint : method.deviceAuthorizationEndpoint];
    const insecure = endpoints.some(isLoopbackUrl);
    const http = { [oauth.customFetch]: protocolFetch(this.fetch), ...(insecure ? { [oauth.allowInsecureRequests]: true } : {}) };
    const as = await this.server(service, method, http);
    const client = await this.client(service, method);
    const clientAuth =
      client.clientSecret === undefined
        ? oauth.None()
        : method.tokenEndpointAuth === 'client_secret_basic'
          ? oauth.ClientSecretBasic(client.clientSecret)
          : oauth.ClientSecretPost(client.clientSecret);
    return { as, client: { client_id: client.clientId }, clientAuth, clientId: client.clientId, http };
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
    if (method.clientSecret === 'required' && !stored?.clientSecret) {
      throw new SophonError('OAUTH_CLIENT_MISSING', `${service.name} needs the client secret too — run \`sophon connect configure ${service.id} --client-id ${clientId} --client-secret-stdin\``);
    }
    return { clientId, ...(stored?.clientSecret && stored.clientId === clientId ? { clientSecret: stored.clientSecret } : {}) };
  }

  private async server(service: ServiceDefinition, method: OAuth2Method | DeviceMethod, http: OAuthContext['http']): Promise<oauth.AuthorizationServer> {
    const explicit = {
      ...(method.type === 'oauth2' && method.authorizationEndpoint ? { authorization_endpoint: method.authorizationEndpoint } : {}),
      ...(method.type === 'device' && method.deviceAuthorizationEndpoint ? { device_authorization_endpoint: method.deviceAuthorizationEndpoint } : {}),
      ...(method.tokenEndpoint ? { token_endpoint: method.tokenEndpoint } : {}),
      ...(method.revocationEndpoint ? { revocation_endpoint: method.revocationEndpoint } : {}),
    };
    if (!method.issuer) {
      const origin = new URL(method.tokenEndpoint ?? (explicit as { authorization_endpoint?: string }).authorization_endpoint ?? 'https://invalid').origin;
      return { issuer: origin, ...explicit };
    }
    const discovered = await this.discover(service, method.issuer, http);
    // Endpoints a definition (or appsettings.json) names win over discovery.
    return { ...discovered, ...explicit };
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
