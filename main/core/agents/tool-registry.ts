import { z } from 'zod';
import type { Broker, GrantedConnection, MintedToken } from '../broker/broker.ts';
import type { Grant } from '../broker/skill-manifest.ts';
import { SophonError, firstLine, isSophonError } from '../errors.ts';
import { describeIssues } from '../catalog/schema.ts';
import { toolError } from './tool-errors.ts';

/** MCP's tool annotations (hints a client shows or uses to ask before a call). */
export interface ToolAnnotations {
  readonly title?: string;
  readonly readOnlyHint?: boolean;
  readonly destructiveHint?: boolean;
  readonly idempotentHint?: boolean;
  readonly openWorldHint?: boolean;
}

/** What a tool answers: text for the model (JSON where the answer is data). */
export interface ToolResult {
  readonly text: string;
  readonly isError?: boolean;
}

/** What a tool is given for one call. Everything it mints is revoked when the call ends. */
export interface ToolContext {
  readonly skill: string;
  readonly agent?: string;
  /** `<tool>#<call id>`: what every broker token of this call is minted for (and audited as). */
  readonly tool: string;
  readonly broker: Broker;
  readonly signal?: AbortSignal;
  /** The connections the skill's approved grant covers now; refuses an unapproved or changed skill. */
  granted(): Promise<GrantedConnection[]>;
  /** A broker token for this call, limited to `connections` (ids or refs); revoked when the call ends. */
  mint(connections?: readonly string[]): Promise<MintedToken>;
}

/**
 * One tool an agent can call through `sophon mcp`. It runs inside the vault's owner (the
 * desktop app or `sophon serve`), never in the MCP process: a module that needs a real
 * credential (mail over SMTP/IMAP) can offer tools without the credential ever leaving
 * the owner. Register with `ToolRegistry.register` in the host's composition (api/host.ts).
 */
export interface AgentTool<I = unknown> {
  /** snake_case, unique; what the model calls. */
  readonly name: string;
  /** Written for a model: what it does, when to use it, what comes back. */
  readonly description: string;
  /** Validates the model's arguments; its JSON Schema (input side) is what the model sees. */
  readonly input: z.ZodType<I>;
  readonly annotations?: ToolAnnotations;
  /** Whether to offer the tool to a skill with this grant (undefined: the skill is unknown or invalid); default: always. */
  offered?(grant: Grant | undefined): boolean;
  run(input: I, ctx: ToolContext): Promise<ToolResult>;
}

/** A tool as an MCP client lists it. */
export interface ToolDescriptor {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: Record<string, unknown>;
  readonly annotations?: ToolAnnotations;
}

export interface ToolCall {
  readonly skill: string;
  readonly agent?: string;
  readonly tool: string;
  /** The client's id for this call (MCP's request id): tokens are minted for `tool#callId`. */
  readonly callId: string;
  readonly arguments: unknown;
  readonly signal?: AbortSignal;
}

const TOOL_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * The tools of `sophon mcp`. Each call gets its own broker tokens (skill = the MCP server's
 * skill, tool = tool name + call id), minted inside the call and revoked when it ends, so
 * no token outlives the call; failures come back as tool errors that say what to do.
 */
export class ToolRegistry {
  private readonly tools = new Map<string, AgentTool<unknown>>();
  private readonly schemas = new Map<string, Record<string, unknown>>();

  constructor(private readonly broker: Broker) {}

  register(...tools: AgentTool<never>[]): void {
    for (const tool of tools as unknown as AgentTool<unknown>[]) {
      if (!TOOL_NAME.test(tool.name)) throw new SophonError('INTERNAL', `tool name "${tool.name}" must be snake_case (a-z, 0-9, _)`);
      if (this.tools.has(tool.name)) throw new SophonError('INTERNAL', `a tool named "${tool.name}" is registered twice`);
      this.tools.set(tool.name, tool);
      const { $schema: _dialect, ...schema } = z.toJSONSchema(tool.input, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
      this.schemas.set(tool.name, schema);
    }
  }

  /** The tools offered to a skill: those its grant's `tools` list names (all when it names none). */
  async list(skill: string): Promise<ToolDescriptor[]> {
    const grant = await this.grantOf(skill);
    return [...this.tools.values()]
      .filter((tool) => offeredTo(tool, grant))
      .map((tool) => ({ name: tool.name, description: tool.description, inputSchema: this.schemas.get(tool.name) as Record<string, unknown>, ...(tool.annotations ? { annotations: tool.annotations } : {}) }));
  }

  async call(call: ToolCall): Promise<ToolResult> {
    const tool = this.tools.get(call.tool);
    if (!tool) return { isError: true, text: `UNKNOWN_TOOL: there is no tool "${call.tool}" — list the tools again; this server offers ${[...this.tools.keys()].join(', ')}` };
    const parsed = tool.input.safeParse(call.arguments ?? {});
    if (!parsed.success) return { isError: true, text: `INVALID_ARGUMENTS: ${describeIssues(parsed.error)} — fix the arguments and call ${tool.name} again` };
    const minted: string[] = [];
    const broker = this.broker;
    const toolName = `${tool.name}#${call.callId}`;
    const ctx: ToolContext = {
      skill: call.skill,
      ...(call.agent !== undefined ? { agent: call.agent } : {}),
      tool: toolName,
      broker,
      ...(call.signal ? { signal: call.signal } : {}),
      granted: () => broker.grantedConnections(call.skill),
      async mint(connections) {
        const token = await broker.mint(
          { skill: call.skill, tool: toolName, ...(connections && connections.length > 0 ? { connections } : {}), ...(call.agent !== undefined ? { agent: call.agent } : {}) },
          { actor: 'runtime', via: 'socket' },
        );
        minted.push(token.id);
        return token;
      },
    };
    let result: ToolResult | undefined;
    try {
      result = await tool.run(parsed.data, ctx);
      return result;
    } catch (error) {
      if (!isSophonError(error)) process.emitWarning(`sophon: tool ${tool.name} failed: ${(error as Error)?.stack ?? String(error)}`);
      result = toolError(isSophonError(error) ? error : new SophonError('INTERNAL', `the tool failed: ${firstLine((error as Error)?.message ?? String(error))}`), { skill: call.skill });
      return result;
    } finally {
      // One line per tool call, whether or not it reached a connection (list_connections reaches none).
      const code = result?.isError ? /^([A-Z_]+):/.exec(result.text)?.[1] : undefined;
      broker.audit({ actor: 'runtime', action: 'agent.tool', skill: call.skill, tool: toolName, outcome: result?.isError ? 'error' : 'ok', ...(code ? { reason: code } : {}), detail: { tokens: minted.length, ...(call.agent !== undefined ? { agent: call.agent } : {}) } });
      for (const id of minted) {
        try {
          broker.revoke(id, { actor: 'runtime' });
        } catch {
          // already gone (expired, or the kill switch): nothing outlives the call either way
        }
      }
    }
  }

  private async grantOf(skill: string): Promise<Grant | undefined> {
    try {
      return (await this.broker.skills.get(skill)).grant;
    } catch {
      return undefined;
    }
  }
}

function offeredTo(tool: AgentTool<unknown>, grant: Grant | undefined): boolean {
  if (grant && grant.tools !== null && !grant.tools.includes(tool.name)) return false;
  return tool.offered ? tool.offered(grant) : true;
}
