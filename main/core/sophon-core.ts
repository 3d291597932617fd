import { randomBytes } from 'node:crypto';
import { AnchorPosition, AuditLog, type AuditActor } from './audit/audit-log.ts';
import { Catalog } from './catalog/catalog.ts';
import { ConnectionService } from './connections/connection-service.ts';
import { SophonError } from './errors.ts';
import { checkPermissions, ensureDirs, sophonPaths, type PermissionProblem, type SophonPaths } from './paths.ts';
import { systemClock, type BrowserOpener, type Clock, type HttpFetch, type Notifier } from './ports.ts';
import { loadSettings, type Settings } from './settings.ts';
import { openVault } from './vault/open-vault.ts';
import { isSharedVault, leasesOf } from './vault/vault-leases.ts';
import { OwnerLock, type AcquireOptions } from './vault/owner-lock.ts';
import type { ICredentialVault, ProtectorResolver } from './vault/types.ts';
import { OAuthServers } from './auth/oauth-server.ts';
import { SignInManager } from './auth/signin-manager.ts';
import { loopbackReceiver } from './auth/loopback-receiver.ts';
import { TokenManager } from './lifecycle/token-manager.ts';
import { RefreshScheduler, type SchedulerOptions } from './lifecycle/refresh-scheduler.ts';
import type { RedirectReceiver } from './ports.ts';
import { ProviderService } from './providers/provider-service.ts';
import { nodeProviderEnvironment, type ProviderEnvironment } from './providers/environment.ts';

export interface CoreOptions {
  readonly home: string;
  /** Shown to a second process that finds the vault taken: "sophon serve", "Sophon Desktop", … */
  readonly ownerName: string;
  readonly protectors: ProtectorResolver;
  readonly clock?: Clock;
  readonly fetch?: HttpFetch;
  readonly browser?: BrowserOpener;
  readonly notifier?: Notifier;
  /** Where loopback redirects come back; default: an HTTP listener on 127.0.0.1. */
  readonly receiver?: RedirectReceiver;
  /** Whether this host receives sophon:// deep links (the desktop app). */
  readonly deepLinks?: boolean;
  /** Set by `sophon vault restore` only: the vault was just put back from its backup (recorded as such in the audit trail, with these details). */
  readonly restoredFromBackup?: Readonly<Record<string, number | string>>;
  /** Background refresh ahead of expiry; `false` for one-shot CLI use. */
  readonly scheduler?: Pick<SchedulerOptions, 'marginMs' | 'jitterMs' | 'maxInFlight' | 'retryMs'> | false;
  /** Token manager tuning (tests). */
  readonly tokens?: { readonly retries?: number; readonly retryBaseMs?: number; readonly minValidityMs?: number };
  /** Environment for the vault backend's credentials (VAULT_TOKEN, AWS_*, AZURE_*); default: this process. */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the model-provider CLIs keep their sign-ins (HOME, CODEX_HOME, …) and how to run `security`/`gh`; default: this process. */
  readonly providerEnvironment?: ProviderEnvironment;
  /** Wait this long for an owner that `waitFor` accepts to let go, instead of refusing at once (one-shot CLI commands queue up). */
  readonly lockWait?: AcquireOptions;
}

export interface OAuthServices {
  readonly servers: OAuthServers;
  readonly signin: SignInManager;
  readonly tokens: TokenManager;
  readonly scheduler?: RefreshScheduler;
}

export interface Ports {
  readonly clock: Clock;
  readonly fetch: HttpFetch;
  readonly browser: BrowserOpener;
  readonly notifier: Notifier;
}

/** Everything one owner of a vault holds. Built by `openCore`, torn down by `dispose`. */
export class SophonCore {
  private readonly disposers: Array<() => Promise<void> | void> = [];
  private disposed = false;

  constructor(
    readonly paths: SophonPaths,
    readonly settings: Settings,
    readonly catalog: Catalog,
    readonly vault: ICredentialVault,
    readonly audit: AuditLog,
    readonly connections: ConnectionService,
    readonly lock: OwnerLock,
    readonly ports: Ports,
    readonly oauth: OAuthServices,
    readonly providers: ProviderService,
  ) {}

  /** Registers teardown for something long-lived (scheduler, server); run in reverse order. */
  onDispose(fn: () => Promise<void> | void): void {
    this.disposers.push(fn);
  }

  async permissions(): Promise<PermissionProblem[]> {
    return checkPermissions(this.paths);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const fn of this.disposers.reverse()) await fn();
    // The audit trail first: its last anchor is a vault write.
    await this.audit.dispose();
    await this.vault.dispose();
    await this.lock.release();
  }
}

const AUDIT_KEY = 'internal/audit-key';
/** Where the audit trail ends, kept in the vault so that rolling back the audit files is found. */
const AUDIT_ANCHOR = 'internal/audit-anchor';

