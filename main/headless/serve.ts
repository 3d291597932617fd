import { headlessProtectors, resolveHome, startBroker, type BrokerServer, type PassphraseSource, type ProtectorResolver } from '../core/index.ts';
import { openHostApi, type HostApi } from '../api/host.ts';
import { serveSocket } from '../api/wire.ts';

export interface HeadlessOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly prompt?: PassphraseSource;
  readonly protectors?: ProtectorResolver;
  readonly log?: (line: string) => void;
}

export interface HeadlessHost {
  readonly api: HostApi;
  /** The broker proxy, unless Sophon.Broker.Enabled is false. */
  readonly broker?: BrokerServer;
  dispose(): Promise<void>;
}

/** `sophon serve`: owns the vault in the foreground and answers on run/sophon.sock. */
export async function startHeadless(options: HeadlessOptions): Promise<HeadlessHost> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const api = await openHostApi({
    home: resolveHome(options.env),
    ownerName: 'sophon serve',
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
    return { api, ...(broker ? { broker } : {}), dispose: () => api.dispose() };
  } catch (error) {
    await api.dispose();
    throw error;
  }
}
