import { headlessProtectors, resolveHome, sophonPaths, SophonError, readLock, lockIsLive, describeOwner } from '../core/index.ts';
import type { ApiResult, EventName, EventPayload } from '../api/contract.ts';
import { openHostApi } from '../api/host.ts';
import { connectSocket, type ApiClient } from '../api/wire.ts';
import { passphrasePrompt } from './prompt.ts';

/** How a one-shot command names itself in the owner lock. */
const ONE_SHOT_OWNER = 'sophon cli';
/** How long a one-shot command waits for another one to finish with the vault. */
const ONE_SHOT_WAIT_MS = 30_000;

export interface Session extends ApiClient {
  readonly mode: 'owner' | 'direct';
}

/**
 * Talks to the running owner over run/sophon.sock; with none running, opens the vault
 * itself for the length of one command (same core, a direct call instead of a socket).
 */
export async function openSession(env: NodeJS.ProcessEnv = process.env): Promise<Session> {
  const paths = sophonPaths(resolveHome(env));
  const remote = await connectSocket(paths.socketFile);
  if (remote) return { mode: 'owner', call: remote.call.bind(remote), close: remote.close.bind(remote) };
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
    protectors: headlessProtectors({ env, ...(process.stdin.isTTY ? { prompt: passphrasePrompt } : {}) }),
  });
  return {
    mode: 'direct',
    async call<T>(method: string, params: unknown, onEvent?: <N extends EventName>(event: N, payload: EventPayload<N>) => void): Promise<ApiResult<T>> {
      return (await host.dispatcher.call(method, params, { actor: 'cli', ...(onEvent ? { emit: onEvent } : {}) })) as ApiResult<T>;
    },
    close: () => host.dispose(),
  };
}
