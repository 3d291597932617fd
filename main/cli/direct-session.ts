import { headlessProtectors, readLock, lockIsLive, describeOwner, SophonError, type DerivedKey, type SophonPaths } from '../core/index.ts';
import type { ApiResult, EventName, EventPayload } from '../api/contract.ts';
import { openHostApi } from '../api/host.ts';
import { hasTerminal, passphrasePrompt } from '../api/terminal-prompt.ts';
import { anchorWarning } from './output.ts';
import type { Session } from './session.ts';

/** How a one-shot command names itself in the owner lock. */
const ONE_SHOT_OWNER = 'sophon cli';
/** How long a one-shot command waits for another one to finish with the vault. */
const ONE_SHOT_WAIT_MS = 30_000;

/** Longest a timer may be set for; the hold below never fires. */
const HOLD_MS = 2 ** 31 - 1;

/**
 * One command's own core, with no owner running. Core timers (device polling, attempt
 * expiry) do not hold a process open, since an owner lives on anyway; here nothing else
 * would, so every call in flight holds the process until it settles. A sign-in the CLI is
 * waiting for thus polls to its end with or without `sophon serve`.
 */
export async function openDirectSession(paths: SophonPaths, env: NodeJS.ProcessEnv, ahead?: DerivedKey): Promise<Session> {
  const lock = await readLock(paths.lockFile);
  if (lock && lockIsLive(lock) && lock.owner !== ONE_SHOT_OWNER) {
    throw new SophonError('OWNER_UNREACHABLE', `the vault is open in ${describeOwner(lock)} but its socket does not answer — wait for it to finish, or stop it`);
  }
  const host = await openHostApi({
    home: paths.home,
    ownerName: ONE_SHOT_OWNER,
    // Commands started together (six `connect add` in a script) take turns rather than fail.
    lockWait: {
      waitMs: ONE_SHOT_WAIT_MS,
      waitFor: (owner) => owner.owner === ONE_SHOT_OWNER,
      onWait: (owner) => process.stderr.write(`sophon: waiting for another sophon command (pid ${owner.pid}) to finish with the vault…\n`),
    },
    scheduler: false,
    protectors: headlessProtectors({ env, ...(hasTerminal() ? { prompt: passphrasePrompt } : {}), ...(ahead ? { ahead } : {}) }),
  });
  return {
    mode: 'direct',
    async call<T>(method: string, params: unknown, onEvent?: <N extends EventName>(event: N, payload: EventPayload<N>) => void): Promise<ApiResult<T>> {
      const hold = setInterval(() => undefined, HOLD_MS);
      try {
        return (await host.dispatcher.call(method, params, { actor: 'cli', ...(onEvent ? { emit: onEvent } : {}) })) as ApiResult<T>;
      } finally {
        clearInterval(hold);
      }
    },
    async close() {
      await host.dispose();
      // Its last act was writing the audit anchor: a store that refused it is said here, or nobody would know.
      const failed = host.core.audit.anchorFailure();
      if (failed) process.stderr.write(`sophon: warning: ${anchorWarning(failed)}\n`);
    },
  };
}
