import { EVENT_NAMES, createDomainApi, type ApiResult, type EventName, type EventPayload, type SophonWindowApi } from '../main/api/contract.ts';

/** The parts of Electron's ipcRenderer the preload uses (tests pass a fake). */
export interface IpcRendererPort {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): unknown;
}

const EVENTS = new Set<string>(EVENT_NAMES);

/**
 * `window.sophon`: one function per contract request, grouped by domain, and `on` for the
 * contract's events. Arguments and answers are plain data; the IPC event object (which
 * carries `sender`) never reaches the page.
 */
export function buildSophonApi(ipc: IpcRendererPort): SophonWindowApi {
  const api = createDomainApi((method, input) => ipc.invoke(method, input) as Promise<ApiResult<unknown>>);
  const on = <N extends EventName>(event: N, listener: (payload: EventPayload<N>) => void): (() => void) => {
    if (!EVENTS.has(event)) throw new TypeError(`unknown event "${String(event)}"`);
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    const wrapped = (_event: unknown, payload: unknown) => listener(payload as EventPayload<N>);
    ipc.on(event, wrapped);
    return () => {
      ipc.removeListener(event, wrapped);
    };
  };
  return Object.freeze({ ...api, on });
}
