import type { AuditLog } from '../audit/audit-log.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { authMethod, type ServiceDefinition } from '../catalog/schema.ts';
import type { CredentialMaterial } from '../connections/attach.ts';
import type { ConnectionService, RequestContext } from '../connections/connection-service.ts';
import type { Connection } from '../connections/model.ts';
import { SophonError } from '../errors.ts';
import type { OAuthServers } from '../auth/oauth-server.ts';
import type { OAuthSecret } from '../auth/token-response.ts';
import type { TokenManager } from '../lifecycle/token-manager.ts';
import type { Clock, HttpFetch } from '../ports.ts';
import { serviceOverride, type Settings } from '../settings.ts';
import type { ICredentialVault } from '../vault/types.ts';
import { CLI_NAMES, CliCredentialCache, isoTime, type CliCredential, type CliName, type CliRead, type CliReader } from './cli-credentials.ts';
import { ClaudeCodeReader } from './claude-code.ts';
import { CodexCliReader } from './codex-cli.ts';
import { CodexGrantGone, refreshCodex } from './codex-oauth.ts';
import { CopilotTokens, type CopilotToken } from './copilot.ts';
import { findExecutable, type ProviderEnvironment } from './environment.ts';
import { GhCliReader } from './gh-cli.ts';
import { githubHosts } from './github-host.ts';
import { jwtExpiry, openaiIdentity } from './jwt.ts';
import { ProfileMeta, profileMetaKey } from './profile-meta.ts';
import { pasteToken, syncCli, testProfile, type ActionDeps, type PasteTokenInput, type ProfileResult, type TestOutcome } from './profile-actions.ts';
import {
  AUTH_ORDER_KEY,
  AuthOrderStore,
  CLI_PROFILE_NAMES,
  SUBSCRIPTION_SERVICE_IDS,
  TERMS_NOTICE,
  checkAgent,
  checkProfiles,
  effectiveOrder,
  expiryState,
  isUsable,
  normaliseProfileId,
  sourceOf,
  type CheckResult,
  type Profile,
  type ProfileState,
} from './profiles.ts';

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

export interface CliStatus {
  readonly cli: CliName;
  readonly name: string;
  readonly provider: string;
  readonly service: string;
  readonly installed: boolean;
  readonly signedIn: boolean;
  readonly state: ProfileState | 'not_signed_in';
  readonly message: string;
  readonly loginCommand: string;
  readonly location?: string;
  readonly expiresAt?: number;
  readonly plan?: string;
  readonly account?: string;
  /** The profile it shows up as (linked or read in place), when signed in. */
  readonly profile?: string;
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

const CLI_INFO: Readonly<Record<CliName, { name: string; binary: string; service: string }>> = {
  'claude-code': { name: 'Claude Code', binary: 'claude', service: 'anthropic-subscription' },
  codex: { name: 'Codex', binary: 'codex', service: 'openai-codex' },
  gh: { name: 'GitHub CLI', binary: 'gh', service: 'github-copilot' },
};

/**
 * Model providers on top of connections: the CLI readers (Claude Code, Codex, gh), the
 * Codex refresh, the Copilot token exchange, auth profiles with a per-agent order, and
 * `models status`. It registers how these services' credentials are obtained with the
 * ConnectionService, so the broker and `connect test` use them like any other.
 */
export class ProviderService {
  readonly readers: Readonly<Record<CliName, CliReader>>;
  readonly copilot: CopilotTokens;
  private readonly caches: Readonly<Record<CliName, CliCredentialCache>>;
  private readonly background = new Set<Promise<unknown>>();
  private readonly unsubscribe: () => void;

