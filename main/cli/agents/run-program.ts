import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { constants } from 'node:os';
import { childEnvironment, isStoreCredential } from '../../core/base.ts';
import type { RunView } from '../../api/contract.ts';
import { OwnerLink } from './owner-link.ts';

export interface RunOptions {
  readonly skill: string;
  readonly tool?: string;
  readonly agent?: string;
  readonly connections: readonly string[];
  readonly command: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Variables the person asked to pass on although run would remove them (never SOPHON_*). */
  readonly keepEnv?: readonly string[];
}

/** Exit statuses of `sophon run` itself, as env(1) and timeout(1) use them: the child's otherwise. */
export const RUN_FAILED = 125;
export const NOT_EXECUTABLE = 126;
export const NOT_FOUND = 127;

/** Signals passed on to the child. SIGINT and SIGQUIT from a terminal already reach it (same process group). */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
const FROM_TERMINAL: ReadonlySet<NodeJS.Signals> = new Set(['SIGINT', 'SIGQUIT']);

const say = (line: string) => process.stderr.write(`sophon run: ${line}\n`);

/** The tool name a token is minted for: --tool, else the program's name. */
export function defaultTool(command: string): string {
  const name = basename(command).replace(/[^A-Za-z0-9._:/-]/g, '').replace(/^[^A-Za-z0-9]+/, '');
  return (name || 'run').slice(0, 128);
}

/**
 * The child's environment: ours as every child of Sophon gets it (no SOPHON_* variable, the
 * vault passphrase above all) but with SOPHON_HOME, so `sophon` inside still finds the owner;
 * less every key variable a service's definition names; then the skill's connections' variables.
 */
export function runChildEnvironment(parent: NodeJS.ProcessEnv, run: Pick<RunView, 'env' | 'unset'>, keep: readonly string[] = []): { env: NodeJS.ProcessEnv; removed: string[] } {
  const env = childEnvironment(parent);
  for (const name of run.unset) if (!keep.includes(name)) delete env[name];
  // childEnvironment drops the secret stores' own credentials; one named with --keep-env goes back in.
  for (const name of keep) {
    const value = parent[name];
    if (isStoreCredential(name) && value !== undefined) env[name] = value;
  }
  if (parent['SOPHON_HOME'] !== undefined) env['SOPHON_HOME'] = parent['SOPHON_HOME'];
  const removed = Object.keys(parent)
    .filter((name) => parent[name] !== undefined && env[name] === undefined && !(name in run.env))
    .sort();
  return { env: { ...env, ...run.env }, removed };
}

/**
 * `sophon run --skill S -- command args…`: starts the command with its SDKs' usual variables
 * pointing at the broker proxy and holding a broker token, bound to this process's
 * connection to the owner (renewed while the child runs, revoked when it exits or when this
 * process dies). Resolves to the child's exit status; a child killed by a signal takes this
 * process down with the same signal.
 */
export async function runProgram(options: RunOptions): Promise<number> {
  const [command, ...args] = options.command;
  if (command === undefined) {
    say('name the program to run after `--`, e.g. `sophon run --skill my-skill -- node app.js`');
    return RUN_FAILED;
  }
  const owner = new OwnerLink(options.env);
  const started = await owner.call<RunView>('agents.run', {
    skill: options.skill,
    tool: options.tool ?? defaultTool(command),
    ...(options.agent !== undefined ? { agent: options.agent } : {}),
    ...(options.connections.length > 0 ? { connections: options.connections } : {}),
  });
  if (!started.ok) {
    process.stderr.write(`sophon: ${started.error.message}\n`);
    await owner.close();
    return RUN_FAILED;
  }
  const run = started.data;
  const { env, removed } = runChildEnvironment(options.env, run, options.keepEnv ?? []);
  for (const warning of run.warnings) say(`warning: ${warning}`);
  if (removed.length > 0) say(`not passed on: ${removed.join(', ')} (credentials stay with Sophon: the child gets broker tokens; --keep-env NAME passes one on)`);
  const set = Object.keys(run.env).sort();
  say(`${basename(command)} runs for skill ${run.token.skill}/${run.token.tool} with broker token ${run.token.id} (${run.token.connections.map((c) => `${c.service}:${c.label}`).join(', ')}); set ${set.join(', ')}`);

  let lost = false;
  const renew = setInterval(() => {
    void owner.call('broker.renew', { id: run.token.id }).then((result) => {
      if (!result.ok && !lost) {
        lost = true;
        say(`warning: the broker token could not be renewed (${result.error.message}); the child's calls will be refused once it expires`);
      }
    });
  }, run.renewSeconds * 1000);

  const child = spawn(command, args, { stdio: 'inherit', env });
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const signal of FORWARDED) {
    const handler = () => {
      if (FROM_TERMINAL.has(signal) && process.stdin.isTTY) return;
      child.kill(signal);
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  clearInterval(renew);
  await owner.call('broker.revoke', { id: run.token.id });
  await owner.close();
  for (const [signal, handler] of handlers) process.off(signal, handler);

  if (outcome.error) {
    const notFound = outcome.error.code === 'ENOENT';
    say(notFound ? `${command}: not found — check the name, or give its path` : `${command}: cannot be run (${outcome.error.code ?? outcome.error.message}) — check that it is an executable file`);
    return notFound ? NOT_FOUND : NOT_EXECUTABLE;
  }
  if (outcome.signal) {
    // Die the way the child did, so a shell or supervisor sees the signal.
    process.kill(process.pid, outcome.signal);
    return 128 + (constants.signals[outcome.signal] ?? 0);
  }
  return outcome.code ?? RUN_FAILED;
}
