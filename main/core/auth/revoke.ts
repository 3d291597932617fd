import * as oauth from 'oauth4webapi';
import type { Revocation } from '../catalog/oauth-facts.ts';
import type { RequestContext } from '../connections/connection-service.ts';
import type { Connection, StoredSecret } from '../connections/model.ts';
import { firstLine } from '../errors.ts';
import type { SophonCore } from '../sophon-core.ts';
import type { DeviceMethod, OAuth2Method } from './methods.ts';
import { describeOAuthError, type OAuthContext } from './oauth-server.ts';
import type { OAuthSecret } from './token-response.ts';

export type RevocationOutcome = 'revoked' | 'not_supported' | 'failed';

export interface RevocationResult {
  readonly outcome: RevocationOutcome;
  /** One line for the person when the provider could not be asked or did not confirm: what to do instead. */
  readonly note?: string;
}

/** What a definition says, or what its revocationEndpoint or discovery implies (RFC 7009). */
export function revocationOf(method: OAuth2Method | DeviceMethod): Revocation | undefined {
  return method.revocation ?? (method.revocationEndpoint || method.issuer ? { kind: 'rfc7009', token: 'refresh' } : undefined);
}

/**
 * Ends the grant at the provider the way its definition says (RFC 7009, the provider's own
 * call, or nothing), before `connect remove` deletes the connection. Best effort: the caller
 * deletes either way, and the note says plainly what the person should do when it could not.
 */
export async function revokeConnection(core: SophonCore, connection: Connection, secret: StoredSecret | undefined, ctx: RequestContext): Promise<RevocationResult> {
  if (!secret || secret.type !== 'oauth') return { outcome: 'not_supported' };
  const service = core.catalog.get(connection.service);
  const method = service?.auth.find((m): m is OAuth2Method | DeviceMethod => m.type === connection.authMethod && (m.type === 'oauth2' || m.type === 'device'));
  if (!service || !method) return { outcome: 'not_supported' };
  // Unset: RFC 7009 at whatever revocation endpoint the definition or discovery names, if any.
  const revocation: Revocation = method.revocation ?? { kind: 'rfc7009', token: 'refresh' };
  if (revocation.kind === 'none') return { outcome: 'not_supported', note: `${revocation.reason} — revoke Sophon's access at ${revocation.manageUrl}` };
  const audit = (outcome: 'ok' | 'error', reason?: string) =>
    core.audit.append({ actor: ctx.actor, action: 'credential.revoke', connection: connection.id, service: connection.service, outcome, ...(reason ? { reason: reason.slice(0, 200) } : {}) });
  try {
    const context = await core.oauth.servers.context(service, method);
    if (revocation.kind === 'rfc7009') {
      if (!context.as.revocation_endpoint) return { outcome: 'not_supported', note: `${service.name} names no revocation endpoint — remove Sophon's access in your ${service.name} account settings` };
      const secretOf = revocation.clientAuth ? (await core.oauth.servers.client(service, method)).clientSecret : undefined;
      const clientAuth = secretOf === undefined ? context.clientAuth : revocation.clientAuth === 'client_secret_basic' ? oauth.ClientSecretBasic(secretOf) : oauth.ClientSecretPost(secretOf);
      const revoke = async (token: string, hint: 'refresh_token' | 'access_token') =>
        oauth.processRevocationResponse(await oauth.revocationRequest(context.as, context.client, clientAuth, token, { ...context.http, additionalParameters: { token_type_hint: hint }, signal: AbortSignal.timeout(10_000) }));
      if (revocation.token === 'refresh' && secret.refreshToken) {
        // Revoking the refresh token ends the grant (RFC 7009 §2.1); the access token then goes
        // too where the server allows it, and a server that already dropped it (Google answers 400) is fine.
        await revoke(secret.refreshToken, 'refresh_token');
        await revoke(secret.accessToken, 'access_token').catch(() => undefined);
      } else {
        await revoke(secret.accessToken, 'access_token');
      }
    } else {
      const stored = await core.oauth.servers.client(service, method).catch(() => undefined);
      if (revocation.auth === 'client_basic' && !stored?.clientSecret) {
        return { outcome: 'not_supported', note: `${service.name} revokes a token only with the OAuth client's secret, and none is stored — revoke Sophon's access at ${revocation.manageUrl}` };
      }
      const problem = await revokeByRequest(revocation, secret, context, stored?.clientSecret);
      if (problem) throw new Error(problem);
    }
    audit('ok');
    return { outcome: 'revoked' };
  } catch (error) {
    const reason = firstLine(describeOAuthError(error));
    audit('error', reason);
    const where = revocation.kind === 'request' ? revocation.manageUrl : `your ${service.name} account settings`;
    return { outcome: 'failed', note: `${service.name} did not confirm the revocation (${reason}) — revoke Sophon's access at ${where}` };
  }
}

/** A provider's own revocation call; returns a problem, or undefined when it confirmed. */
async function revokeByRequest(revocation: Extract<Revocation, { kind: 'request' }>, secret: OAuthSecret, context: OAuthContext, clientSecret: string | undefined): Promise<string | undefined> {
  const values: Record<string, string> = { token: secret.accessToken, client_id: context.clientId, client_secret: clientSecret ?? '' };
  const fill = (template: string, encode: (v: string) => string = (v) => v) => template.replace(/\{(token|client_id|client_secret)\}/g, (_m, name: string) => encode(values[name] ?? ''));
  const headers: Record<string, string> = { accept: 'application/json' };
  headers['authorization'] = revocation.auth === 'bearer' ? `Bearer ${secret.accessToken}` : `Basic ${Buffer.from(`${context.clientId}:${clientSecret ?? ''}`).toString('base64')}`;
  let body: string | undefined;
  if (revocation.json) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(Object.fromEntries(Object.entries(revocation.json).map(([k, v]) => [k, fill(v)])));
  }
  const fetchFn = context.http[oauth.customFetch];
  const response = await fetchFn(fill(revocation.url, encodeURIComponent), { method: revocation.method, headers, ...(body !== undefined ? { body } : {}), redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  const text = await response.text().catch(() => '');
  if (!revocation.okStatus.includes(response.status)) return `HTTP ${response.status}`;
  if (revocation.okJson) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return `HTTP ${response.status} without JSON`;
    }
    const value = revocation.okJson.path.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), json);
    if (value !== revocation.okJson.equals) {
      const error = json && typeof json === 'object' && typeof (json as Record<string, unknown>)['error'] === 'string' ? `: ${(json as Record<string, string>)['error']}` : '';
      return `${revocation.okJson.path} was not ${String(revocation.okJson.equals)}${error}`;
    }
  }
  return undefined;
}
