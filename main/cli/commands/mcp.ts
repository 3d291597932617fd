import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

/** `sophon mcp`: registration only; the server (and the MCP SDK) load when the command runs. */
export function registerMcp(program: Command, cli: CliContext): void {
  program
    .command('mcp')
    .description('an MCP server on stdin/stdout for agents (Claude Code, Codex, any MCP client): your connections through the broker, for one skill')
    .requiredOption('--skill <id>', 'the approved skill whose connections the agent may use')
    .option('--agent <name>', 'whose auth order picks a model provider\'s profile (`sophon models auth order … --agent`)')
    .action(async (opts: { skill: string; agent?: string }) => {
      const { serveMcp } = await import('../agents/mcp-server.ts');
      await serveMcp({ skill: opts.skill, ...(opts.agent !== undefined ? { agent: opts.agent } : {}), env: cli.env });
    });
}
