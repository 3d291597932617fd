import type { ConnectionService, RequestContext } from '../connections/connection-service.ts';
import type { Connection } from '../connections/model.ts';
import { SophonError } from '../errors.ts';
import type { TokenManager } from '../lifecycle/token-manager.ts';
import type { Clock, HttpFetch } from '../ports.ts';
import { serviceOverride, type Settings } from '../settings.ts';
import type { CliSignins } from './cli-signins.ts';
import { CopilotTokens, type CopilotToken } from './copilot.ts';
import { githubHosts } from './github-host.ts';
import type { ProfileMetaStore } from './profile-meta.ts';
import { sourceOf } from './profiles.ts';

export interface CopilotProviderOptions {
  readonly connections: ConnectionService;
  readonly tokens: TokenManager;
  readonly clock: Clock;
  readonly fetch: HttpFetch;
  readonly settings: Settings;
  readonly cli: CliSignins;
  readonly meta: ProfileMetaStore;
  readonly background: boolean;
  /** Work to wait for on dispose (state and metadata writes after a renewal). */
  readonly track: (work: Promise<unknown>) => void;
}

/**
 * github-copilot: a GitHub token (device sign-in, pasted, or gh's) exchanged for the
 * short-lived Copilot token, which is what an agent's requests carry.
 */
export class CopilotProvider {
  readonly tokens: CopilotTokens;

  constructor(private readonly options: CopilotProviderOptions) {
    this.tokens = new CopilotTokens({
      clock: options.clock,
      fetch: options.fetch,
      githubApi: () => this.githubApi(),
      background: options.background,
      onRenewed: (id) => options.track(this.renewed(id)),
      onFailed: (id, error) => options.track(this.failed(id, error)),
    });
  }

  /** REST API of GitHub or the Enterprise host (/user, the token exchange); `githubApiUrl` overrides it. */
  githubApi(): string {
    const override = serviceOverride(this.options.settings, 'github-copilot');
    const explicit = typeof override['githubApiUrl'] === 'string' ? (override['githubApiUrl'] as string) : undefined;
    return (explicit ?? githubHosts(override.host).api).replace(/\/+$/, '');
  }

  /** github.com, or the Enterprise host whose gh sign-in is read. */
  githubHost(): string {
    return new URL(githubHosts(serviceOverride(this.options.settings, 'github-copilot').host).web).host;
  }

  /** A Copilot token for a connection (exchanged, cached, renewed ahead of expiry); `fresh`: exchange now even when one is cached. */
  async forConnection(connection: Connection, ctx: RequestContext, fresh = false): Promise<CopilotToken> {
    const { connections, meta } = this.options;
    const current = await connections.get(connection.id);
    if (current?.state === 'needs_reauth') {
      throw new SophonError('NEEDS_REAUTH', `${connection.service}:${connection.label} needs re-auth (${current.stateReason ?? 'the GitHub token was revoked'}) — reconnect with \`sophon connect reauth ${connection.id}\``);
    }
    const token = await this.tokens.get(connection.id, (renewal) => this.githubToken(connection, renewal ? { actor: 'host' } : ctx), fresh);
    const known = await meta.get(connection.id);
    if (known.plan !== token.sku || known.apiBase !== token.apiBase) await meta.put(connection.id, { ...(token.sku ? { plan: token.sku } : {}), ...(token.apiBase ? { apiBase: token.apiBase } : {}) });
    if (current?.state === 'error') await connections.setState(connection.id, 'active');
    return token;
  }

  /** A Copilot token from the gh CLI's sign-in, read in place. */
  fromGh(ctx: RequestContext): Promise<CopilotToken> {
    return this.tokens.get('cli:gh', async (renewal) => (await this.options.cli.credential('gh', renewal ? { actor: 'host' } : ctx, 'copilot token exchange')).token as string);
  }

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
        return (await this.options.cli.credential('gh', ctx, 'copilot token exchange', connection)).token as string;
      default:
        throw new SophonError('UNSUPPORTED_AUTH_METHOD', `github-copilot does not use ${connection.authMethod} — connect it again`);
    }
  }

  /** Tells the broker (connections.onChange) to drop the Copilot token it cached. */
  private async renewed(id: string): Promise<void> {
    if (await this.options.connections.get(id)) await this.options.connections.update(id, { lastRefreshAt: new Date(this.options.clock.now()).toISOString() });
  }

  private async failed(id: string, error: SophonError): Promise<void> {
    const connection = await this.options.connections.get(id);
    if (connection && connection.state !== 'needs_reauth') await this.options.connections.setState(id, 'error', error.message);
  }
}
