import { Command, CommanderError } from 'commander';
import { takeSecretsFromProcessEnv } from '../core/base.ts';
import { cliContext } from './context.ts';
import { CliExit, reportError } from './output.ts';
import { registerFor } from './registry.ts';

/** Runs one `sophon` command; resolves to the process exit code. Secrets are taken out of process.env (children never inherit them). */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = takeSecretsFromProcessEnv()): Promise<number> {
  const cli = cliContext(env);
  const program = new Command('sophon')
    .description('Sophon: your connections, signed in and encrypted on this machine')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`sophon: ${text.replace(/^error: /, '').trim()}\n`) })
    .showHelpAfterError(false);
  const json = argv.includes('--json');
  try {
    await registerFor(program, argv, cli);
    await program.parseAsync([...argv], { from: 'user' });
    return cli.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 2;
    }
    if (error instanceof CliExit) {
      if (error.note) process.stderr.write(`sophon: ${error.note}\n`);
      return error.exitCode;
    }
    return reportError(error, json);
  } finally {
    await cli.close();
  }
}
