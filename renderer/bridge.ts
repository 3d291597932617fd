import { Events, Requests, type ApiResult, type EventName, type EventPayload, type RequestInput, type RequestName, type RequestOutput, type SophonWindowApi } from '../main/api/contract.ts';
import { createWsBridge, type LinkStatus } from './ws-client.ts';

declare global {
  interface Window {
    /** Set by the desktop app's preload; absent in a browser (the dashboard). */
    readonly sophon?: SophonWindowApi;
  }
}

export interface Bridge {
  readonly kind: 'desktop' | 'dashboard';
  readonly api: SophonWindowApi;
  onStatus(listener: (status: LinkStatus) => void): () => void;
}

/** The desktop window's preload API when present, else the dashboard's WebSocket. */
export function pickBridge(win: Window = window): Bridge {
  if (win.sophon) return { kind: 'desktop', api: checkedEvents(win.sophon), onStatus: () => () => undefined };
  const scheme = win.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = createWsBridge(`${scheme}//${win.location.host}/api`);
  return { kind: 'dashboard', api: ws, onStatus: (listener) => ws.onStatus(listener) };
}

/** Events reach the store only if they follow the contract (the WebSocket client checks its own). */
function checkedEvents(api: SophonWindowApi): SophonWindowApi {
  return {
    ...api,
    on<N extends EventName>(event: N, listener: (payload: EventPayload<N>) => void) {
      return api.on(event, (payload) => {
        const parsed = Events[event].safeParse(payload);
        if (parsed.success) listener(parsed.data as EventPayload<N>);
      });
    },
  };
}

/**
 * Calls one request by name and checks the answer against the contract's output schema
 * (a field the contract does not name is dropped here too).
 */
export async function callApi<N extends RequestName>(api: SophonWindowApi, name: N, input: RequestInput<N>): Promise<ApiResult<RequestOutput<N>>> {
  const dot = name.indexOf('.');
  const domain = (api as unknown as Record<string, Record<string, (input: unknown) => Promise<ApiResult<unknown>>>>)[name.slice(0, dot)];
  const fn = domain?.[name.slice(dot + 1)];
  if (!fn) return { ok: false, error: { code: 'NOT_SUPPORTED', message: `${name} is not available — update Sophon` } };
  let result: ApiResult<unknown>;
  try {
    result = await fn(input);
  } catch (error) {
    return { ok: false, error: { code: 'INTERNAL', message: `the request failed: ${error instanceof Error ? error.message : String(error)}` } };
  }
  if (!result.ok) return result;
  const parsed = Requests[name].output.safeParse(result.data);
  if (!parsed.success) return { ok: false, error: { code: 'INTERNAL', message: `${name} answered something the contract does not allow — update the app and Sophon to the same version` } };
  return { ok: true, data: parsed.data as RequestOutput<N> };
}
