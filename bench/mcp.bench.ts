// Issue 12: what an MCP tool call adds over a direct proxied call. One call at a time (a
// model waits for each tool result), all on loopback, each party its own process: the
// benchmark upstream, `sophon serve` (owner and broker proxy), and `sophon mcp` started by
// the official MCP SDK client over stdio, the way Claude Code or Codex starts it.
//   direct         GET through the proxy with a token minted once (what a skill holding a token does)
//   direct+token   the same with a token of its own per call: mint and revoke over /broker (what "a token per tool call" costs by hand)
//   mcp            tools/call http_request: stdio → sophon mcp → socket → owner (mint, loopback call through the proxy, revoke, audit) and back
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { KEY, Processes, ROOT, SOPHON, TSX_RUN, benchHome, waitFor } from './processes.ts';

const CALLS = Number(process.env['BENCH_CALLS'] ?? 400);
const WARMUP = Number(process.env['BENCH_WARMUP_CALLS'] ?? 50);

interface Figures {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
}

function figures(samples: number[]): Figures {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

/**
 * Runs the kinds of call in turn, one of each per round, so a load spike from elsewhere on
 * the machine falls on all of them alike rather than on whichever ran during it.
 */
async function interleaved(rounds: number, warmup: number, kinds: Record<string, () => Promise<void>>): Promise<Record<string, Figures>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  for (let round = -warmup; round < rounds; round++) {
    for (const [name, once] of Object.entries(kinds)) {
      const started = performance.now();
      await once();
      if (round >= 0) samples[name]!.push(performance.now() - started);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, figures(v)]));
}

export async function run(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'sophon-bench-mcp-'));
  const processes = new Processes();
  const agent = new Agent({ connections: 4, keepAliveTimeout: 30_000 });
  let client: Client | undefined;
  try {
    const upstream = processes.start(process.execPath, [TSX_RUN, join(ROOT, 'bench', 'proxy', 'upstream.ts')], { BENCH_KEY: KEY });
    const upstreamPort = Number((await waitFor(upstream, 'stdout', /(\d+)\n/, 'upstream'))[1]);
    const env = await benchHome(home, upstreamPort, KEY, { Port: 0, MaxTtlSeconds: 3600 });
    const serve = processes.start(process.execPath, [SOPHON, 'serve'], env);
    const proxyUrl = (await waitFor(serve, 'stderr', /broker proxy on (http:\/\/127\.0\.0\.1:\d+)\/proxy/, 'sophon serve'))[1]!;
    const runtimeKey = (await readFile(join(env.SOPHON_HOME, 'run', 'runtime.key'), 'utf8')).trim();
    const control = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
      const response = await request(`${proxyUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${runtimeKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body), dispatcher: agent });
      return (await response.body.json()) as Record<string, unknown>;
    };
    const get = async (token: string): Promise<void> => {
      const response = await request(`${proxyUrl}/proxy/bench/items`, { headers: { authorization: `Bearer ${token}` }, dispatcher: agent });
      const text = await response.body.text();
      if (response.statusCode !== 200 || text.includes(KEY)) throw new Error(`the proxy answered ${response.statusCode}: ${text}`);
    };

    const held = (await control('/broker/mint', { skill: 'bench', tool: 'load', ttlSeconds: 3600 }))['token'] as string;
    let n = 0;
    // An MCP client passes no passphrase: only where Sophon lives.
    const transport = new StdioClientTransport({ command: process.execPath, args: [SOPHON, 'mcp', '--skill', 'bench'], env: { SOPHON_HOME: env.SOPHON_HOME, HOME: env.HOME }, stderr: 'ignore' });
    client = new Client({ name: 'sophon-bench', version: '1.0.0' });
    await client.connect(transport);
    const mcpClient = client;
    const results = await interleaved(CALLS, WARMUP, {
      direct: () => get(held),
      perCall: async () => {
        const minted = await control('/broker/mint', { skill: 'bench', tool: `load#${n++}`, connection: 'bench' });
        await get(minted['token'] as string);
        await control('/broker/revoke', { id: minted['id'] });
      },
      mcp: async () => {
        const result = (await mcpClient.callTool({ name: 'http_request', arguments: { connection: 'bench', path: '/items' } })) as CallToolResult;
        const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
        if (result.isError || !text.startsWith('HTTP 200') || text.includes(KEY)) throw new Error(`the tool answered: ${text}`);
      },
      listed: async () => {
        await mcpClient.callTool({ name: 'list_connections', arguments: {} });
      },
    });
    const direct = results['direct']!;
    const perCall = results['perCall']!;
    const mcp = results['mcp']!;
    const listed = results['listed']!;

    const ms = (v: number) => `${v.toFixed(2).padStart(6)} ms`;
    const row = (name: string, f: Figures) => console.log(`  ${name.padEnd(17)} p50 ${ms(f.p50)}   p90 ${ms(f.p90)}   p99 ${ms(f.p99)}   mean ${ms(f.mean)}`);
    console.log(`${(await import('node:os')).cpus().length} cores; ${CALLS} rounds of one call of each kind, one at a time, after ${WARMUP} warm-up rounds; small JSON upstream; every party its own process`);
    row('direct', direct);
    row('direct+token', perCall);
    row('mcp http_request', mcp);
    row('mcp list_conn.', listed);
    console.log(`\nMCP tool call added over a direct proxied call: p50 ${(mcp.p50 - direct.p50).toFixed(2)} ms, p99 ${(mcp.p99 - direct.p99).toFixed(2)} ms`);
    console.log(`  of which a token of its own (mint + revoke, audited): p50 ${(perCall.p50 - direct.p50).toFixed(2)} ms by hand over HTTP; the rest is stdio, the socket hop and the tool`);
  } finally {
    await client?.close().catch(() => undefined);
    await agent.close();
    await processes.stopAll();
    await rm(home, { recursive: true, force: true });
  }
}
