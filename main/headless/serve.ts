import { SophonError, headlessProtectors, resolveHome, startBroker, type BrokerServer, type PassphraseSource, type ProtectorResolver } from '../core/index.ts';
import { openHostApi, type HostApi } from '../api/host.ts';
import { serveSocket } from '../api/wire.ts';
import { SkillApprovalWatch } from '../api/skill-watch.ts';
import { startDashboard, type Dashboard } from './dashboard.ts';
import { ensureRendererBuild } from './renderer-build.ts';

export interface HeadlessOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly prompt?: PassphraseSource;
  readonly protectors?: ProtectorResolver;
  readonly log?: (line: string) => void;
  /** Also serve the window's renderer on 127.0.0.1 (`--dashboard [--port N]`). */
  readonly dashboard?: { readonly port?: number; readonly rendererDir?: string };
}

export interface HeadlessHost {
  readonly api: HostApi;
  /** The broker proxy, unless Sophon.Broker.Enabled is false. */
  readonly broker?: BrokerServer;
  readonly dashboard?: Dashboard;
  dispose(): Promise<void>;
}

/** `sophon serve`: owns the vault in the foreground and answers on run/sophon.sock. */
export async function startHeadless(options: HeadlessOptions): Promise<HeadlessHost> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const rendererDir = options.dashboard ? (options.dashboard.rendererDir ?? (await ensureRendererBuild({ log: (line) => log(`sophon serve: ${line}`) })).dir) : undefined;
  const api = await openHostApi({
    home: resolveHome(options.env),
    ownerName: 'sophon serve',
    // No desktop to notify: what would be an OS notification (an agent waits for a reconnect) is a log line.
    notifier: { notify: (title, body) => log(`sophon serve: ${title} — ${body}`) },
    protectors: options.protectors ?? headlessProtectors({ env: options.env, ...(options.prompt ? { prompt: options.prompt } : {}) }),
  });
  try {
    const socket = await serveSocket(api.core.paths.socketFile, api.dispatcher, 'cli');
    api.core.onDispose(() => socket.dispose());
    const health = api.core.vault.health();
    log(`sophon serve: vault open (${health.protectorDescription}${health.strength === 'weak' ? ', WEAK' : ''}), ${api.core.vault.list('connection/').length} connection(s)`);
    const broker = api.broker.settings.Enabled ? await startBroker(api.core, { broker: api.broker }) : undefined;
    if (broker) log(`sophon serve: broker proxy on ${broker.url}/proxy (runtime key: ${broker.runtimeKeyFile})`);
    log(`sophon serve: listening on ${socket.path}`);
    // Without a desktop, "a skill asks for approval" is a line on stderr (and a browser notification on the dashboard).
    const skillWatch = new SkillApprovalWatch(api, { notify: (title, body) => log(`sophon serve: ${title} — ${body.replace('Open Sophon’s Agents view', options.dashboard ? 'open the dashboard’s Agents view' : 'run `sophon skills list`')}`) });
    await skillWatch.start();
    api.core.onDispose(() => skillWatch.dispose());
    let dashboard: Dashboard | undefined;
    if (options.dashboard && rendererDir) {
      dashboard = await startDashboard({ dispatcher: api.dispatcher, rendererDir, ...(options.dashboard.port !== undefined ? { port: options.dashboard.port } : {}) }).catch((error: unknown) => {
        const code = (error as NodeJS.ErrnoException)?.code;
        if (code === 'EADDRINUSE' || code === 'EACCES') {
          throw new SophonError('INVALID_INPUT', `cannot listen on 127.0.0.1:${options.dashboard?.port} (${code}) — choose another --port, or leave it out to pick a free one`, { cause: error });
        }
        throw error;
      });
      const opened = dashboard;
      api.core.onDispose(() => opened.dispose());
      log(`sophon serve: dashboard at ${dashboard.loginUrl}`);
      log('sophon serve: (the link works once; it signs this browser in — do not share it)');
    }
    return { api, ...(broker ? { broker } : {}), ...(dashboard ? { dashboard } : {}), dispose: () => api.dispose() };
  } catch (error) {
    await api.dispose();
    throw error;
  }
}
