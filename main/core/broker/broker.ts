import type { AuditActor, AuditEvent } from '../audit/audit-log.ts';
import type { Connection } from '../connections/model.ts';
import { SophonError, isSophonError } from '../errors.ts';
import type { SophonCore } from '../sophon-core.ts';
import { brokerSettings, type BrokerSettings } from './broker-settings.ts';
import { ConnectionCache } from './connection-cache.ts';
import { SUBSCRIPTION_SERVICE_IDS, checkAgent } from '../providers/profiles.ts';
import { ProfileRouter } from './profile-route.ts';
import { tokenPlaces, type TokenPlaces } from './proxy-token.ts';
import { grantFor, type Grant } from './skill-manifest.ts';
import { SkillRegistry, type SkillContext, type SkillRecord } from './skill-registry.ts';
import { TokenStore, type TokenConnection, type TokenRecord } from './token-store.ts';

export interface MintInput {
  readonly skill: string;
  readonly tool: string;
  /** Connection refs (id, service, service:label); all the grant covers when absent. */
  readonly connections?: readonly string[];
  readonly ttlSeconds?: number;
  /** Whose auth order picks a model provider's profile when a call names the provider (`/proxy/anthropic/…`). */
  readonly agent?: string;
}

export interface MintContext {
  readonly actor: AuditActor;
  /** How the runtime reached the broker, for the audit trail. */
  readonly via: 'socket' | 'http' | 'direct';
}

export interface MintedToken {
  readonly id: string;
  readonly token: string;
  readonly skill: string;
  readonly tool: string;
  readonly connections: ReadonlyArray<{ id: string; service: string; label: string; state: string }>;
  readonly expiresAt: number;
  /** http://127.0.0.1:PORT/proxy when the proxy is listening. */
  readonly proxyUrl?: string;
}

export interface BrokerStatus {
  readonly running: boolean;
  readonly proxyUrl?: string;
  readonly defaultTtlSeconds: number;
  readonly maxTtlSeconds: number;
  readonly tokens: readonly TokenRecord[];
}

/** A connection a skill's approved grant covers, with its state (for `list_connections`). */
export interface GrantedConnection extends TokenConnection {
  readonly state: Connection['state'];
  readonly stateReason?: string;
  readonly account?: string;
}

/** A tool name may carry a call id after "#" (`http_request#17`); a manifest's `tools` list names the part before it. */
export function toolBaseName(tool: string): string {
  const hash = tool.indexOf('#');
  return hash < 0 ? tool : tool.slice(0, hash);
}

/** How often the person is told, per connection, that an agent waits for them to reconnect it. */
const REAUTH_NOTICE_MS = 5 * 60_000;

export type BrokerChange = { readonly type: 'tokens'; readonly active: number } | { readonly type: 'skills'; readonly skill: string };

/**
 * The broker's state in the vault's owner: skill approvals, the live broker tokens and the
 * per-connection cache the proxy reads. The proxy itself is `startBroker` (proxy-server.ts);
 * the CLI, the window and agent runtimes reach this through the contract.
 */
export class Broker {
  readonly skills: SkillRegistry;
  readonly tokens: TokenStore;
  readonly cache: ConnectionCache;
  readonly settings: BrokerSettings;
  /** Where the proxy looks for a broker token besides Authorization (every service's `broker.tokenIn`). */
  readonly places: TokenPlaces;
  readonly profiles: ProfileRouter;
  private proxy: string | undefined;
  private readonly reauthNoticed = new Map<string, number>();
  private readonly listeners = new Set<(change: BrokerChange) => void>();
  private disposed = false;

  constructor(readonly core: SophonCore) {
    this.settings = brokerSettings(core.settings);
    this.skills = new SkillRegistry(core.paths.skillsDir, core.vault, core.audit, core.ports.clock);
    this.tokens = new TokenStore(core.ports.clock);
    this.cache = new ConnectionCache(core.connections, core.catalog, core.vault, core.ports.clock);
    this.places = tokenPlaces(core.catalog.list());
    this.profiles = new ProfileRouter(this);
    core.onDispose(() => this.dispose());
  }

  get proxyUrl(): string | undefined {
    return this.proxy;
  }

  /** Called by the proxy server once it listens (and with undefined when it stops). */
  setProxyUrl(url: string | undefined): void {
    this.proxy = url;
  }

