import * as oauth from 'oauth4webapi';
import type { Catalog } from '../catalog/catalog.ts';
import type { ConnectionService, RequestContext } from '../connections/connection-service.ts';
import type { Connection } from '../connections/model.ts';
import { SophonError, firstLine } from '../errors.ts';
import type { Clock } from '../ports.ts';
import type { DeviceMethod, OAuth2Method } from '../auth/methods.ts';
import { describeOAuthError, isTransient, processTokenResponse, type OAuthServers } from '../auth/oauth-server.ts';
import { isDeadGrant, oauthErrorCode } from '../auth/oauth-errors.ts';
import { tokenSecret, type OAuthSecret } from '../auth/token-response.ts';
import { secretKey } from '../connections/model.ts';
import type { VaultLeases } from '../vault/vault-leases.ts';

/** A provider whose refresh is not RFC 6749 (e.g. JSON body): returns the new secret or throws. */
export type CustomRefresher = (input: { connection: Connection; secret: OAuthSecret; now: number }) => Promise<OAuthSecret>;

export interface TokenManagerOptions {
  readonly connections: ConnectionService;
  readonly catalog: Catalog;
  readonly servers: OAuthServers;
  readonly clock: Clock;
  /** A token handed out is valid for at least this long. */
  readonly minValidityMs?: number;
  /** Retries of network errors and 5xx before giving up for now. */
  readonly retries?: number;
  readonly retryBaseMs?: number;
  /** A vault several machines share: refreshes take its lease so only one machine refreshes a token. */
  readonly leases?: VaultLeases;
  /** How long a refresh may hold that lease. */
  readonly leaseMs?: number;
}

export interface AccessToken {
  readonly accessToken: string;
  readonly expiresAt?: number;
}

/** Thrown when a refresh is impossible because the grant is gone: the person must sign in again. */
export function needsReauth(connection: Connection, reason: string): SophonError {
  return new SophonError('NEEDS_REAUTH', `${connection.service}:${connection.label} needs re-auth (${reason}) — reconnect it with \`sophon connect reauth ${connection.id}\` or from the tray`);
}

/**
 * The one way anything gets an OAuth access token: valid for at least a minute, refreshed
 * first when needed, one refresh per connection at a time (concurrent callers share it),
 * the rotated refresh token persisted before the new access token is handed out, and on a
 * dead grant the connection turns needs_reauth with no retry loop.
 */
export class TokenManager {
  private readonly inflight = new Map<string, Promise<OAuthSecret>>();
  private readonly refreshers = new Map<string, CustomRefresher>();
  private readonly minValidityMs: number;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  /** Refresh requests sent, for tests and the benchmark. */
  refreshCount = 0;

  constructor(private readonly options: TokenManagerOptions) {
    this.minValidityMs = options.minValidityMs ?? 60_000;
    this.retries = options.retries ?? 3;
    this.retryBaseMs = options.retryBaseMs ?? 1_000;
  }

  /** For providers that refresh their own way (the service id of their catalog entry). */
  setRefresher(serviceId: string, refresher: CustomRefresher): void {
    this.refreshers.set(serviceId, refresher);
  }

  async getAccessToken(connectionId: string, ctx: RequestContext, purpose = 'use'): Promise<AccessToken> {
    const { connections, clock } = this.options;
    const connection = await connections.get(connectionId);
    if (!connection) throw new SophonError('CONNECTION_NOT_FOUND', `no connection "${connectionId}" — run \`sophon connect list\``);
    if (connection.state === 'needs_reauth') throw needsReauth(connection, connection.stateReason ?? 'the provider revoked it');
    const secret = await connections.readSecret(connectionId, ctx, purpose);
    if (secret.type !== 'oauth') throw new SophonError('INTERNAL', `connection ${connectionId} holds a ${secret.type} credential, not OAuth tokens`);
    if (secret.expiresAt === undefined || secret.expiresAt - clock.now() > this.minValidityMs) {
      return { accessToken: secret.accessToken, ...(secret.expiresAt !== undefined ? { expiresAt: secret.expiresAt } : {}) };
    }
    const fresh = await this.refresh(connectionId, 'on demand');
    return { accessToken: fresh.accessToken, ...(fresh.expiresAt !== undefined ? { expiresAt: fresh.expiresAt } : {}) };
  }

  /** Refreshes now; concurrent calls for one connection share a single request. */
  refresh(connectionId: string, reason: string): Promise<OAuthSecret> {
    const running = this.inflight.get(connectionId);
    if (running) return running;
    const promise = this.refreshShared(connectionId, reason).finally(() => this.inflight.delete(connectionId));
    this.inflight.set(connectionId, promise);
    return promise;
  }