  constructor(private readonly options: ProviderServiceOptions) {
    const { environment, clock, connections, tokens } = options;
    this.readers = {
      'claude-code': new ClaudeCodeReader(environment),
      codex: new CodexCliReader(environment),
      gh: new GhCliReader(environment, () => this.githubHostName()),
    };
    this.caches = {
      'claude-code': new CliCredentialCache(this.readers['claude-code'], clock),
      codex: new CliCredentialCache(this.readers.codex, clock),
      gh: new CliCredentialCache(this.readers.gh, clock),
    };
    this.copilot = new CopilotTokens({
      clock,
      fetch: options.fetch,
      githubApi: () => this.githubApi(),
      background: options.background,
      onRenewed: (id) => this.track(this.copilotRenewed(id)),
      onFailed: (id, error) => this.track(this.markFailed(id, error)),
    });
    connections.setCredentialSource('cli_reader', (connection, ctx) => this.cliSource(connection, ctx));
    connections.setServiceCredentialSource('openai-codex', (connection, ctx) => this.codexSource(connection, ctx));
    connections.setServiceCredentialSource('github-copilot', async (connection, ctx) => ({ token: (await this.copilotFor(connection, ctx)).token }));
    tokens.setRefresher('openai-codex', ({ connection, secret }) => this.refreshCodex(connection, secret));
    this.unsubscribe = connections.onChange((change) => {
      const { connection } = change;
      if (change.type === 'removed') {
        this.copilot.forget(connection.id);
        if (options.vault.has(profileMetaKey(connection.id))) this.track(options.vault.delete(profileMetaKey(connection.id)));
      } else if (change.type === 'added' && connection.service === 'openai-codex' && sourceOf(connection) === 'oauth') {
        this.track(this.rememberCodexIdentity(connection));
      } else if (change.type === 'added' && connection.service === 'github-copilot' && sourceOf(connection) === 'oauth') {
        // Check the seat right after a sign-in (pasted and CLI tokens are checked before they are stored), and keep a Copilot token ready.
        this.track(this.copilotFor(connection, { actor: 'host' }).catch(() => undefined));
      }
    });
  }

  // ---- where things are ----------------------------------------------------------

  /** REST API of GitHub (or the Enterprise host): /user and the Copilot token exchange. */
  githubApi(): string {
    const override = serviceOverride(this.options.settings, 'github-copilot');
    const explicit = typeof override['githubApiUrl'] === 'string' ? (override['githubApiUrl'] as string) : undefined;
    return (explicit ?? githubHosts(override.host).api).replace(/\/+$/, '');
  }

  private githubHostName(): string {
    return new URL(githubHosts(serviceOverride(this.options.settings, 'github-copilot').host).web).host;
  }

  /** Services with a `provider`, grouped by it; subscription services first. */
  providerServices(): Map<string, ServiceDefinition[]> {
    const out = new Map<string, ServiceDefinition[]>();
    const services = this.options.catalog.list().filter((s) => s.provider !== undefined);
    services.sort((a, b) => Number(SUBSCRIPTION_SERVICE_IDS.has(b.id)) - Number(SUBSCRIPTION_SERVICE_IDS.has(a.id)) || a.id.localeCompare(b.id));
    for (const service of services) {
      const list = out.get(service.provider as string) ?? [];
      list.push(service);
      out.set(service.provider as string, list);
    }
    return out;
  }

  requireProvider(provider: string): ServiceDefinition[] {
    const services = this.providerServices().get(provider);
    if (!services) {
      const known = [...this.providerServices().keys()].sort().join(', ');
      throw new SophonError('UNKNOWN_SERVICE', `unknown provider "${provider}" — it is one of: ${known}`);
    }
    return services;
  }

  // ---- CLI sign-ins ----------------------------------------------------------------

  /** Reads a CLI's store for facts (no token needed); a store that exists is audited as a credential read. */
  async inspectCli(cli: CliName, ctx: RequestContext, purpose: string): Promise<CliRead> {
    const read = await this.readers[cli].read({ needToken: false });
    if (read.ok || read.problem !== 'missing') {
      this.auditCli(cli, ctx, purpose, read.ok ? 'ok' : 'error');
      if (read.ok) this.caches[cli].remember(read.credential);
    }
    return read;
  }

  /** The token of a CLI sign-in, cached until near expiry; every hand-out is audited. */
  async cliCredential(cli: CliName, ctx: RequestContext, purpose: string, connection?: Connection): Promise<CliCredential> {
    let result: { credential: CliCredential; fromStore: boolean };
    try {
      result = await this.caches[cli].credential();
    } catch (error) {
      this.auditCli(cli, ctx, purpose, 'error', connection);
      throw error;
    }
    this.auditCli(cli, ctx, purpose, 'ok', connection, result.fromStore);
    const { credential } = result;
    // Keep the linked connection's expiry in step with the CLI's refreshes (the broker re-reads on change).
    if (connection && credential.expiresAt !== undefined && connection.expiresAt !== credential.expiresAt) {
      await this.options.connections.update(connection.id, { expiresAt: credential.expiresAt }).catch(() => undefined);
    }
    return credential;
  }