  onChange(listener: (change: BrokerChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  audit(event: AuditEvent): void {
    if (!this.disposed) this.core.audit.append(event);
  }

  /** For the proxy's hot path: written with the other lines of this event-loop turn. */
  auditSoon(event: AuditEvent): void {
    if (!this.disposed) this.core.audit.appendSoon(event);
  }

  /** Mints a broker token for one skill, one tool call and its connection(s). */
  async mint(input: MintInput, ctx: MintContext): Promise<MintedToken> {
    const base = { actor: 'runtime' as const, action: 'broker.mint', skill: input.skill, tool: input.tool };
    try {
      const { grant } = await this.skills.requireApproved(input.skill);
      const toolName = toolBaseName(input.tool);
      if (grant.tools !== null && !grant.tools.includes(toolName)) {
        throw new SophonError('BROKER_DENIED', `skill "${input.skill}" declares the tools ${grant.tools.join(', ')}, not "${toolName}" — use one of those, or add it to the manifest and approve again`);
      }
      const agent = checkAgent(input.agent);
      const ttlSeconds = this.ttl(input.ttlSeconds);
      const connections = await this.connectionsFor(input, grant);
      const { token, record } = this.tokens.mint({ skill: input.skill, tool: input.tool, connections, ...(agent !== undefined ? { agent } : {}), ttlMs: ttlSeconds * 1000 });
      const list = connections.map((c) => c.connectionId);
      this.audit({ ...base, ...(list.length === 1 ? { connection: list[0] } : {}), outcome: 'ok', detail: { token: record.id, connections: list.join(','), ttl: ttlSeconds, via: ctx.via, by: ctx.actor, ...(agent !== undefined ? { agent } : {}) } });
      this.emit({ type: 'tokens', active: this.tokens.list().length });
      const all = await this.core.connections.list();
      return {
        id: record.id,
        token,
        skill: record.skill,
        tool: record.tool,
        connections: connections.map((c) => {
          const found = all.find((x) => x.id === c.connectionId);
          return { id: c.connectionId, service: c.service, label: c.label, state: found?.state ?? 'active' };
        }),
        expiresAt: record.expiresAt,
        ...(this.proxy ? { proxyUrl: this.proxy } : {}),
      };
    } catch (error) {
      const reason = isSophonError(error) ? error.message : 'internal error';
      this.audit({ ...base, outcome: 'denied', reason, detail: { via: ctx.via, by: ctx.actor } });
      throw error;
    }
  }

  /**
   * Pushes a live token's expiry out by its original lifetime (at most MaxTtlSeconds from now):
   * `sophon run` renews its child's token while the child runs, so a crash lets it lapse.
   */
  renew(id: string): TokenRecord {
    const current = this.tokens.list().find((r) => r.id === id);
    const lifetime = current ? Math.min(current.expiresAt - current.mintedAt, this.settings.MaxTtlSeconds * 1000) : 0;
    const renewed = current ? this.tokens.renew(id, this.core.ports.clock.now() + lifetime) : undefined;
    if (!renewed) throw new SophonError('BROKER_TOKEN_INVALID', `no live broker token ${id} — it expired or was revoked; start the program again`);
    return renewed;
  }

  /** The connections a skill's approved grant covers now (all of them, or those `refs` name), with their state. */
  async grantedConnections(skill: string, refs?: readonly string[]): Promise<GrantedConnection[]> {
    const { grant } = await this.skills.requireApproved(skill);
    const chosen = await this.connectionsFor({ skill, tool: 'list', ...(refs ? { connections: refs } : {}) }, grant, true);
    const all = await this.core.connections.list();
    return chosen.map((c) => {
      const found = all.find((x) => x.id === c.connectionId);
      return { ...c, state: found?.state ?? 'active', ...(found?.stateReason ? { stateReason: found.stateReason } : {}), ...(found?.account ? { account: found.account } : {}) };
    });
  }

  /**
   * An agent's call found a connection that needs the user to sign in again: tell the person
   * (the desktop's OS notification, `sophon serve`'s log), at most every few minutes per connection.
   */
  reauthNeeded(connection: Pick<Connection, 'id' | 'service' | 'label'>, skill: string | undefined): void {
    const now = this.core.ports.clock.now();
    const last = this.reauthNoticed.get(connection.id);
    if (last !== undefined && now - last < REAUTH_NOTICE_MS) return;
    this.reauthNoticed.set(connection.id, now);
    const name = this.core.catalog.get(connection.service)?.name ?? connection.service;
    const who = skill ? `The agent skill "${skill}"` : 'An agent';
    this.core.ports.notifier.notify(`${name} needs you to sign in again`, `${who} is waiting for the connection "${connection.label}". Open Sophon and choose Reconnect.`);
  }

  /** Revokes one token by its id (btk_…). */
  revoke(id: string, ctx: { actor: AuditActor }): TokenRecord {
    const record = this.tokens.revoke(id);
    if (!record) throw new SophonError('BROKER_TOKEN_INVALID', `no live broker token ${id} — it expired or was already revoked; \`sophon broker status\` lists live ones`);
    this.audit({ actor: ctx.actor, action: 'broker.revoke', skill: record.skill, tool: record.tool, outcome: 'ok', detail: { token: record.id } });
    this.emit({ type: 'tokens', active: this.tokens.list().length });
    return record;
  }

  /** The kill switch: ends every broker token at once. */
  revokeAll(ctx: { actor: AuditActor }): number {
    const count = this.tokens.revokeAll();
    this.audit({ actor: ctx.actor, action: 'broker.revoke', outcome: 'ok', detail: { all: true, tokens: count } });
    this.emit({ type: 'tokens', active: 0 });
    return count;
  }

  status(): BrokerStatus {
    return {
      running: this.proxy !== undefined,
      ...(this.proxy ? { proxyUrl: this.proxy } : {}),
      defaultTtlSeconds: Math.min(this.settings.DefaultTtlSeconds, this.settings.MaxTtlSeconds),
      maxTtlSeconds: this.settings.MaxTtlSeconds,
      tokens: this.tokens.list(),
    };
  }

  async addSkill(manifest: unknown, ctx: SkillContext): Promise<SkillRecord> {
    const record = await this.skills.add(manifest, ctx);
    this.emit({ type: 'skills', skill: record.id });
    return record;
  }

  async approveSkill(id: string, ctx: SkillContext): Promise<SkillRecord> {
    const record = await this.skills.approve(id, ctx);
    this.emit({ type: 'skills', skill: id });
    return record;
  }

  /** Withdraws a skill's approval and ends its live tokens. */
  async revokeSkill(id: string, ctx: SkillContext): Promise<{ skill: SkillRecord; tokensRevoked: number }> {
    const skill = await this.skills.revoke(id, ctx);
    const gone = this.tokens.revokeWhere((r) => r.skill === id);
    this.emit({ type: 'skills', skill: id });
    if (gone.length > 0) this.emit({ type: 'tokens', active: this.tokens.list().length });
    return { skill, tokensRevoked: gone.length };
  }

  async removeSkill(id: string, ctx: SkillContext): Promise<{ skill: SkillRecord; tokensRevoked: number }> {
    const skill = await this.skills.remove(id, ctx);
    const gone = this.tokens.revokeWhere((r) => r.skill === id);
    this.emit({ type: 'skills', skill: id });
    if (gone.length > 0) this.emit({ type: 'tokens', active: this.tokens.list().length });
    return { skill, tokensRevoked: gone.length };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.tokens.revokeAll();
    this.cache.dispose();
    this.profiles.dispose();
    this.listeners.clear();
  }

  private ttl(requested: number | undefined): number {
    const max = this.settings.MaxTtlSeconds;
    if (requested === undefined) return Math.min(this.settings.DefaultTtlSeconds, max);
    if (!Number.isInteger(requested) || requested < 1) throw new SophonError('INVALID_INPUT', `a token lifetime of ${requested} s is not allowed — give whole seconds, at least 1`);
    if (requested > max) throw new SophonError('INVALID_INPUT', `a token lifetime of ${requested} s is above the ceiling of ${max} s (Sophon.Broker.MaxTtlSeconds) — ask for less`);
    return requested;
  }

  private async connectionsFor(input: MintInput, grant: Grant, allowNone = false): Promise<TokenConnection[]> {
    const allowed = grant.credentials.map((c) => c.ref).join(', ');
    const chosen: Connection[] = [];
    if (input.connections && input.connections.length > 0) {
      for (const ref of input.connections) {
        const connection = await this.core.connections.resolve(ref);
        if (!grantFor(grant, connection.service, connection.label)) {
          throw new SophonError('BROKER_DENIED', `skill "${input.skill}" is not granted ${connection.service}:${connection.label} — its approved manifest allows ${allowed}`);
        }
        if (!chosen.some((c) => c.id === connection.id)) chosen.push(connection);
      }
    } else {
      for (const connection of await this.core.connections.list()) {
        if (grantFor(grant, connection.service, connection.label)) chosen.push(connection);
      }
      if (chosen.length === 0 && !allowNone) {
        throw new SophonError('CONNECTION_NOT_FOUND', `none of the connections skill "${input.skill}" may use exists (${allowed}) — connect one with \`sophon connect add <service>\``);
      }
    }
    return chosen.map((connection) => {
      const entry = grantFor(grant, connection.service, connection.label);
      const methods = entry && !entry.methods.includes('*') ? new Set(entry.methods) : null;
      const provider = this.core.catalog.get(connection.service)?.provider;
      return {
        connectionId: connection.id,
        service: connection.service,
        label: connection.label,
        methods,
        paths: entry?.paths ?? ['/'],
        ...(provider !== undefined ? { provider, billing: SUBSCRIPTION_SERVICE_IDS.has(connection.service) ? ('subscription' as const) : ('per-token' as const) } : {}),
      };
    });
  }

  private emit(change: BrokerChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

/** HTTP status of a broker refusal or failure, by error code. */
export function brokerStatusFor(code: string): number {
  switch (code) {
    case 'BROKER_TOKEN_INVALID':
      return 401;
    case 'BROKER_DENIED':
    case 'SKILL_NOT_APPROVED':
      return 403;
    case 'SKILL_NOT_FOUND':
    case 'CONNECTION_NOT_FOUND':
      return 404;
    case 'AMBIGUOUS_CONNECTION':
      return 409;
    case 'NEEDS_REAUTH':
    case 'NO_USABLE_PROFILE':
      return 424;
    case 'BROKER_BUSY':
      return 429;
    case 'INVALID_INPUT':
      return 400;
    case 'NETWORK_ERROR':
    case 'INSECURE_URL':
      return 502;
    default:
      return 500;
  }
}
