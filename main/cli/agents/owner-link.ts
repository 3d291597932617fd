import { describeOwner, lockIsLive, readLock, resolveHome, sophonPaths } from '../../core/index.ts';
import type { ApiResult, EventName, EventPayload } from '../../api/contract.ts';
import { connectSocket, type ApiClient } from '../../api/wire.ts';

/** What `sophon mcp` and `sophon run` say when nobody owns the vault: they never open it themselves. */
export const NO_OWNER = 'Sophon is not running — start the Sophon desktop app, or `sophon serve` in another terminal, then try again';

/** Why no owner answers: none runs, or one holds the lock but its socket is silent. */
export async function whyNoOwner(env: NodeJS.ProcessEnv): Promise<string> {
  const lock = await readLock(sophonPaths(resolveHome(env)).lockFile).catch(() => undefined);
  if (lock && lockIsLive(lock)) return `the vault is open in ${describeOwner(lock)} but its socket does not answer — wait for it to finish starting, or restart it`;
  return NO_OWNER;
}

type Listener = <N extends EventName>(event: N, payload: EventPayload<N>) => void;

/**
 * A client of the vault's owner over run/sophon.sock that connects when first needed and
 * again after the owner restarts. With no owner, calls answer OWNER_UNREACHABLE with how to
 * start one; nothing here ever opens the vault.
 */
export class OwnerLink {
  private client: ApiClient | undefined;
  private connecting: Promise<ApiClient | undefined> | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly reconnectListeners = new Set<() => void>();

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** Connects now if it can; true when an owner answers. */
  async ensure(): Promise<boolean> {
    return (await this.connect()) !== undefined;
  }

  async call<T>(method: string, params: unknown, signal?: AbortSignal): Promise<ApiResult<T>> {
    const client = await this.connect();
    if (!client) return { ok: false, error: { code: 'OWNER_UNREACHABLE', message: await whyNoOwner(this.env) } };
    return client.call<T>(method, params, undefined, signal);
  }

  /** Events from the owner (kept across reconnects). */
  subscribe(listener: Listener): void {
    this.listeners.add(listener);
    this.client?.subscribe?.(listener);
  }

  /** Told each time a connection to an owner is made after the first. */
  onReconnect(listener: () => void): void {
    this.reconnectListeners.add(listener);
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.close();
  }

  private connect(): Promise<ApiClient | undefined> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = await connectSocket(sophonPaths(resolveHome(this.env)).socketFile);
      this.connecting = undefined;
      if (!client) return undefined;
      const again = this.everConnected;
      this.everConnected = true;
      this.client = client;
      client.onClose?.(() => {
        if (this.client === client) this.client = undefined;
      });
      for (const listener of this.listeners) client.subscribe?.(listener);
      if (again) for (const listener of this.reconnectListeners) listener();
      return client;
    })();
    return this.connecting;
  }

  private everConnected = false;
}