  private auditCli(cli: CliName, ctx: RequestContext, purpose: string, outcome: 'ok' | 'error', connection?: Connection, fromStore = true): void {
    this.options.audit.append({
      actor: ctx.actor,
      action: 'credential.read',
      service: connection?.service ?? CLI_INFO[cli].service,
      ...(connection ? { connection: connection.id } : {}),
      ...(ctx.skill ? { skill: ctx.skill } : {}),
      ...(ctx.tool ? { tool: ctx.tool } : {}),
      outcome,
      detail: { purpose, source: cli, store: fromStore },
    });
  }

  private cliOf(connection: Connection): CliName {
    const method = authMethod(this.options.catalog.require(connection.service), 'cli_reader');
    if (!method) throw new SophonError('UNSUPPORTED_AUTH_METHOD', `${connection.service} no longer reads a CLI sign-in — remove ${connection.service}:${connection.label} and connect it again`);
    return method.cli;
  }

  private async cliSource(connection: Connection, ctx: RequestContext): Promise<CredentialMaterial> {
    const credential = await this.cliCredential(this.cliOf(connection), ctx, 'use', connection);
    return { token: credential.token as string, ...(credential.account ? { account: credential.account } : {}) };
  }

  // ---- OpenAI Codex --------------------------------------------------------------

  private async codexSource(connection: Connection, ctx: RequestContext): Promise<CredentialMaterial> {
    const withAccount = (token: string, account: string | undefined): CredentialMaterial => {
      if (!account) throw new SophonError('PROVIDER_ERROR', `the ChatGPT sign-in of ${connection.service}:${connection.label} names no account (no chatgpt_account_id) — reconnect, or run \`codex login\``);
      return { token, account };
    };
    switch (sourceOf(connection)) {
      case 'oauth': {
        const { accessToken } = await this.options.tokens.getAccessToken(connection.id, ctx);
        const meta = await this.meta(connection.id);
        return withAccount(accessToken, meta.accountId ?? openaiIdentity(accessToken).accountId);
      }
      case 'cli-sync': {
        const credential = await this.cliCredential('codex', ctx, 'use', connection);
        return withAccount(credential.token as string, credential.account);
      }
      case 'token': {
        const secret = await this.options.connections.readSecret(connection.id, ctx, 'use');
        const token = secret.type === 'bearer' ? secret.token : '';
        return withAccount(token, connection.account ?? openaiIdentity(token).accountId);
      }
      default:
        throw new SophonError('UNSUPPORTED_AUTH_METHOD', `${connection.service} does not use ${connection.authMethod} — connect it again`);
    }
  }

  /** TokenManager's refresher for openai-codex (JSON body, single-use refresh tokens). */
  private async refreshCodex(connection: Connection, secret: OAuthSecret): Promise<OAuthSecret> {
    const { catalog, servers, connections, clock } = this.options;
    const service = catalog.require('openai-codex');
    const method = authMethod(service, 'oauth2');
    if (!method) throw new SophonError('INTERNAL', 'openai-codex has no oauth2 method');
    const context = await servers.context(service, method);
    const tokenEndpoint = context.as.token_endpoint;
    if (!tokenEndpoint) throw new SophonError('INTERNAL', 'openai-codex has no token endpoint');
    try {
      const next = await refreshCodex({ fetch: this.options.fetch, tokenEndpoint, clientId: context.clientId, secret, now: () => clock.now() });
      await this.writeMeta(connection.id, identityMeta(next));
      return next;
    } catch (error) {
      if (error instanceof CodexGrantGone) {
        await connections.setState(connection.id, 'needs_reauth', error.message);
        throw new SophonError('NEEDS_REAUTH', `${connection.service}:${connection.label} needs re-auth (${error.grantError}) — reconnect with \`sophon connect reauth ${connection.id}\`, or run \`codex login\` then \`sophon models auth sync --provider openai-codex\``);
      }
      throw error;
    }
  }

