import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { toolError } from '../../core/index.ts';
import type { AgentToolResult, AgentToolView, SkillView } from '../../api/contract.ts';
import { OwnerLink, whyNoOwner } from './owner-link.ts';

export interface McpOptions {
  readonly skill: string;
  readonly agent?: string;
  readonly env: NodeJS.ProcessEnv;
  /** Lines for a person (stderr): MCP clients show a server's stderr in their logs. */
  readonly log?: (line: string) => void;
}

const VERSION = '0.1.0';

function instructions(skill: string): string {
  return [
    `Sophon gives you the user's connected accounts for the skill "${skill}" without ever showing you a credential: Sophon adds it to each request and removes it from each answer.`,
    'Start with list_connections; then use http_request (any API call) or whoami (which account, and does it work) with a `connection` from that list; mailboxes are used with mail_search, mail_read and mail_send instead.',
    'When a tool answers that the user must do something (approve the skill, reconnect an account, choose between accounts), ask the user instead of retrying or working around it.',
  ].join(' ');
}

/**
 * `sophon mcp --skill <id>`: an MCP server on stdin/stdout, for any MCP client. It is a
 * client of the vault's owner (desktop app or `sophon serve`): tools are listed and run
 * there, each call with broker tokens of its own; this process holds no credential and
 * never opens the vault. With no owner running it stays up, says so on stderr and in
 * every answer, and picks the owner up once it starts.
 */
export async function serveMcp(options: McpOptions): Promise<void> {
  const log = options.log ?? ((line: string) => process.stderr.write(`sophon mcp: ${line}\n`));
  const owner = new OwnerLink(options.env);
  const server = new Server({ name: 'sophon', title: 'Sophon', version: VERSION }, { capabilities: { tools: { listChanged: true } }, instructions: instructions(options.skill) });

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const result = await owner.call<{ tools: AgentToolView[] }>('agents.tools', { skill: options.skill });
    if (!result.ok) throw new McpError(ErrorCode.InternalError, `${result.error.code}: ${result.error.message}`);
    return { tools: result.data.tools as Tool[] };
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const result = await owner.call<AgentToolResult>(
      'agents.call',
      {
        skill: options.skill,
        ...(options.agent !== undefined ? { agent: options.agent } : {}),
        tool: request.params.name,
        callId: String(extra.requestId).slice(0, 64),
        arguments: request.params.arguments ?? {},
      },
      extra.signal,
    );
    if (!result.ok) {
      const failed = toolError(result.error, { skill: options.skill });
      return { isError: true, content: [{ type: 'text', text: failed.text }] };
    }
    return { isError: result.data.isError, content: [{ type: 'text', text: result.data.text }] };
  });

  // A skill approved (or changed) while the client is connected changes what is offered.
  const toolsChanged = () => void server.sendToolListChanged().catch(() => undefined);
  owner.subscribe((event, payload) => {
    if (event === 'skills.changed' && (payload as { id: string }).id === options.skill) toolsChanged();
  });
  owner.onReconnect(() => {
    log('connected to the Sophon owner again');
    toolsChanged();
  });

  if (await owner.ensure()) await describeSkill(owner, options.skill, log);
  else log(`${await whyNoOwner(options.env)} (this server keeps running and connects once Sophon starts)`);

  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
  });
  await server.connect(transport);
  const stop = () => void server.close();
  process.stdin.once('end', stop);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    await closed;
  } finally {
    process.stdin.off('end', stop);
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
    await owner.close();
  }
}

/** One line on stderr about the skill, so a person reading the client's log knows what to fix. */
async function describeSkill(owner: OwnerLink, skill: string, log: (line: string) => void): Promise<void> {
  const skills = await owner.call<SkillView[]>('skills.list', {});
  if (!skills.ok) return;
  const found = skills.data.find((s) => s.id === skill);
  if (!found) log(`no skill "${skill}" is installed — add it with \`sophon skills add <manifest.json>\`; tool calls will say so`);
  else if (found.status === 'approved') log(`serving skill "${skill}" (${found.grants.map((g) => g.ref).join(', ')})`);
  else log(`skill "${skill}" is ${found.status === 'changed' ? 'changed since it was approved' : found.status === 'invalid' ? 'invalid' : 'not approved'} — run \`sophon skills approve ${skill}\`; tool calls will say so`);
}
