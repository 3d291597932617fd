import { Events, REQUEST_NAMES, type ApiResult, type EventName, type EventPayload, type RequestName } from '../api/contract.ts';
import type { Dispatcher } from '../api/dispatch.ts';

/** The parts of an Electron IpcMainInvokeEvent the router reads. */
export interface IpcInvokeEventLike {
  readonly sender: { readonly id: number };
  readonly senderFrame?: { readonly url: string; readonly parent?: unknown } | null;
}

/** The parts of Electron's ipcMain the router uses (tests pass a fake). */
export interface IpcMainPort {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** A window's webContents, as far as the router is concerned. */
export interface WindowContentsPort {
  readonly id: number;
  send(channel: string, payload: unknown): void;
  isDestroyed(): boolean;
}

export type DispatcherPort = Pick<Dispatcher, 'call' | 'subscribe'>;

export interface IpcRouterOptions {
  /** The origin our own renderer is served from (e.g. `app://sophon`); other frames are refused. */
  readonly appOrigin: string;
  /** Sees every successful answer (the host learns which external URLs it built). */
  readonly observe?: (method: RequestName, data: unknown) => void;
  /** Told when a message is refused (never with its arguments). */
  readonly onRefused?: (channel: string, reason: string) => void;
}

const FORBIDDEN = (reason: string): ApiResult<never> => ({ ok: false, error: { code: 'FORBIDDEN', message: `refused: ${reason}` } });

/**
 * IPC between the window and the core. One invoke channel per contract request; events
 * go out on a channel named after the event. Only the webContents of windows this host
 * created (`attach`) are answered, and only from their top frame on our own origin.
 */
export class IpcRouter {
  private readonly windows = new Map<number, WindowContentsPort>();
  private readonly unsubscribe: () => void;
  private disposed = false;

  constructor(
    private readonly ipc: IpcMainPort,
    private readonly dispatcher: DispatcherPort,
    private readonly options: IpcRouterOptions,
  ) {
    for (const name of REQUEST_NAMES) {
      ipc.handle(name, (event, ...args) => this.invoke(name, event, args));
    }
    this.unsubscribe = dispatcher.subscribe((event, payload) => this.broadcast(event, payload));
  }

  /** Registers a window's webContents as a trusted sender; returns its removal. */
  attach(contents: WindowContentsPort): () => void {
    this.windows.set(contents.id, contents);
    return () => {
      if (this.windows.get(contents.id) === contents) this.windows.delete(contents.id);
    };
  }

  /** Why a sender is refused, or undefined when it is one of ours. */
  checkSender(event: IpcInvokeEventLike): string | undefined {
    const contents = this.windows.get(event.sender.id);
    if (!contents || contents.isDestroyed()) return 'the sender is not a Sophon window';
    const frame = event.senderFrame;
    if (!frame) return 'the sending frame is gone';
    if (frame.parent) return 'the sender is a sub-frame';
    let actual: URL;
    try {
      actual = new URL(frame.url);
    } catch {
      return 'the sender has no valid URL';
    }
    // Node reports an opaque origin for custom schemes (app://), so compare scheme and host.
    const expected = new URL(this.options.appOrigin);
    if (actual.protocol !== expected.protocol || actual.host !== expected.host) return 'the sender is not on the app origin';
    return undefined;
  }

  /** Sends an event to the windows only (e.g. `tray.selected`), validated like every event. */
  send<N extends EventName>(event: N, payload: EventPayload<N>): void {
    this.broadcast(event, Events[event].parse(payload));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unsubscribe();
    for (const name of REQUEST_NAMES) this.ipc.removeHandler(name);
    this.windows.clear();
  }

  private async invoke(name: RequestName, event: IpcInvokeEventLike, args: unknown[]): Promise<ApiResult<unknown>> {
    const refused = this.disposed ? 'the app is shutting down' : this.checkSender(event);
    if (refused) {
      this.options.onRefused?.(name, refused);
      return FORBIDDEN(refused);
    }
    const sender = this.windows.get(event.sender.id) as WindowContentsPort;
    const result = await this.dispatcher.call(name, args[0], {
      actor: 'window',
      emit: (progress, payload) => {
        if (!sender.isDestroyed()) sender.send(progress, payload);
      },
    });
    if (result.ok) this.options.observe?.(name, result.data);
    return result;
  }

  private broadcast(event: EventName, payload: unknown): void {
    for (const contents of this.windows.values()) {
      if (!contents.isDestroyed()) contents.send(event, payload);
    }
  }
}