  private async rememberCodexIdentity(connection: Connection): Promise<void> {
    const ctx: RequestContext = { actor: 'host' };
    const secret = await this.options.connections.readSecret(connection.id, ctx, 'profile metadata').catch(() => undefined);
    if (secret?.type !== 'oauth') return;
    await this.writeMeta(connection.id, identityMeta(secret));
    // Without expires_in the token would look everlasting and never be refreshed: take the JWT's own exp.
    const expiresAt = secret.expiresAt ?? jwtExpiry(secret.accessToken);
    if (secret.expiresAt === undefined && expiresAt !== undefined) {
      await this.options.connections.store({ ...connection, expiresAt, refreshable: secret.refreshToken !== undefined }, { ...secret, expiresAt }, ctx, 'credential.replace');
    }
  }

  // ---- GitHub Copilot --------------------------------------------------------------

  /** The GitHub token behind a Copilot connection, by how it was connected. */
  private async githubToken(connection: Connection, ctx: RequestContext): Promise<string> {
    switch (sourceOf(connection)) {
      case 'oauth':
        return (await this.options.tokens.getAccessToken(connection.id, ctx, 'copilot token exchange')).accessToken;
      case 'token': {
        const secret = await this.options.connections.readSecret(connection.id, ctx, 'copilot token exchange');
        if (secret.type !== 'bearer') throw new SophonError('INTERNAL', `connection ${connection.id} holds no GitHub token`);
        return secret.token;
      }
      case 'cli-sync':
        return (await this.cliCredential('gh', ctx, 'copilot token exchange', connection)).token as string;
      default:
        throw new SophonError('UNSUPPORTED_AUTH_METHOD', `github-copilot does not use ${connection.authMethod} — connect it again`);
    }
  }

  /** A Copilot token for a connection (exchanged, cached, renewed ahead of expiry). */
  async copilotFor(connection: Connection, ctx: RequestContext): Promise<CopilotToken> {
    const current = await this.options.connections.get(connection.id);
    if (current?.state === 'needs_reauth') throw new SophonError('NEEDS_REAUTH', `${connection.service}:${connection.label} needs re-auth (${current.stateReason ?? 'the GitHub token was revoked'}) — reconnect with \`sophon connect reauth ${connection.id}\``);
    const token = await this.copilot.get(connection.id, (renewal) => this.githubToken(connection, renewal ? { actor: 'host' } : ctx));
    const meta = await this.meta(connection.id);
    if (meta.plan !== token.sku || meta.apiBase !== token.apiBase) await this.writeMeta(connection.id, { ...(token.sku ? { plan: token.sku } : {}), ...(token.apiBase ? { apiBase: token.apiBase } : {}) });
    if (current?.state === 'error') await this.options.connections.setState(connection.id, 'active');
    return token;
  }

  /** A Copilot token from the gh CLI's sign-in, read in place. */
  async copilotFromGh(ctx: RequestContext): Promise<CopilotToken> {
    return this.copilot.get('cli:gh', async (renewal) => (await this.cliCredential('gh', renewal ? { actor: 'host' } : ctx, 'copilot token exchange')).token as string);
  }

  private async copilotRenewed(id: string): Promise<void> {
    // Tells the broker (connections.onChange) to drop the Copilot token it cached.
    if (await this.options.connections.get(id)) await this.options.connections.update(id, { lastRefreshAt: new Date(this.options.clock.now()).toISOString() });
  }

  private async markFailed(id: string, error: SophonError): Promise<void> {
    const connection = await this.options.connections.get(id);
    if (connection && connection.state !== 'needs_reauth') await this.options.connections.setState(id, 'error', error.message);
  }

  // ---- profiles --------------------------------------------------------------------

  async meta(connectionId: string): Promise<ProfileMeta> {
    const raw = await this.options.vault.get(profileMetaKey(connectionId));
    const parsed = ProfileMeta.safeParse(raw ?? {});
    return parsed.success ? parsed.data : {};
  }

  private async writeMeta(connectionId: string, meta: ProfileMeta): Promise<void> {
    await this.options.vault.put(profileMetaKey(connectionId), ProfileMeta.parse(meta));
  }

