import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { SophonError, firstLine, takeSecretsFromProcessEnv } from '../core/index.ts';
import { hasTerminal, passphrasePrompt } from '../api/terminal-prompt.ts';
import { startHeadless } from './serve.ts';

/** Entry for `sophon serve` (bin/sophon.js routes here, so the CLI never imports the host). */
export async function serveMain(argv: readonly string[], env: NodeJS.ProcessEnv = takeSecretsFromProcessEnv()): Promise<number> {
  const program = new Command('sophon serve')
    .description('own the vault without a desktop: answer the CLI on run/sophon.sock and keep connections fresh')
    .option('--dashboard', 'also serve the Sophon window on 127.0.0.1 (prints a one-time login URL)')
    .option('--port <n>', 'dashboard port (default: a free one)', (value: string) => {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('expected a port number between 1 and 65535');
      return port;
    })
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`sophon: ${text.replace(/^error: /, '').trim()}\n`) });
  let options: Record<string, unknown>;
  try {
    program.parse([...argv], { from: 'user' });
    options = program.opts();
  } catch (error) {
    if (error instanceof CommanderError) return error.code === 'commander.helpDisplayed' ? 0 : 2;
    throw error;
  }
  const dashboard = options['dashboard'] === true ? { ...(typeof options['port'] === 'number' ? { port: options['port'] } : {}) } : undefined;
  if (options['port'] !== undefined && !dashboard) {
    process.stderr.write('sophon: --port only applies with --dashboard — add --dashboard, or drop --port\n');
    return 2;
  }
  try {
    const host = await startHeadless({ env, ...(dashboard ? { dashboard } : {}), ...(hasTerminal() ? { prompt: passphrasePrompt } : {}) });
    const why = await new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('interrupted'));
      process.once('SIGTERM', () => resolve('asked to stop'));
      followLauncher(env, () => resolve('npx, which started it, has ended'));
    });
    process.stderr.write(`sophon serve: stopping (${why})\n`);
    await host.dispose();
    return 0;
  } catch (error) {
    const message = error instanceof SophonError ? error.message : `unexpected error: ${firstLine((error as Error)?.message ?? String(error))}`;
    process.stderr.write(`sophon: ${firstLine(message)}\n`);
    return 1;
  }
}

/**
 * npx (`npm exec`) does not pass SIGTERM on to the program it starts: killing it would leave
 * this server running and holding the vault. Started through npx, the server follows it: when
 * its parent is gone (the process is handed to init or a subreaper), it stops as on SIGTERM.
 */
function followLauncher(env: NodeJS.ProcessEnv, onGone: () => void): void {
  if (env['npm_command'] !== 'exec') return;
  process.stderr.write('sophon serve: started through npx, so it stops when npx ends; to run it as a service, start `node bin/sophon.js serve` (see the README)\n');
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, 500);
  timer.unref();
}
