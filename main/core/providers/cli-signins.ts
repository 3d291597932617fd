import type { AuditLog } from '../audit/audit-log.ts';
import type { ConnectionService, RequestContext } from '../connections/connection-service.ts';
import type { Connection } from '../connections/model.ts';
import type { Clock } from '../ports.ts';
import { CliCredentialCache, type CliCredential, type CliName, type CliRead, type CliReader } from './cli-credentials.ts';
import { ClaudeCodeReader } from './claude-code.ts';
import { CodexCliReader } from './codex-cli.ts';
import type { ProviderEnvironment } from './environment.ts';
import { GhCliReader } from './gh-cli.ts';

/** Each CLI, the program that tells whether it is installed, and the service its sign-in serves. */
export const CLI_INFO: Readonly<Record<CliName, { readonly name: string; readonly binary: string; readonly service: string }>> = {
  'claude-code': { name: 'Claude Code', binary: 'claude', service: 'anthropic-subscription' },
  codex: { name: 'Codex', binary: 'codex', service: 'openai-codex' },
  gh: { name: 'GitHub CLI', binary: 'gh', service: 'github-copilot' },
};

/**
 * The sign-ins other programs keep (Claude Code, Codex, gh): read in place, cached until
 * near expiry, never written or refreshed. Reading one is a credential access: audited.
 */
export class CliSignins {
  readonly readers: Readonly<Record<CliName, CliReader>>;
  private readonly caches: Readonly<Record<CliName, CliCredentialCache>>;
  /** What each store showed at its last audited inspection. */
  private readonly inspected = new Map<CliName, string>();

  constructor(
    private readonly options: { readonly environment: ProviderEnvironment; readonly clock: Clock; readonly audit: AuditLog; readonly connections: ConnectionService; readonly githubHost: () => string },
  ) {
    this.readers = {
      'claude-code': new ClaudeCodeReader(options.environment),
      codex: new CodexCliReader(options.environment),
      gh: new GhCliReader(options.environment, options.githubHost),
    };
    this.caches = {
      'claude-code': new CliCredentialCache(this.readers['claude-code'], options.clock),
      codex: new CliCredentialCache(this.readers.codex, options.clock),
      gh: new CliCredentialCache(this.readers.gh, options.clock),
    };
  }

  /**
   * Reads a CLI's store for facts (no token handed out). A store that exists is audited as a
   * credential read when what it shows changed since the last audited look, so opening the
   * window's Models page again and again does not fill the trail with the same line.
   */
  async inspect(cli: CliName, ctx: RequestContext, purpose: string): Promise<CliRead> {
    const read = await this.readers[cli].read({ needToken: false });
    if (read.ok || read.problem !== 'missing') {
      const seen = read.ok ? `ok ${read.credential.location} ${read.credential.expiresAt ?? ''} ${read.credential.plan ?? ''} ${read.credential.account ?? ''}` : `${read.problem} ${read.location}`;
      if (this.inspected.get(cli) !== seen) {
        this.inspected.set(cli, seen);
        this.audit(cli, ctx, purpose, read.ok ? 'ok' : 'error');
      }
      if (read.ok) this.caches[cli].remember(read.credential);
    }
    return read;
  }

  /** The token of a CLI sign-in for use; every hand-out is audited, cached or not. */
  async credential(cli: CliName, ctx: RequestContext, purpose: string, connection?: Connection): Promise<CliCredential> {
    let result: { credential: CliCredential; fromStore: boolean };
    try {
      result = await this.caches[cli].credential();
    } catch (error) {
      this.audit(cli, ctx, purpose, 'error', connection);
      throw error;
    }
    this.audit(cli, ctx, purpose, 'ok', connection, result.fromStore);
    const { credential } = result;
    // Keep the linked connection's expiry in step with the CLI's refreshes (the broker re-reads on change).
    if (connection && credential.expiresAt !== undefined && connection.expiresAt !== credential.expiresAt) {
      await this.options.connections.update(connection.id, { expiresAt: credential.expiresAt }).catch(() => undefined);
    }
    return credential;
  }

  private audit(cli: CliName, ctx: RequestContext, purpose: string, outcome: 'ok' | 'error', connection?: Connection, fromStore = true): void {
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
}
