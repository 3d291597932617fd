import { execFile } from 'node:child_process';
import { access, stat, constants } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { childEnvironment } from '../child-env.ts';

export interface CommandResult {
  /** The exit code; -1 when the program could not be started. */
  readonly code: number;
  readonly stdout: string;
}

/**
 * What the CLI readers need from the machine: the environment (HOME, CLAUDE_CONFIG_DIR,
 * CODEX_HOME, GH_CONFIG_DIR, GH_TOKEN, PATH), the platform, and a way to run a program.
 * Hosts pass the real one; tests pass a temporary HOME and a fake `run`.
 */
export interface ProviderEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
  /**
   * Runs a program without a shell, in `env` without Sophon's own variables. A secret
   * comes back on stdout, never in argv; stdout is never logged and never put in an error message.
   */
  run(command: string, args: readonly string[], options?: { readonly timeoutMs?: number }): Promise<CommandResult>;
}

export function nodeProviderEnvironment(env: Readonly<Record<string, string | undefined>> = process.env, platform: NodeJS.Platform = process.platform): ProviderEnvironment {
  return {
    env,
    platform,
    run: (command, args, options) =>
      new Promise((resolve) => {
        execFile(
          command,
          [...args],
          { env: childEnvironment(env), timeout: options?.timeoutMs ?? 10_000, maxBuffer: 1024 * 1024, windowsHide: true, encoding: 'utf8' },
          (error, stdout) => {
            if (!error) return resolve({ code: 0, stdout });
            const code = (error as { code?: unknown }).code;
            resolve({ code: typeof code === 'number' ? code : -1, stdout: '' });
          },
        );
      }),
  };
}

/** The user's home as the environment names it (tests use a temporary HOME). */
export function homeDir(environment: ProviderEnvironment): string {
  const { env } = environment;
  const fromEnv = environment.platform === 'win32' ? (env['USERPROFILE'] ?? env['HOME']) : env['HOME'];
  return fromEnv && fromEnv.trim() !== '' ? fromEnv : homedir();
}

/** Where a program would be found on PATH, without running it. */
export async function findExecutable(environment: ProviderEnvironment, name: string): Promise<string | undefined> {
  const path = environment.env['PATH'] ?? environment.env['Path'] ?? '';
  const extensions = environment.platform === 'win32' ? (environment.env['PATHEXT'] ?? '.EXE;.CMD;.BAT').split(';').filter(Boolean) : [''];
  for (const dir of path.split(environment.platform === 'win32' ? ';' : delimiter)) {
    if (!dir) continue;
    for (const extension of extensions) {
      const candidate = join(dir, name + extension);
      try {
        if (!(await stat(candidate)).isFile()) continue;
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** Shows a path with the home directory as ~ (for messages; never a secret). */
export function tildify(path: string, environment: ProviderEnvironment): string {
  const home = homeDir(environment);
  return home && path.startsWith(home + '/') ? `~${path.slice(home.length)}` : path;
}
