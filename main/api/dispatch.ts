import { SophonError, isSophonError, toSophonError, type SophonCore, type AuditActor } from '../core/index.ts';
import { Events, Requests, type ApiResult, type EventName, type EventPayload, type RequestName, type RequestOutput } from './contract.ts';
import { connectionView } from './views.ts';
import type { z } from 'zod';

export interface CallContext {
  readonly actor: AuditActor;
  /** Streams progress for long calls (sign-in) to the caller. */
  readonly emit?: <N extends EventName>(event: N, payload: EventPayload<N>) => void;
  readonly signal?: AbortSignal;
  /** Runs `fn` when the caller's connection ends (the local socket closing): what a `sophon run` token is bound to. */
  readonly onSessionEnd?: (fn: () => void) => void;
}

export type Handler<N extends RequestName> = (input: z.output<(typeof Requests)[N]['input']>, ctx: CallContext) => Promise<RequestOutput<N>>;
export type Handlers = { [N in RequestName]?: Handler<N> };

export type EventListener = <N extends EventName>(event: N, payload: EventPayload<N>) => void;

/**
 * Validates every input against the contract, runs the handler, and shapes the answer
 * as `{ok, data} | {ok: false, error}`. Outputs pass through the view schema too, so a
 * field the contract does not name never leaves.
 */
export class Dispatcher {
  private readonly handlers: Handlers = {};
  private readonly listeners = new Set<EventListener>();

  constructor(readonly core: SophonCore) {
    core.connections.onChange((change) => this.publish('connections.changed', { type: change.type, connection: connectionView(change.connection) }));
  }

  register(handlers: Handlers): void {
    Object.assign(this.handlers, handlers);
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish<N extends EventName>(event: N, payload: EventPayload<N>): void {
    const parsed = Events[event].parse(payload) as EventPayload<N>;
    for (const listener of this.listeners) listener(event, parsed);
  }

  async call(method: string, params: unknown, ctx: CallContext): Promise<ApiResult<unknown>> {
    try {
      if (!Object.hasOwn(Requests, method)) {
        throw new SophonError('INVALID_INPUT', `unknown request "${method}" — update the client and the app to the same version`);
      }
      const name = method as RequestName;
      const spec = Requests[name];
      const input = spec.input.safeParse(params ?? {});
      if (!input.success) {
        // A message written as "cause — fix" for a person stands alone; zod's own wording gets the field's path.
        const own = input.error.issues.find((i) => i.message.includes(' — '));
        if (own) throw new SophonError(own.code === 'too_big' ? 'INPUT_TOO_LARGE' : 'INVALID_INPUT', own.message);
        const detail = input.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
        throw new SophonError('INVALID_INPUT', `${name}: ${detail}`);
      }
      const handler = this.handlers[name] as Handler<typeof name> | undefined;
      if (!handler) throw new SophonError('NOT_SUPPORTED', `${name} is not available in this host yet`);
      const output = await handler(input.data as never, ctx);
      return { ok: true, data: spec.output.parse(output) };
    } catch (error) {
      const known = isSophonError(error) ? error : toSophonError(error);
      if (!isSophonError(error)) process.emitWarning(`sophon: internal error in ${method}: ${(error as Error)?.stack ?? String(error)}`);
      return { ok: false, error: { code: known.code, message: known.message } };
    }
  }
}
