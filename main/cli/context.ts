import type { ApiResult, EventName, EventPayload } from '../api/contract.ts';
import { openSession, type Session } from './session.ts';

/** What a command needs: a lazily opened session to the owner (or the vault itself). */
export interface CliContext {
  call<T = unknown>(method: string, params: unknown, onEvent?: <N extends EventName>(event: N, payload: EventPayload<N>) => void): Promise<ApiResult<T>>;
  session(): Promise<Session>;
  setExitCode(code: number): void;
  readonly env: NodeJS.ProcessEnv;
}

export function cliContext(env: NodeJS.ProcessEnv): CliContext & { exitCode: number; close(): Promise<void> } {
  let opened: Promise<Session> | undefined;
  const ctx = {
    env,
    exitCode: 0,
    session(): Promise<Session> {
      opened ??= openSession(env);
      return opened;
    },
    async call<T>(method: string, params: unknown, onEvent?: <N extends EventName>(event: N, payload: EventPayload<N>) => void): Promise<ApiResult<T>> {
      return (await ctx.session()).call<T>(method, params, onEvent);
    },
    setExitCode(code: number) {
      ctx.exitCode = Math.max(ctx.exitCode, code);
    },
    async close() {
      if (opened) await (await opened.catch(() => undefined))?.close();
    },
  };
  return ctx;
}
