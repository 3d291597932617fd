import type { Catalog } from '../catalog/catalog.ts';
import { authMethod } from '../catalog/schema.ts';
import type { CredentialMaterial } from '../connections/attach.ts';
import type { ConnectionService, RequestContext } from '../connections/connection-service.ts';
import type { Connection } from '../connections/model.ts';
import { SophonError } from '../errors.ts';
import type { OAuthServers } from '../auth/oauth-server.ts';
import type { OAuthSecret } from '../auth/token-response.ts';
import type { TokenManager } from '../lifecycle/token-manager.ts';
import type { Clock, HttpFetch } from '../ports.ts';
import type { CliSignins } from './cli-signins.ts';
import { CodexGrantGone, refreshCodex } from './codex-oauth.ts';
import { jwtExpiry, openaiIdentity } from './jwt.ts';
import type { ProfileMeta, ProfileMetaStore } from './profile-meta.ts';
import { sourceOf } from './profiles.ts';

export interface CodexProviderOptions {
  readonly connections: ConnectionService;
  readonly catalog: Catalog;
  readonly servers: OAuthServers;
  readonly tokens: TokenManager;
  readonly clock: Clock;
  readonly fetch: HttpFetch;
  readonly cli: CliSignins;
  readonly meta: ProfileMetaStore;
}

/** Plan, account and email of an OpenAI sign-in, from its ID token (else its access token). */
export function identityMeta(secret: Pick<OAuthSecret, 'idToken' | 'accessToken'>): ProfileMeta {
  const fromId = openaiIdentity(secret.idToken);
  const fromAccess = openaiIdentity(secret.accessToken);
  const accountId = fromId.accountId ?? fromAccess.accountId;
  const plan = fromId.plan ?? fromAccess.plan;
  return { ...(accountId ? { accountId } : {}), ...(plan ? { plan } : {}), ...(fromId.email ? { email: fromId.email } : {}) };
}

/**
 * openai-codex: Sophon's own sign-in (refreshed with Codex's JSON refresh), the Codex
 * CLI's sign-in read in place, or a pasted token. The ChatGPT backend also wants the
 * account id, so every credential carries it ({account} in the attach rules).
 */
export class CodexProvider {
  constructor(private readonly options: CodexProviderOptions) {}

  async credential(connection: Connection, ctx: RequestContext): Promise<CredentialMaterial> {
    const withAccount = (token: string, account: string | undefined): CredentialMaterial => {
      if (!account) throw new SophonError('PROVIDER_ERROR', `the ChatGPT sign-in of ${connection.service}:${connection.label} names no account (no chatgpt_account_id) — reconnect, or run \`codex login\``);
      return { token, account };
    };
    switch (sourceOf(connection)) {
      case 'oauth': {
        const { accessToken } = await this.options.tokens.getAccessToken(connection.id, ctx);
        const meta = await this.options.meta.get(connection.id);
        return withAccount(accessToken, meta.accountId ?? openaiIdentity(accessToken).accountId);
      }
      case 'cli-sync': {
        const credential = await this.options.cli.credential('codex', ctx, 'use', connection);
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

  /** TokenManager's refresher for openai-codex; a dead grant turns the connection needs_reauth here. */
  async refresh(connection: Connection, secret: OAuthSecret): Promise<OAuthSecret> {
    const { catalog, servers, connections, clock } = this.options;
    const service = catalog.require('openai-codex');
    const method = authMethod(service, 'oauth2');
    if (!method) throw new SophonError('INTERNAL', 'openai-codex has no oauth2 method');
    const context = await servers.context(service, method);
    const tokenEndpoint = context.as.token_endpoint;
    if (!tokenEndpoint) throw new SophonError('INTERNAL', 'openai-codex has no token endpoint');
    try {
      const next = await refreshCodex({ fetch: this.options.fetch, tokenEndpoint, clientId: context.clientId, secret, now: () => clock.now() });
      await this.options.meta.put(connection.id, identityMeta(next));
      return next;
    } catch (error) {
      if (error instanceof CodexGrantGone) {
        await connections.setState(connection.id, 'needs_reauth', error.message);
        throw new SophonError(
          'NEEDS_REAUTH',
          `${connection.service}:${connection.label} needs re-auth (${error.grantError}) — reconnect with \`sophon connect reauth ${connection.id}\`, or run \`codex login\` then \`sophon models auth sync --provider openai-codex\``,
        );
      }
      throw error;
    }
  }

  /** After a sign-in: remember plan and account; take the expiry from the JWT when the server sent no expires_in. */
  async signedIn(connection: Connection): Promise<void> {
    const ctx: RequestContext = { actor: 'host' };
    const secret = await this.options.connections.readSecret(connection.id, ctx, 'profile metadata').catch(() => undefined);
    if (secret?.type !== 'oauth') return;
    await this.options.meta.put(connection.id, identityMeta(secret));
    // Without it the token would look everlasting and never be refreshed.
    const expiresAt = secret.expiresAt ?? jwtExpiry(secret.accessToken);
    if (secret.expiresAt === undefined && expiresAt !== undefined) {
      await this.options.connections.store({ ...connection, expiresAt, refreshable: secret.refreshToken !== undefined }, { ...secret, expiresAt }, ctx, 'credential.replace');
    }
  }
}
