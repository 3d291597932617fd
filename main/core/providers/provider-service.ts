import type { AuditLog } from '../audit/audit-log.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { ServiceDefinition } from '../catalog/schema.ts';
import type { CredentialMaterial } from '../connections/attach.ts';
import type { ConnectionService, RequestContext } from '../connections/connection-service.ts';
import type { Connection } from '../connections/model.ts';
import { SophonError } from '../errors.ts';
import type { OAuthServers } from '../auth/oauth-server.ts';
import type { TokenManager } from '../lifecycle/token-manager.ts';
import type { Clock, HttpFetch } from '../ports.ts';
import type { Settings } from '../settings.ts';
import type { ICredentialVault } from '../vault/types.ts';
import { AuthOrders } from './auth-order.ts';
import { CliSignins } from './cli-signins.ts';
import { CodexProvider } from './codex-provider.ts';
import { CopilotProvider } from './copilot-provider.ts';
import type { CopilotToken } from './copilot.ts';
import type { ProviderEnvironment } from './environment.ts';
import { pasteToken, syncCli, testProfile, type ActionDeps, type PasteTokenInput, type ProfileResult, type TestOutcome } from './profile-actions.ts';
import { ProfileMetaStore } from './profile-meta.ts';
import { SUBSCRIPTION_SERVICE_IDS, TERMS_NOTICE, checkAgent, checkProfiles, effectiveOrder, isUsable, normaliseProfileId, sourceOf, type CheckResult, type Profile } from './profiles.ts';
import { cliStatus, listProfiles, type CliStatus, type StatusDeps } from './provider-status.ts';

export interface ProviderServiceOptions {
  readonly connections: ConnectionService;
  readonly catalog: Catalog;
  readonly vault: ICredentialVault;
  readonly audit: AuditLog;
  readonly tokens: TokenManager;
  readonly servers: OAuthServers;
  readonly clock: Clock;
  readonly fetch: HttpFetch;
  readonly settings: Settings;
  readonly environment: ProviderEnvironment;
  /** Renew Copilot tokens ahead of expiry (owners); false for one-shot CLI use. */
  readonly background: boolean;
}

export interface ProviderSummary {
  readonly id: string;
  readonly services: readonly string[];
  readonly billing: 'subscription' | 'per-token' | 'mixed';
  /** The order profiles are tried in (for the agent asked about). */
  readonly order: readonly string[];
}

export interface ModelsStatus {
  readonly providers: readonly ProviderSummary[];
  readonly profiles: readonly Profile[];
  readonly check: CheckResult;
  readonly notice: string;
}

export interface OrderView {
  readonly provider: string;
  readonly agent?: string;
  /** Which stored order applies: this agent's, the provider's, or none (the default order). */
  readonly scope: 'agent' | 'provider' | 'default';
  readonly explicit: readonly string[];
  readonly effective: readonly string[];
}

export interface Resolved {
  readonly profile: Profile;
  readonly material: CredentialMaterial;
  readonly skipped: ReadonlyArray<{ readonly id: string; readonly reason: string }>;
}

export type { CliStatus };

/**
 * Model providers on top of connections: CLI sign-ins read in place (Claude Code, Codex,
 * gh), Codex's refresh, the Copilot token exchange, auth profiles with a per-agent order,
 * and `models status`. It tells the ConnectionService how these services' credentials are
 * obtained, so the broker and `connect test` use them like any other connection's.
 */
export class ProviderService {
  readonly cli: CliSignins;
  readonly codex: CodexProvider;
  readonly copilot: CopilotProvider;
  private readonly meta: ProfileMetaStore;
  private readonly orders: AuthOrders;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly unsubscribe: () => void;