  /** Every profile: the providers' connections, then CLI sign-ins found here and not linked. */
  async profiles(ctx: RequestContext): Promise<Profile[]> {
    const { connections, catalog, clock } = this.options;
    const now = clock.now();
    const inspections = new Map<CliName, Promise<CliRead>>();
    const inspect = (cli: CliName) => {
      let read = inspections.get(cli);
      if (!read) {
        read = this.inspectCli(cli, ctx, 'status');
        inspections.set(cli, read);
      }
      return read;
    };
    const out: Profile[] = [];
    const all = await connections.list();
    for (const connection of all) {
      const service = catalog.get(connection.service);
      const source = sourceOf(connection);
      if (!service?.provider || !source) continue;
      const meta = await this.meta(connection.id);
      const base = {
        id: `${service.provider}:${connection.label}`,
        provider: service.provider,
        name: connection.label,
        service: service.id,
        source,
        connectionId: connection.id,
        billing: SUBSCRIPTION_SERVICE_IDS.has(service.id) ? ('subscription' as const) : ('per-token' as const),
        refreshable: connection.refreshable === true && source === 'oauth',
        ...(connection.account ?? meta.accountId ? { account: connection.account ?? meta.accountId } : {}),
        ...(meta.plan ? { plan: meta.plan } : {}),
      };
      if (source === 'cli-sync') {
        const cli = authMethod(service, 'cli_reader')?.cli;
        if (!cli) {
          out.push({ ...base, state: 'error', reason: `${service.name} no longer reads a CLI sign-in — remove it` });
          continue;
        }
        out.push(fromCliRead({ ...base, cli }, await inspect(cli), now, this.readers[cli]));
        continue;
      }
      let state: ProfileState;
      let reason = connection.stateReason;
      if (connection.state === 'needs_reauth') state = 'needs_reauth';
      else if (connection.state === 'error') state = 'error';
      else {
        state = expiryState(connection.expiresAt, base.refreshable, now);
        if (state === 'expired') reason = source === 'token' ? `the token expired — paste a new one with \`sophon models auth paste-token --provider ${service.provider} --profile ${connection.label}\`` : 'the token expired';
        else reason = undefined;
      }
      out.push({ ...base, state, ...(reason ? { reason } : {}), ...(connection.expiresAt !== undefined ? { expiresAt: connection.expiresAt } : {}) });
    }
    // CLI sign-ins found on this machine and not linked: profiles read in place.
    for (const cli of CLI_NAMES) {
      const service = catalog.get(CLI_INFO[cli].service);
      if (!service?.provider || !authMethod(service, 'cli_reader')) continue;
      if (all.some((c) => c.service === service.id && c.authMethod === 'cli_reader')) continue;
      const id = `${service.provider}:${CLI_PROFILE_NAMES[cli]}`;
      if (out.some((p) => p.id === id)) continue;
      const read = await inspect(cli);
      if (!read.ok && (read.problem === 'missing' || read.problem === 'not_subscription')) continue;
      out.push(
        fromCliRead(
          { id, provider: service.provider, name: CLI_PROFILE_NAMES[cli], service: service.id, source: 'cli-sync', billing: 'subscription', refreshable: false, cli },
          read,
          now,
          this.readers[cli],
        ),
      );
    }
    return out;
  }

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
    if (profile.service === 'github-copilot') return { token: (await this.copilotFromGh(ctx)).token };
    const credential = await this.cliCredential(profile.cli, ctx, purpose);
    if (profile.service === 'openai-codex' && !credential.account) throw new SophonError('PROVIDER_ERROR', `the Codex sign-in names no ChatGPT account — run \`codex login\``);
    return { token: credential.token as string, ...(credential.account ? { account: credential.account } : {}) };
  }

  /**
   * Picks the credential for a provider: the agent's order (else the provider's, else the
   * default), skipping profiles that are expired, need re-auth or fail to give a token.
   */
  async resolve(provider: string, options: { agent?: string }, ctx: RequestContext, purpose = 'use'): Promise<Resolved> {
    this.requireProvider(provider);
    const profiles = (await this.profiles(ctx)).filter((p) => p.provider === provider);
    const order = (await this.orderGet(provider, options.agent, profiles)).effective;
    const skipped: Array<{ id: string; reason: string }> = [];
    for (const id of order) {
      const profile = profiles.find((p) => p.id === id);
      if (!profile) {
        skipped.push({ id, reason: 'no such profile' });
        continue;
      }
      if (!isUsable(profile.state)) {
        skipped.push({ id, reason: profile.reason ?? profile.state.replace('_', ' ') });
        continue;
      }
      try {
        return { profile, material: await this.credentialFor(profile, ctx, purpose), skipped };
      } catch (error) {
        if (!(error instanceof SophonError) || error.code === 'INTERNAL') throw error;
        skipped.push({ id, reason: error.message });
      }
    }
    const why = skipped.length > 0 ? `: ${skipped.map((s) => `${s.id} (${s.reason.split(' — ')[0]})`).join('; ')}` : '';
    throw new SophonError('NO_USABLE_PROFILE', `no usable ${provider} profile${why} — see \`sophon models status\` and sign in again`);
  }