  /**
   * With a shared vault, the refresh runs under the record's lease: a machine that finds
   * another one refreshing waits, and uses the token that one stored instead of spending
   * the (often single-use) refresh token a second time.
   */
  private async refreshShared(connectionId: string, reason: string): Promise<OAuthSecret> {
    const { leases, connections } = this.options;
    if (!leases) return this.refreshOnce(connectionId, reason);
    const key = secretKey(connectionId);
    // Metadata and credential are written together, so a refresh elsewhere shows as a new lastRefreshAt/expiresAt.
    const mark = (c: Connection | undefined) => (c ? `${c.lastRefreshAt ?? ''}|${c.expiresAt ?? ''}|${c.state}` : '');
    const seen = mark(await connections.get(connectionId));
    const refreshedElsewhere = async (): Promise<OAuthSecret | undefined> => {
      const now = await connections.get(connectionId);
      if (!now || mark(now) === seen || now.state !== 'active') return undefined;
      const secret = await connections.readSecret(connectionId, { actor: 'host' }, `refresh (${reason}, done on another machine)`);
      return secret.type === 'oauth' ? secret : undefined;
    };
    return leases.hold(key, this.options.leaseMs ?? 60_000, async () => (await refreshedElsewhere()) ?? this.refreshOnce(connectionId, reason), { satisfied: refreshedElsewhere });
  }

  private async refreshOnce(connectionId: string, reason: string): Promise<OAuthSecret> {
    const { connections, catalog, servers, clock } = this.options;
    const ctx: RequestContext = { actor: 'host' };
    const connection = await connections.get(connectionId);
    if (!connection) throw new SophonError('CONNECTION_NOT_FOUND', `no connection "${connectionId}"`);
    if (connection.state === 'needs_reauth') throw needsReauth(connection, connection.stateReason ?? 'the provider revoked it');
    const secret = await connections.readSecret(connectionId, ctx, `refresh (${reason})`);
    if (secret.type !== 'oauth') throw new SophonError('INTERNAL', `connection ${connectionId} has no OAuth tokens`);
    if (!secret.refreshToken) {
      if (secret.expiresAt !== undefined && secret.expiresAt <= clock.now()) {
        await connections.setState(connectionId, 'needs_reauth', 'the token expired and there is no refresh token');
        throw needsReauth(connection, 'the token expired and there is no refresh token');
      }
      return secret;
    }
    const service = catalog.require(connection.service);
    const method = service.auth.find((m): m is OAuth2Method | DeviceMethod => m.type === connection.authMethod && (m.type === 'oauth2' || m.type === 'device'));
    const custom = this.refreshers.get(service.id);
    if (!method && !custom) throw new SophonError('INTERNAL', `${service.name} has no OAuth method to refresh ${connectionId} with`);

    let lastError: unknown;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) await this.sleep(this.retryBaseMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5));
      try {
        this.refreshCount++;
        let next: OAuthSecret;
        if (custom) {
          next = await custom({ connection, secret, now: clock.now() });
        } else {
          const context = await servers.context(service, method as OAuth2Method | DeviceMethod);
          const response = await oauth.refreshTokenGrantRequest(context.as, context.client, context.clientAuth, secret.refreshToken, context.http);
          const tokens = await processTokenResponse(context, response, 'refresh_token');
          next = tokenSecret(tokens, clock.now(), secret);
        }
        // Persist the rotated refresh token before anyone may use the new access token.
        const { stateReason: _r, expiresAt: _e, ...rest } = connection;
        const updated: Connection = {
          ...rest,
          state: 'active',
          lastRefreshAt: new Date(clock.now()).toISOString(),
          refreshable: next.refreshToken !== undefined,
          ...(next.expiresAt !== undefined ? { expiresAt: next.expiresAt } : {}),
        };
        await connections.store(updated, next, ctx, 'credential.refresh');
        return next;
      } catch (error) {
        lastError = error;
        if (error instanceof SophonError && error.code === 'NEEDS_REAUTH') throw error;
        if (isDeadGrant(error, method?.errorAliases)) {
          const reason = `the provider refused the refresh token: ${oauthErrorCode(error)}`;
          await connections.setState(connectionId, 'needs_reauth', reason);
          throw needsReauth(connection, reason);
        }
        if (!isTransient(error)) break;
      }
    }
    throw new SophonError('NETWORK_ERROR', `could not refresh ${connection.service}:${connection.label} (${firstLine(describeOAuthError(lastError))}) — it will be retried; check the network`, { cause: lastError });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.options.clock.setTimeout(resolve, ms);
      handle.unref?.();
    });
  }
}
