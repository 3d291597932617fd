import { Command, CommanderError } from 'commander';
import { SophonError, firstLine } from '../core/index.ts';
import { passphrasePrompt } from '../api/terminal-prompt.ts';
import { startHeadless } from './serve.ts';

/** Entry for `sophon serve` (bin/sophon.js routes here, so the CLI never imports the host). */
export async function serveMain(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const program = new Command('sophon serve')
    .description('own the vault without a desktop: answer the CLI on run/sophon.sock and keep connections fresh')
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
  void options;
  try {
    const host = await startHeadless({ env, ...(process.stdin.isTTY ? { prompt: passphrasePrompt } : {}) });
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    process.stderr.write('sophon serve: stopping\n');
    await host.dispose();
    return 0;
  } catch (error) {
    const message = error instanceof SophonError ? error.message : `unexpected error: ${firstLine((error as Error)?.message ?? String(error))}`;
    process.stderr.write(`sophon: ${firstLine(message)}\n`);
    return 1;
  }
}