  // ---- order -----------------------------------------------------------------------

  private async orders(): Promise<AuthOrderStore> {
    const parsed = AuthOrderStore.safeParse((await this.options.vault.get(AUTH_ORDER_KEY)) ?? {});
    return parsed.success ? parsed.data : {};
  }

  async orderGet(provider: string, agentName?: string, known?: readonly Profile[]): Promise<OrderView> {
    this.requireProvider(provider);
    const agent = checkAgent(agentName);
    const entry = (await this.orders())[provider];
    const forAgent = agent !== undefined ? entry?.agents?.[agent] : undefined;
    const explicit = forAgent ?? entry?.default ?? [];
    const scope = forAgent ? 'agent' : entry?.default ? 'provider' : 'default';
    const profiles = known ?? (await this.profiles({ actor: 'host' })).filter((p) => p.provider === provider);
    return { provider, ...(agent !== undefined ? { agent } : {}), scope, explicit, effective: effectiveOrder(profiles, explicit) };
  }

  async orderSet(provider: string, agentName: string | undefined, ids: readonly string[], ctx: RequestContext): Promise<{ order: OrderView; warnings: string[] }> {
    this.requireProvider(provider);
    const agent = checkAgent(agentName);
    const list = [...new Set(ids.map((id) => normaliseProfileId(provider, id)))];
    if (list.length === 0) throw new SophonError('INVALID_INPUT', `name at least one ${provider} profile — or use \`sophon models auth order clear --provider ${provider}\``);
    const profiles = (await this.profiles(ctx)).filter((p) => p.provider === provider);
    const warnings = list.filter((id) => !profiles.some((p) => p.id === id)).map((id) => `${id} does not exist yet — it is kept in the order and skipped until it does`);
    const store = await this.orders();
    const entry = store[provider] ?? {};
    const next = agent !== undefined ? { ...entry, agents: { ...(entry.agents ?? {}), [agent]: list } } : { ...entry, default: list };
    await this.options.vault.put(AUTH_ORDER_KEY, { ...store, [provider]: next });
    this.options.audit.append({ actor: ctx.actor, action: 'models.order.set', service: provider, outcome: 'ok', detail: { profiles: list.join(','), ...(agent ? { agent } : {}) } });
    return { order: await this.orderGet(provider, agent, profiles), warnings };
  }

  async orderClear(provider: string, agentName: string | undefined, ctx: RequestContext): Promise<OrderView> {
    this.requireProvider(provider);
    const agent = checkAgent(agentName);
    const store = await this.orders();
    const entry = store[provider];
    if (entry) {
      const next = { ...store };
      if (agent !== undefined) {
        const agents = { ...(entry.agents ?? {}) };
        delete agents[agent];
        next[provider] = { ...(entry.default ? { default: entry.default } : {}), ...(Object.keys(agents).length ? { agents } : {}) };
      } else {
        next[provider] = { ...(entry.agents ? { agents: entry.agents } : {}) };
      }
      if (!next[provider]?.default && !next[provider]?.agents) delete next[provider];
      await this.options.vault.put(AUTH_ORDER_KEY, next);
      this.options.audit.append({ actor: ctx.actor, action: 'models.order.clear', service: provider, outcome: 'ok', ...(agent ? { detail: { agent } } : {}) });
    }
    return this.orderGet(provider, agent);
  }

  // ---- status ----------------------------------------------------------------------

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

