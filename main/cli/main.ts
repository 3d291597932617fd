import { Command, CommanderError } from 'commander';
import { takeSecretsFromProcessEnv } from '../core/index.ts';
import { cliContext } from './context.ts';
import { CliExit, reportError } from './output.ts';
import { registerConnect } from './commands/connect.ts';
import { registerAudit } from './commands/audit.ts';
import { registerCatalog } from './commands/catalog.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerSkills } from './commands/skills.ts';
import { registerBroker } from './commands/broker.ts';
import { registerModels } from './commands/models.ts';
import { registerMcp } from './commands/mcp.ts';
import { registerRun } from './commands/run.ts';

/** Runs one `sophon` command; resolves to the process exit code. Secrets are taken out of process.env (children never inherit them). */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = takeSecretsFromProcessEnv()): Promise<number> {
  const cli = cliContext(env);
  const program = new Command('sophon')
    .description('Sophon: your connections, signed in and encrypted on this machine')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`sophon: ${text.replace(/^error: /, '').trim()}\n`) })
    .showHelpAfterError(false);
  program.command('serve').description('own the vault without a desktop: socket, refresh, broker proxy (see `sophon serve --help`)').allowUnknownOption(true);
  registerConnect(program, cli);
  registerCatalog(program, cli);
  registerAudit(program, cli);
  registerDoctor(program, cli);
  registerSkills(program, cli);
  registerBroker(program, cli);
  registerModels(program, cli);
  registerMcp(program, cli);
  registerRun(program, cli);
  const json = argv.includes('--json');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return cli.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 2;
    }
    if (error instanceof CliExit) return error.exitCode;
    return reportError(error, json);
  } finally {
    await cli.close();
  }
}