  constructor(private readonly options: ProviderServiceOptions) {
    const { connections, tokens, clock, fetch, settings, catalog, servers } = options;
    this.meta = new ProfileMetaStore(options.vault);
    this.orders = new AuthOrders(options.vault, options.audit);
    const track = (work: Promise<unknown>) => this.track(work);
    this.cli = new CliSignins({ environment: options.environment, clock, audit: options.audit, connections, githubHost: () => this.copilot.githubHost() });
    this.copilot = new CopilotProvider({ connections, tokens, clock, fetch, settings, cli: this.cli, meta: this.meta, background: options.background, track });
    this.codex = new CodexProvider({ connections, catalog, servers, tokens, clock, fetch, cli: this.cli, meta: this.meta });

    connections.setCredentialSource('cli_reader', (connection, ctx) => this.cliSource(connection, ctx));
    connections.setServiceCredentialSource('openai-codex', (connection, ctx) => this.codex.credential(connection, ctx));
    connections.setServiceCredentialSource('github-copilot', async (connection, ctx) => ({ token: (await this.copilot.forConnection(connection, ctx)).token }));
    // `connect test`: a fresh token exchange proves both the GitHub token and the Copilot seat.
    connections.setServiceProbe('github-copilot', async (connection, ctx) => {
      const token = await this.copilot.forConnection(connection, ctx, true);
      const facts = [token.sku ? `plan ${token.sku}` : undefined, `valid until ${new Date(token.expiresAt).toISOString()}`].filter(Boolean).join(', ');
      return { ok: true, message: `GitHub issued a Copilot token (${facts})` };
    });
    tokens.setRefresher('openai-codex', ({ connection, secret }) => this.codex.refresh(connection, secret));
    this.unsubscribe = connections.onChange(({ type, connection }) => {
      if (type === 'removed') {
        this.copilot.tokens.forget(connection.id);
        track(this.meta.delete(connection.id));
      } else if (type === 'added' && sourceOf(connection) === 'oauth') {
        if (connection.service === 'openai-codex') track(this.codex.signedIn(connection));
        // Check the seat right after a sign-in (pasted and CLI tokens are checked before they are stored).
        if (connection.service === 'github-copilot') track(this.copilot.forConnection(connection, { actor: 'host' }));
      }
    });
  }

  private async cliSource(connection: Connection, ctx: RequestContext): Promise<CredentialMaterial> {
    const service = this.options.catalog.require(connection.service);
    const method = service.auth.find((m) => m.type === 'cli_reader');
    if (method?.type !== 'cli_reader') throw new SophonError('UNSUPPORTED_AUTH_METHOD', `${service.name} no longer reads a CLI sign-in — remove ${connection.id} and connect it again`);
    const credential = await this.cli.credential(method.cli, ctx, 'use', connection);
    return { token: credential.token as string, ...(credential.account ? { account: credential.account } : {}) };
  }

  /** Services with a `provider`, grouped by it; subscription services first. */
  providerServices(): Map<string, ServiceDefinition[]> {
    const out = new Map<string, ServiceDefinition[]>();
    const services = this.options.catalog.list().filter((s) => s.provider !== undefined);
    services.sort((a, b) => Number(SUBSCRIPTION_SERVICE_IDS.has(b.id)) - Number(SUBSCRIPTION_SERVICE_IDS.has(a.id)) || a.id.localeCompare(b.id));
    for (const service of services) out.set(service.provider as string, [...(out.get(service.provider as string) ?? []), service]);
    return out;
  }

  requireProvider(provider: string): ServiceDefinition[] {
    const services = this.providerServices().get(provider);
    if (!services) throw new SophonError('UNKNOWN_SERVICE', `unknown provider "${provider}" — it is one of: ${[...this.providerServices().keys()].sort().join(', ')}`);
    return services;
  }

  private get statusDeps(): StatusDeps {
    const { connections, catalog, clock, environment } = this.options;
    return { connections, catalog, clock, environment, cli: this.cli, meta: this.meta };
  }

  profiles(ctx: RequestContext): Promise<Profile[]> {
    return listProfiles(this.statusDeps, ctx);
  }

