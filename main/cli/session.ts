import { resolveHome, sophonPaths } from '../core/base.ts';
import { connectSocket, type ApiClient } from '../api/wire.ts';

export interface Session extends ApiClient {
  readonly mode: 'owner' | 'direct';
}

/**
 * Talks to the running owner over run/sophon.sock; with none running, opens the vault
 * itself for the length of one command (same core, a direct call instead of a socket).
 * The owner path loads only the socket client: the core is imported when it is needed.
 */
export async function openSession(env: NodeJS.ProcessEnv = process.env): Promise<Session> {
  const paths = sophonPaths(resolveHome(env));
  const remote = await connectSocket(paths.socketFile);
  if (remote) return { mode: 'owner', call: remote.call.bind(remote), close: remote.close.bind(remote) };
  const { unsealAhead } = await import('./unseal-ahead.ts');
  const ahead = await unsealAhead(paths, env);
  const { openDirectSession } = await import('./direct-session.ts');
  return openDirectSession(paths, env, ahead);
}