  /** Whether Claude Code, Codex and gh are installed and signed in — never their tokens. */
  async cliStatus(ctx: RequestContext): Promise<CliStatus[]> {
    const now = this.options.clock.now();
    const linked = await this.options.connections.list();
    const out: CliStatus[] = [];
    for (const cli of CLI_NAMES) {
      const info = CLI_INFO[cli];
      const service = this.options.catalog.get(info.service);
      const provider = service?.provider ?? info.service;
      const installed = (await findExecutable(this.options.environment, info.binary)) !== undefined;
      const read = await this.inspectCli(cli, ctx, 'cli status');
      const connection = linked.find((c) => c.service === info.service && c.authMethod === 'cli_reader');
      const profile = connection ? `${provider}:${connection.label}` : `${provider}:${CLI_PROFILE_NAMES[cli]}`;
      const loginCommand = this.readers[cli].loginCommand;
      if (!read.ok) {
        out.push({ cli, name: info.name, provider, service: info.service, installed, signedIn: false, state: read.problem === 'missing' ? 'not_signed_in' : 'error', message: read.message, loginCommand, location: read.location, ...(connection ? { profile } : {}) });
        continue;
      }
      const c = read.credential;
      const state = expiryState(c.expiresAt, false, now);
      const message =
        state === 'expired'
          ? this.readers[cli].expiredMessage(c)
          : `${info.name} is signed in${c.plan ? ` (${c.plan})` : ''}${c.expiresAt !== undefined ? `; its token is valid until ${isoTime(c.expiresAt)}` : ''}`;
      out.push({
        cli,
        name: info.name,
        provider,
        service: info.service,
        installed,
        signedIn: true,
        state,
        message,
        loginCommand,
        location: c.location,
        profile,
        ...(c.expiresAt !== undefined ? { expiresAt: c.expiresAt } : {}),
        ...(c.plan ? { plan: c.plan } : {}),
        ...(c.account ? { account: c.account } : {}),
      });
    }
    return out;
  }

  // ---- actions (profile-actions.ts) ----------------------------------------------

  private get deps(): ActionDeps {
    const { connections, clock, fetch, settings } = this.options;
    return { providers: this, connections, clock, fetch, settings };
  }

  /** Stores a pasted token (setup-token, GitHub token, API key) as a profile of `provider`. */
  pasteToken(input: PasteTokenInput, ctx: RequestContext): Promise<ProfileResult> {
    return pasteToken(this.deps, input, ctx);
  }

  /** Links a CLI's sign-in as a connection, read in place. */
  sync(input: { provider: string; profile?: string }, ctx: RequestContext): Promise<ProfileResult> {
    return syncCli(this.deps, input, ctx);
  }

  test(profileId: string, ctx: RequestContext): Promise<TestOutcome> {
    return testProfile(this.deps, profileId, ctx);
  }

  // ---- lifecycle -------------------------------------------------------------------

  private track<T>(promise: Promise<T>): void {
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    this.background.add(settled);
    void settled.finally(() => this.background.delete(settled));
  }

  /** Resolves once background work (metadata, first Copilot exchange) has settled; for tests. */
  async idle(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  async dispose(): Promise<void> {
    this.unsubscribe();
    await this.idle();
    await this.copilot.dispose();
  }
}

function identityMeta(secret: Pick<OAuthSecret, 'idToken' | 'accessToken'>): ProfileMeta {
  const fromId = openaiIdentity(secret.idToken);
  const fromAccess = openaiIdentity(secret.accessToken);
  const accountId = fromId.accountId ?? fromAccess.accountId;
  const plan = fromId.plan ?? fromAccess.plan;
  return { ...(accountId ? { accountId } : {}), ...(plan ? { plan } : {}), ...(fromId.email ? { email: fromId.email } : {}) };
}

function fromCliRead(base: Omit<Profile, 'state'>, read: CliRead, now: number, reader: CliReader): Profile {
  if (!read.ok) {
    return { ...base, state: read.problem === 'missing' ? 'missing' : 'error', reason: read.message, location: read.location };
  }
  const c = read.credential;
  const state = expiryState(c.expiresAt, false, now);
  return {
    ...base,
    state,
    location: c.location,
    ...(state === 'expired' ? { reason: reader.expiredMessage(c) } : {}),
    ...(c.expiresAt !== undefined ? { expiresAt: c.expiresAt } : {}),
    ...(c.plan ? { plan: c.plan } : {}),
    ...(base.account === undefined && (c.account ?? c.email) ? { account: c.account ?? c.email } : {}),
  };
}