  /** `provider:name`, or a provider with exactly one profile. */
  async profile(id: string, ctx: RequestContext): Promise<Profile> {
    const colon = id.indexOf(':');
    const provider = colon > 0 ? id.slice(0, colon) : id;
    this.requireProvider(provider);
    const all = (await this.profiles(ctx)).filter((p) => p.provider === provider);
    const found = colon > 0 ? all.find((p) => p.id.toLowerCase() === id.toLowerCase()) : all.length === 1 ? all[0] : undefined;
    if (found) return found;
    const names = all.map((p) => p.id).join(', ');
    throw new SophonError('CONNECTION_NOT_FOUND', `no profile "${id}"${names ? ` (${provider} has ${names})` : ''} — see \`sophon models status\``);
  }

  /** The credential a profile gives now (refreshed, re-read or exchanged as its source needs). */
  async credentialFor(profile: Profile, ctx: RequestContext, purpose: string): Promise<CredentialMaterial> {
    if (profile.connectionId) {
      const connection = await this.options.connections.get(profile.connectionId);
      if (!connection) throw new SophonError('CONNECTION_NOT_FOUND', `${profile.id} was removed meanwhile — see \`sophon models status\``);
      return this.options.connections.credential(connection, ctx, purpose);
    }
    if (!profile.cli) throw new SophonError('INTERNAL', `${profile.id} has neither a connection nor a CLI`);
    if (profile.service === 'github-copilot') return { token: (await this.copilot.fromGh(ctx)).token };
    const credential = await this.cli.credential(profile.cli, ctx, purpose);
    if (profile.service === 'openai-codex' && !credential.account) throw new SophonError('PROVIDER_ERROR', 'the Codex sign-in names no ChatGPT account — run `codex login`');
    return { token: credential.token as string, ...(credential.account ? { account: credential.account } : {}) };
  }

  /**
   * Picks the credential for a provider: the agent's order (else the provider's, else the
   * default), skipping profiles that are expired, need re-auth or fail to give a token.
   */
  async resolve(provider: string, options: { agent?: string }, ctx: RequestContext, purpose = 'use'): Promise<Resolved> {
    const { profile, value, skipped } = await this.resolveWith(provider, options, ctx, (p) => this.credentialFor(p, ctx, purpose));
    return { profile, material: value, skipped };
  }

  /**
   * `resolve` with the last step given: `take` turns the chosen profile into what the caller
   * needs (the broker: a route and a live credential) and may fail like `credentialFor`,
   * which skips to the next profile. `only` narrows the candidates (what a skill is granted);
   * the others are listed as skipped with its reason.
   */
  async resolveWith<T>(
    provider: string,
    options: { agent?: string; only?: (profile: Profile) => string | undefined },
    ctx: RequestContext,
    take: (profile: Profile) => Promise<T>,
  ): Promise<{ profile: Profile; value: T; skipped: ReadonlyArray<{ readonly id: string; readonly reason: string }> }> {
    this.requireProvider(provider);
    const profiles = (await this.profiles(ctx)).filter((p) => p.provider === provider);
    const order = (await this.orderGet(provider, options.agent, profiles)).effective;
    const skipped: Array<{ id: string; reason: string }> = [];
    for (const id of order) {
      const profile = profiles.find((p) => p.id === id);
      const excluded = profile ? options.only?.(profile) : undefined;
      if (!profile || excluded !== undefined || !isUsable(profile.state)) {
        skipped.push({ id, reason: !profile ? 'no such profile' : (excluded ?? profile.reason ?? profile.state.replace('_', ' ')) });
        continue;
      }
      try {
        return { profile, value: await take(profile), skipped };
      } catch (error) {
        if (!(error instanceof SophonError) || error.code === 'INTERNAL') throw error;
        skipped.push({ id, reason: error.message });
      }
    }
    const why = skipped.length > 0 ? `: ${skipped.map((s) => `${s.id} (${s.reason.split(' — ')[0]})`).join('; ')}` : '';
    throw new SophonError('NO_USABLE_PROFILE', `no usable ${provider} profile${why} — see \`sophon models status\` and sign in again`);
  }

