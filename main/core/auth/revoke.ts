import * as oauth from 'oauth4webapi';
import type { RequestContext } from '../connections/connection-service.ts';
import type { Connection, StoredSecret } from '../connections/model.ts';
import type { SophonCore } from '../sophon-core.ts';
import type { DeviceMethod, OAuth2Method } from './methods.ts';

/**
 * RFC 7009: revoke the refresh token (which ends the grant) and the access token, where
 * the server has a revocation endpoint. Best effort: the caller deletes either way.
 */
export async function revokeConnection(core: SophonCore, connection: Connection, secret: StoredSecret | undefined, ctx: RequestContext): Promise<'revoked' | 'not_supported' | 'failed'> {
  if (!secret || secret.type !== 'oauth') return 'not_supported';
  const service = core.catalog.get(connection.service);
  const method = service?.auth.find((m): m is OAuth2Method | DeviceMethod => m.type === connection.authMethod && (m.type === 'oauth2' || m.type === 'device'));
  if (!service || !method) return 'not_supported';
  try {
    const context = await core.oauth.servers.context(service, method);
    if (!context.as.revocation_endpoint) return 'not_supported';
    for (const token of [secret.refreshToken, secret.accessToken]) {
      if (!token) continue;
      const response = await oauth.revocationRequest(context.as, context.client, context.clientAuth, token, { ...context.http, signal: AbortSignal.timeout(10_000) });
      await oauth.processRevocationResponse(response);
    }
    core.audit.append({ actor: ctx.actor, action: 'credential.revoke', connection: connection.id, service: connection.service, outcome: 'ok' });
    return 'revoked';
  } catch (error) {
    core.audit.append({ actor: ctx.actor, action: 'credential.revoke', connection: connection.id, service: connection.service, outcome: 'error', reason: error instanceof Error ? error.message.slice(0, 200) : 'failed' });
    return 'failed';
  }
}