/** Opens the vault as its one owner and wires the core together. */
export async function openCore(options: CoreOptions): Promise<SophonCore> {
  const paths = sophonPaths(options.home);
  await ensureDirs(paths);
  const lock = await OwnerLock.acquire(paths.lockFile, options.ownerName, options.lockWait);
  let opened: ICredentialVault | undefined;
  try {
    const settings = await loadSettings(paths.settingsFile);
    const catalog = await Catalog.load({ connectorsDir: paths.connectorsDir, settings });
    const vault = await openVault({
      paths,
      credentials: settings.Sophon.Credentials,
      protectors: options.protectors,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.env ? { env: options.env } : {}),
      // A long-running owner looks for records other machines added about once a minute.
      ...(options.scheduler !== false ? { syncMs: 60_000 } : {}),
      // Refuse to start an empty local vault where an earlier one left its audit trail.
      localRemains: [paths.auditDir],
    });
    opened = vault;
    let auditKey = await vault.get<string>(AUDIT_KEY);
    if (!auditKey) {
      auditKey = randomBytes(32).toString('base64');
      await vault.put(AUDIT_KEY, auditKey);
    }
    const ports: Ports = {
      clock: options.clock ?? systemClock,
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      browser: options.browser ?? { open: async () => { throw new SophonError('NOT_SUPPORTED', 'this host cannot open a browser — open the printed URL yourself'); } },
      notifier: options.notifier ?? { notify: () => undefined },
    };
    const recorded = AnchorPosition.safeParse(await vault.get(AUDIT_ANCHOR));
    const audit = await AuditLog.open({
      file: paths.auditFile,
      headFile: paths.auditHead,
      key: Buffer.from(auditKey, 'base64'),
      clock: ports.clock,
      anchor: { recorded: recorded.success ? recorded.data : undefined, record: (position) => vault.put(AUDIT_ANCHOR, position) },
      // A remote store is billed and versioned per write: each backend sets its own pace (REMOTE_ANCHOR_EVERY_MS; AWS 10 minutes).
      ...(isSharedVault(vault) ? { anchorEveryMs: vault.anchorEveryMs } : {}),
      ...(options.restoredFromBackup ? { restored: options.restoredFromBackup } : {}),
    });
    const connections = new ConnectionService(vault, catalog, audit, ports.clock, ports.fetch);
    const servers = new OAuthServers(vault, ports.fetch, ports.clock);
    const leases = leasesOf(vault);
    const tokens = new TokenManager({ connections, catalog, servers, clock: ports.clock, ...(leases ? { leases } : {}), ...(options.tokens ?? {}) });
    const oauthSource = async (connection: { id: string }, ctx: Parameters<Parameters<typeof connections.setCredentialSource>[1]>[1]) => ({ token: (await tokens.getAccessToken(connection.id, ctx)).accessToken });
    connections.setCredentialSource('oauth2', oauthSource);
    connections.setCredentialSource('device', oauthSource);
    const signin = new SignInManager({ connections, catalog, servers, clock: ports.clock, fetch: ports.fetch, receiver: options.receiver ?? loopbackReceiver, deepLinks: options.deepLinks ?? false });
    const lifecycle = settings.Sophon.Lifecycle;
    const fromSettings = {
      ...(lifecycle?.RefreshMarginSeconds !== undefined ? { marginMs: lifecycle.RefreshMarginSeconds * 1000 } : {}),
      ...(lifecycle?.JitterSeconds !== undefined ? { jitterMs: lifecycle.JitterSeconds * 1000 } : {}),
      ...(lifecycle?.MaxRefreshesInFlight !== undefined ? { maxInFlight: lifecycle.MaxRefreshesInFlight } : {}),
    };
    const scheduler = options.scheduler === false ? undefined : new RefreshScheduler({ connections, tokens, clock: ports.clock, ...fromSettings, ...(options.scheduler ?? {}) });
    const providers = new ProviderService({
      connections,
      catalog,
      vault,
      audit,
      tokens,
      servers,
      clock: ports.clock,
      fetch: ports.fetch,
      settings,
      environment: options.providerEnvironment ?? nodeProviderEnvironment(),
      background: options.scheduler !== false,
    });
    const core = new SophonCore(paths, settings, catalog, vault, audit, connections, lock, ports, { servers, signin, tokens, ...(scheduler ? { scheduler } : {}) }, providers);
    core.onDispose(() => signin.dispose());
    if (scheduler) {
      await scheduler.start();
      core.onDispose(() => scheduler.dispose());
    }
    core.onDispose(() => providers.dispose());
    return core;
  } catch (error) {
    await opened?.dispose().catch(() => undefined);
    await lock.release();
    throw error;
  }
}

export type { AuditActor };