  async orderGet(provider: string, agentName?: string, known?: readonly Profile[]): Promise<OrderView> {
    this.requireProvider(provider);
    const agent = checkAgent(agentName);
    const stored = await this.orders.get(provider, agent);
    const profiles = known ?? (await this.profiles({ actor: 'host' })).filter((p) => p.provider === provider);
    return { provider, ...(agent !== undefined ? { agent } : {}), scope: stored.scope, explicit: stored.explicit, effective: effectiveOrder(profiles, stored.explicit) };
  }

  async orderSet(provider: string, agentName: string | undefined, ids: readonly string[], ctx: RequestContext): Promise<{ order: OrderView; warnings: string[] }> {
    this.requireProvider(provider);
    const agent = checkAgent(agentName);
    const list = [...new Set(ids.map((id) => normaliseProfileId(provider, id)))];
    if (list.length === 0) throw new SophonError('INVALID_INPUT', `name at least one ${provider} profile — or use \`sophon models auth order clear --provider ${provider}\``);
    const profiles = (await this.profiles(ctx)).filter((p) => p.provider === provider);
    const warnings = list.filter((id) => !profiles.some((p) => p.id === id)).map((id) => `${id} does not exist yet — it is kept in the order and skipped until it does`);
    await this.orders.set(provider, agent, list, ctx);
    return { order: await this.orderGet(provider, agent, profiles), warnings };
  }

  async orderClear(provider: string, agentName: string | undefined, ctx: RequestContext): Promise<OrderView> {
    this.requireProvider(provider);
    const agent = checkAgent(agentName);
    await this.orders.clear(provider, agent, ctx);
    return this.orderGet(provider, agent);
  }

  async status(options: { agent?: string }, ctx: RequestContext): Promise<ModelsStatus> {
    const profiles = await this.profiles(ctx);
    const providers: ProviderSummary[] = [];
    for (const [id, services] of [...this.providerServices()].sort(([a], [b]) => a.localeCompare(b))) {
      const subscription = services.filter((s) => SUBSCRIPTION_SERVICE_IDS.has(s.id)).length;
      const billing = subscription === services.length ? 'subscription' : subscription === 0 ? 'per-token' : 'mixed';
      const own = profiles.filter((p) => p.provider === id);
      const order = own.length > 0 ? (await this.orderGet(id, options.agent, own)).effective : [];
      providers.push({ id, services: services.map((s) => s.id), billing, order });
    }
    return { providers, profiles, check: checkProfiles(profiles), notice: TERMS_NOTICE };
  }

  cliStatus(ctx: RequestContext): Promise<CliStatus[]> {
    return cliStatus(this.statusDeps, ctx);
  }

  private get actionDeps(): ActionDeps {
    const { connections, clock, fetch, settings } = this.options;
    return { providers: this, connections, clock, fetch, settings };
  }

  /** Stores a pasted token (setup-token, GitHub token, API key) as a profile of `provider`. */
  pasteToken(input: PasteTokenInput, ctx: RequestContext): Promise<ProfileResult> {
    return pasteToken(this.actionDeps, input, ctx);
  }

  /** Links a CLI's sign-in as a connection, read in place. */
  sync(input: { provider: string; profile?: string }, ctx: RequestContext): Promise<ProfileResult> {
    return syncCli(this.actionDeps, input, ctx);
  }

  test(profileId: string, ctx: RequestContext): Promise<TestOutcome> {
    return testProfile(this.actionDeps, profileId, ctx);
  }

  /** For profile-actions: a Copilot token for a connection, or from gh's sign-in. */
  copilotToken(connection: Connection | undefined, ctx: RequestContext): Promise<CopilotToken> {
    return connection ? this.copilot.forConnection(connection, ctx) : this.copilot.fromGh(ctx);
  }

  private track(work: Promise<unknown>): void {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
  }

  /** Resolves once background work (metadata, the first Copilot exchange) has settled. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async dispose(): Promise<void> {
    this.unsubscribe();
    await this.idle();
    await this.copilot.tokens.dispose();
    await this.idle();
  }
}
