import {
  EVENT_NAMES,
  Events,
  WireServerMessage,
  createDomainApi,
  type ApiResult,
  type EventName,
  type EventPayload,
  type SophonWindowApi,
} from '../main/api/contract.ts';

export type LinkStatus = 'connecting' | 'open' | 'closed';

export interface WsBridge extends SophonWindowApi {
  onStatus(listener: (status: LinkStatus) => void): () => void;
  close(): void;
}

interface Pending {
  readonly resolve: (result: ApiResult<unknown>) => void;
}

const UNREACHABLE: ApiResult<never> = {
  ok: false,
  error: { code: 'OWNER_UNREACHABLE', message: 'lost the connection to `sophon serve` — is it still running? The page reconnects by itself; retry then' },
};

/**
 * The dashboard's transport: the contract over a WebSocket to `sophon serve --dashboard`,
 * shaped exactly like the desktop's `window.sophon`. Reconnects by itself; calls made
 * while the link is down wait for it (and fail if it drops during the call).
 */
export function createWsBridge(url: string, WebSocketImpl: typeof WebSocket = WebSocket): WsBridge {
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  const statusListeners = new Set<(status: LinkStatus) => void>();
  const pending = new Map<number, Pending>();
  let outbox: string[] = [];
  let nextId = 1;
  let socket: WebSocket | undefined;
  let closed = false;
  let retry = 500;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const setStatus = (status: LinkStatus) => {
    for (const listener of statusListeners) listener(status);
  };

  const deliver = (event: EventName, payload: unknown) => {
    const parsed = Events[event].safeParse(payload);
    if (!parsed.success) return;
    for (const listener of listeners.get(event) ?? []) listener(parsed.data as never);
  };

  const connect = () => {
    if (closed) return;
    setStatus('connecting');
    const ws = new WebSocketImpl(url);
    socket = ws;
    ws.onopen = () => {
      retry = 500;
      setStatus('open');
      const queued = outbox;
      outbox = [];
      for (const text of queued) ws.send(text);
    };
    ws.onmessage = (message: MessageEvent) => {
      let json: unknown;
      try {
        json = JSON.parse(String(message.data));
      } catch {
        return;
      }
      const parsed = WireServerMessage.safeParse(json);
      if (!parsed.success) return;
      const data = parsed.data;
      if ('result' in data) {
        const call = pending.get(data.id);
        if (!call) return;
        pending.delete(data.id);
        call.resolve(data.result as ApiResult<unknown>);
      } else {
        deliver(data.event, data.payload);
      }
    };
    ws.onclose = () => {
      if (socket === ws) socket = undefined;
      // Queued calls fail with the rest: nothing runs later behind the person's back.
      outbox = [];
      for (const call of pending.values()) call.resolve(UNREACHABLE);
      pending.clear();
      setStatus('closed');
      if (closed) return;
      timer = setTimeout(connect, retry);
      retry = Math.min(retry * 2, 8000);
    };
    ws.onerror = () => undefined;
  };

  const call = (method: string, input: unknown): Promise<ApiResult<unknown>> => {
    if (closed) return Promise.resolve(UNREACHABLE);
    const id = nextId++;
    const text = JSON.stringify({ id, method, params: input });
    return new Promise((resolve) => {
      pending.set(id, { resolve });
      if (socket && socket.readyState === WebSocketImpl.OPEN) socket.send(text);
      else outbox.push(text);
    });
  };

  connect();
  const api = createDomainApi(call);
  return {
    ...api,
    on<N extends EventName>(event: N, listener: (payload: EventPayload<N>) => void): () => void {
      if (!EVENT_NAMES.includes(event)) throw new TypeError(`unknown event "${event}"`);
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    onStatus(listener) {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    close() {
      closed = true;
      clearTimeout(timer);
      socket?.close();
    },
  };
}
