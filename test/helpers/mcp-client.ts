import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { BIN } from './run-cli.ts';

export interface McpSession {
  readonly client: Client;
  /** Every JSON-RPC message the client received after the handshake, as sent. */
  readonly received: string[];
  stderr(): string;
  /** Calls a tool; the text of its first content block, and whether it is an error. */
  call(name: string, args?: Record<string, unknown>): Promise<{ text: string; isError: boolean }>;
  close(): Promise<void>;
}

/**
 * The official MCP SDK client starting `sophon mcp …` over stdio, the way an MCP client
 * configured with `"command": "sophon", "args": ["mcp", …]` does: with the SDK's default
 * environment (HOME, PATH, …) plus `env`, never a passphrase.
 */
export async function mcpSession(args: readonly string[], env: Record<string, string>): Promise<McpSession> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', ...args], env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const client = new Client({ name: 'sophon-test-agent', version: '1.0.0' });
  await client.connect(transport);
  const received: string[] = [];
  const deliver = transport.onmessage;
  transport.onmessage = (message) => {
    received.push(JSON.stringify(message));
    deliver?.(message);
  };
  return {
    client,
    received,
    stderr: () => stderr,
    async call(name, callArgs = {}) {
      const result = (await client.callTool({ name, arguments: callArgs })) as CallToolResult;
      const first = result.content[0];
      return { text: first?.type === 'text' ? first.text : JSON.stringify(result.content), isError: result.isError === true };
    },
    close: () => client.close(),
  };
}
