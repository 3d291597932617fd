import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `sophon run`: registration only; the runner loads when the command runs. */
export function registerRun(program: Command, cli: CliContext): void {
  program
    .command('run')
    .description('run a program unmodified with broker tokens where its SDKs look for keys (ANTHROPIC_API_KEY, OPENAI_BASE_URL, GH_TOKEN, …); exits with its status')
    .usage('--skill <id> [--tool <name>] [--agent <name>] [--connection <ref>…] -- <command> [args…]')
    .requiredOption('--skill <id>', 'the approved skill whose connections the program may use')
    .option('--tool <name>', 'the tool name its token is minted for (default: the program\'s name)')
    .option('--agent <name>', 'whose auth order picks a model provider\'s profile')
    .option('--connection <ref>', 'only this connection (repeatable; default: all the skill is granted)', collect)
    .argument('<command...>', 'the program and its arguments, after --')
    .action(async (command: string[], opts: { skill: string; tool?: string; agent?: string; connection?: string[] }) => {
      const { runProgram } = await import('../agents/run-program.ts');
      const code = await runProgram({ skill: opts.skill, ...(opts.tool !== undefined ? { tool: opts.tool } : {}), ...(opts.agent !== undefined ? { agent: opts.agent } : {}), connections: opts.connection ?? [], command, env: cli.env });
      cli.setExitCode(code);
    });
}
