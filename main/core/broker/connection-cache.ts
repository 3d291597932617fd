import { resolveBaseUrl, checkBaseUrl } from '../catalog/catalog.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { attachRules, type AuthMethod, type ServiceDefinition } from '../catalog/schema.ts';
import { attachCredential, type CredentialMaterial } from '../connections/attach.ts';
import type { ConnectionService, RequestContext } from '../connections/connection-service.ts';
import { secretKey, secretValues, type Connection, type StoredSecret } from '../connections/model.ts';
import { SophonError } from '../errors.ts';
import type { Clock } from '../ports.ts';
import type { ICredentialVault } from '../vault/types.ts';
import { upstreamBase, type UpstreamBase } from './proxy-path.ts';
import { addedHeaders, type AddedHeaders, type RequestHeaderPlan } from './proxy-headers.ts';
import { needleSet, type NeedleSet } from './redact.ts';

/** Everything about a connection the proxy needs per call, except the credential. */
export interface Route {
  readonly connection: Connection;
  readonly service: ServiceDefinition;
  /** The primary base first, then api.additionalBaseUrls. */
  readonly bases: readonly UpstreamBase[];
  readonly headerPlan: RequestHeaderPlan;
  /** Lower-case query names the credential is attached under. */
  readonly queryNames: ReadonlySet<string>;
}

/** A credential ready to attach, and what to redact from responses while it is in use. */
export interface LiveCredential {
  /** The service's fixed headers and the credential's, ready to add to each request. */
  readonly added: AddedHeaders;
  readonly query: ReadonlyArray<readonly [string, string]>;
  readonly needles: NeedleSet;
  /** ms since the epoch after which it is fetched again (an OAuth access token nearing expiry). */
  readonly validUntil: number;
}

/** Refetch an expiring credential this long before its expiry, so the source can refresh it. */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * Per-connection routes and credentials, cached so that a proxied call reads neither the
 * vault nor the catalog. Entries go when the connection changes (refresh, re-auth,
 * removal), when an OAuth token nears expiry, or when the upstream answers 401.
 */
export class ConnectionCache {
  private readonly routes = new Map<string, Route>();
  private readonly credentials = new Map<string, LiveCredential>();
  private readonly pending = new Map<string, Promise<LiveCredential>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly connections: ConnectionService,
    private readonly catalog: Catalog,
    private readonly vault: ICredentialVault,
    private readonly clock: Pick<Clock, 'now'>,
  ) {
    this.unsubscribe = connections.onChange((change) => this.invalidate(change.connection.id, change.type === 'removed' ? undefined : change.connection));
  }

  /** The cached route, or undefined when it must be loaded (see `loadRoute`). */
  cachedRoute(id: string): Route | undefined {
    return this.routes.get(id);
  }

  async loadRoute(id: string): Promise<Route> {
    const connection = await this.connections.get(id);
    if (!connection) throw new SophonError('CONNECTION_NOT_FOUND', `connection ${id} no longer exists — it was removed; mint a token for another connection`);
    const route = buildRoute(connection, this.catalog.require(connection.service));
    this.routes.set(id, route);
    return route;
  }

  /** The cached credential when still fresh, else undefined (see `loadCredential`). */
  cachedCredential(id: string): LiveCredential | undefined {
    const live = this.credentials.get(id);
    return live && live.validUntil > this.clock.now() ? live : undefined;
  }

  /** Fetches the credential through ConnectionService.credential (refreshing OAuth first); one fetch per connection at a time. */
  loadCredential(route: Route, ctx: RequestContext): Promise<LiveCredential> {
    const id = route.connection.id;
    const inFlight = this.pending.get(id);
    if (inFlight) return inFlight;
    const promise = this.fetchCredential(route, ctx).finally(() => this.pending.delete(id));
    this.pending.set(id, promise);
    return promise;
  }

  /** Drops what is cached for a connection; keeps the new metadata when given. */
  invalidate(id: string, connection?: Connection): void {
    this.credentials.delete(id);
    if (connection) {
      const service = this.catalog.get(connection.service);
      if (service) {
        try {
          this.routes.set(id, buildRoute(connection, service));
          return;
        } catch {
          // fall through: loadRoute reports the problem on the next call
        }
      }
    }
    this.routes.delete(id);
  }

  dispose(): void {
    this.unsubscribe();
    this.routes.clear();
    this.credentials.clear();
  }

  private async fetchCredential(route: Route, ctx: RequestContext): Promise<LiveCredential> {
    const { connection, service } = route;
    const material: CredentialMaterial = await this.connections.credential(connection, ctx, 'broker');
    const method = service.auth.find((m) => m.type === connection.authMethod) as AuthMethod | undefined;
    if (!method) throw new SophonError('NEEDS_REAUTH', `${service.name} no longer offers ${connection.authMethod} sign-in — reconnect ${connection.service}:${connection.label}`);
    const attached = attachCredential(attachRules(service, method), material);
    // Redact every value the vault holds for this connection (refresh token too), not only what is attached.
    const stored = await this.vault.get<StoredSecret>(secretKey(connection.id));
    const values = new Set<string>(stored ? secretValues(stored) : []);
    for (const value of [material.token, material.password]) if (value !== undefined) values.add(value);
    for (const value of Object.values(attached.headers)) values.add(value.replace(/^(Bearer|Basic|token|Token)\s+/, ''));
    for (const [, value] of attached.query) values.add(value);
    const expiresAt = stored?.type === 'oauth' ? (stored.expiresAt ?? connection.expiresAt) : connection.expiresAt;
    const now = this.clock.now();
    const validUntil = expiresAt === undefined ? Number.POSITIVE_INFINITY : Math.max(expiresAt - EXPIRY_MARGIN_MS, now + 5_000);
    const live: LiveCredential = { added: addedHeaders(route.headerPlan, attached.headers), query: attached.query, needles: needleSet(values), validUntil };
    // Only cache if nothing changed the connection meanwhile.
    if (this.routes.get(connection.id) === route) this.credentials.set(connection.id, live);
    return live;
  }
}

function buildRoute(connection: Connection, service: ServiceDefinition): Route {
  const method = service.auth.find((m) => m.type === connection.authMethod) as AuthMethod | undefined;
  const primary = resolveBaseUrl(service, connection.params, method);
  const extra = service.api.additionalBaseUrls.filter((url) => checkBaseUrl(url) === undefined);
  const rules = method ? attachRules(service, method) : service.attach;
  return {
    connection,
    service,
    bases: [upstreamBase(primary), ...extra.map(upstreamBase)],
    headerPlan: {
      attachNames: new Set(rules.filter((r) => r.in === 'header').map((r) => r.name.toLowerCase())),
      fixed: service.api.headers,
    },
    queryNames: new Set(rules.filter((r) => r.in === 'query').map((r) => r.name.toLowerCase())),
  };
}
