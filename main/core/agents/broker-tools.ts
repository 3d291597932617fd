import { z } from 'zod';
import type { Broker, GrantedConnection } from '../broker/broker.ts';
import { HTTP_METHODS } from '../broker/skill-manifest.ts';
import { resolveBaseUrl } from '../catalog/catalog.ts';
import { SophonError } from '../errors.ts';
import { refName, resolveRef, type RefTarget } from './connection-ref.ts';
import { ProxyClient, type BrokerRequest, type BrokerResponse } from './proxy-client.ts';
import { toolError } from './tool-errors.ts';
import type { AgentTool, ToolContext, ToolResult } from './tool-registry.ts';

const DEFAULT_MAX_BYTES = 32 * 1024;
// A tool answer crosses the local socket as one line (at most 1 MiB): the cap leaves room for JSON escaping.
const MAX_BYTES = 128 * 1024;
const WHOAMI_MAX_BYTES = 8 * 1024;
/** Response headers that tell a model nothing about the answer. */
const NOISE = new Set(['date', 'server', 'connection', 'keep-alive', 'vary', 'via', 'alt-svc', 'strict-transport-security', 'content-security-policy', 'x-sophon-refusal', 'x-content-type-options', 'x-frame-options', 'x-xss-protection', 'referrer-policy', 'permissions-policy', 'report-to', 'nel']);

const ConnectionArg = z
  .string()
  .min(1)
  .max(200)
  .describe('Which connection: its name from list_connections ("github:work"), or just the service ("github") when the skill has one connection of it. A model provider ("anthropic", "openai-codex") picks the user\'s preferred sign-in for it.');

const QueryScalar = z.union([z.string(), z.number(), z.boolean()]);

export const HttpRequestInput = z
  .object({
    connection: ConnectionArg,
    method: z.enum(HTTP_METHODS).default('GET').describe('HTTP method (default GET).'),
    path: z.string().min(1).max(4096).describe('Path relative to the connection\'s API base (apiBase in list_connections), starting with "/", e.g. "/user/repos" for GitHub. May include a query string.'),
    query: z.record(z.string(), z.union([QueryScalar, z.array(QueryScalar)])).optional().describe('Query parameters to add, e.g. {"per_page": 20, "state": "open"}.'),
    headers: z.record(z.string(), z.string().max(8192)).optional().describe('Extra request headers (Accept, Content-Type, an API version). Authorization, cookies and API keys are not needed and are ignored: Sophon adds the credential.'),
    body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional().describe('Request body: a JSON object or array (sent as application/json), or a string sent as it is (set its Content-Type in headers).'),
    max_bytes: z.number().int().min(256).max(MAX_BYTES).optional().describe(`How much of the response body to return, in bytes (default ${DEFAULT_MAX_BYTES}, at most ${MAX_BYTES}). Prefer narrower requests (pagination, fields) to a larger cap.`),
  })
  .strict();
export type HttpRequestInput = z.infer<typeof HttpRequestInput>;

export const WhoamiInput = z
  .object({
    connection: ConnectionArg.optional().describe('Which connection to check (its name from list_connections); may be left out when the skill has only one.'),
  })
  .strict();

export const ListConnectionsInput = z
  .object({
    service: z.string().max(64).optional().describe('Only the connections of this service (e.g. "gmail").'),
  })
  .strict();

/** The tools every skill gets: its connections, a request through the broker, and each service's identity call. */
export function brokerTools(broker: Broker): AgentTool<never>[] {
  const client = new ProxyClient();
  broker.core.onDispose(() => client.dispose());
  const send = async (ctx: ToolContext, target: RefTarget, req: Omit<BrokerRequest, 'connection'>, maxBytes: number): Promise<BrokerResponse> => {
    const proxyUrl = broker.proxyUrl;
    if (!proxyUrl) throw new SophonError('BROKER_NOT_RUNNING', 'the broker proxy is not running in this Sophon (Sophon.Broker.Enabled is false, or it failed to start)');
    const ids = target.kind === 'connection' ? [target.connection.connectionId] : target.connections.map((c) => c.connectionId);
    const minted = await ctx.mint(ids);
    const segment = target.kind === 'connection' ? target.connection.connectionId : target.provider;
    return client.send(proxyUrl, minted.token, { ...req, connection: segment }, maxBytes, ctx.signal);
  };

  const listConnections: AgentTool<z.infer<typeof ListConnectionsInput>> = {
    name: 'list_connections',
    description:
      'List the accounts this agent may use through Sophon: for each connection, the name to pass as `connection` to http_request and whoami, the service, the account, whether it works right now (state), the API base URL request paths are relative to, the methods and paths the user allowed, and the service\'s API docs. Sophon holds the credentials and adds them to each request; they are never shown. Call this first.',
    input: ListConnectionsInput,
    annotations: { title: 'List connections', readOnlyHint: true, openWorldHint: false },
    async run(input, ctx) {
      const granted = (await ctx.granted()).filter((c) => input.service === undefined || c.service === input.service);
      const connections = [];
      for (const c of granted) connections.push(await describe(broker, c));
      const providers = [...new Set(granted.flatMap((c) => (c.provider ? [c.provider] : [])))];
      return {
        text: JSON.stringify(
          {
            skill: ctx.skill,
            ...(ctx.agent ? { agent: ctx.agent } : {}),
            connections,
            ...(providers.length > 0 ? { modelProviders: providers.map((p) => ({ connection: p, picks: 'the first usable of this provider\'s connections in the user\'s auth order' })) } : {}),
            ...(connections.length === 0 ? { note: 'No connection this skill may use exists yet: ask the user to connect one in Sophon.' } : {}),
          },
          null,
          2,
        ),
      };
    },
  };

  const httpRequest: AgentTool<HttpRequestInput> = {
    name: 'http_request',
    description:
      'Send an HTTP request to one of the user\'s connected services (see list_connections) through Sophon\'s credential broker, which adds the user\'s credential and removes it from the answer. Never put keys or tokens in the request: you do not have them and need none. `path` is relative to the connection\'s API base. Returns the status line, the response headers and the body as text; a long body is cut at max_bytes with a note saying so. A refusal says what to do (for example: ask the user to reconnect an account, or that the skill is not allowed that path).',
    input: HttpRequestInput,
    annotations: { title: 'HTTP request through Sophon', readOnlyHint: false, destructiveHint: true, openWorldHint: true },
    async run(input, ctx) {
      const target = resolveRef(await ctx.granted(), input.connection, ctx.skill);
      const headers: Record<string, string> = { ...(input.headers ?? {}) };
      let body: string | undefined;
      if (typeof input.body === 'string') body = input.body;
      else if (input.body !== undefined) {
        body = JSON.stringify(input.body);
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      }
      const maxBytes = input.max_bytes ?? DEFAULT_MAX_BYTES;
      const response = await send(ctx, target, { method: input.method, path: input.path, ...(input.query ? { query: input.query } : {}), headers, ...(body !== undefined ? { body } : {}) }, maxBytes);
      if (response.refusal) return refusalResult(broker, response.refusal, ctx.skill, target);
      return { text: formatResponse(response, maxBytes, true) };
    },
  };

  const whoami: AgentTool<z.infer<typeof WhoamiInput>> = {
    name: 'whoami',
    description:
      'Check which account a connection signs in as, and that it works right now, by making the service\'s own identity call through Sophon (for GitHub GET /user, for OpenRouter GET /key). Use it to confirm the right account before a task, or after an error to see whether the connection still works.',
    input: WhoamiInput,
    annotations: { title: 'Who am I on this connection', readOnlyHint: true, openWorldHint: true },
    async run(input, ctx) {
      let target = resolveRef(await ctx.granted(), input.connection, ctx.skill);
      if (target.kind === 'provider') target = await chooseProfile(broker, ctx, target);
      const c = target.connection;
      const service = broker.core.catalog.require(c.service);
      if (!service.test) return { text: `${refName(c)} (${service.name}) declares no identity call, so there is nothing to check without spending anything; use http_request against its API (${service.docsUrl ?? 'see its docs'}).` };
      const test = service.test;
      const response = await send(ctx, target, { method: test.method, path: test.path, headers: test.headers, ...(test.body !== undefined ? { body: test.body } : {}) }, WHOAMI_MAX_BYTES);
      if (response.refusal) return refusalResult(broker, response.refusal, ctx.skill, target);
      const ok = test.expect.status.includes(response.status);
      const verdict = ok
        ? `${service.name} accepted the credential`
        : response.status === 401 || response.status === 403
          ? `${service.name} rejected the credential — ask the user to check or reconnect ${c.label} ${service.name} in Sophon`
          : `${service.name} answered unexpectedly`;
      const account = c.account ? `, account ${c.account}` : '';
      return { text: `${refName(c)} (${service.name}${account}) — ${test.method} ${test.path} → HTTP ${response.status}: ${verdict}.\n\n${formatResponse(response, WHOAMI_MAX_BYTES, false)}`, ...(ok ? {} : { isError: true }) };
    },
  };

  return [listConnections, httpRequest, whoami] as unknown as AgentTool<never>[];
}

/** One connection for list_connections: names, state, where its API is and what is allowed — never a secret. */
async function describe(broker: Broker, c: GrantedConnection): Promise<Record<string, unknown>> {
  const service = broker.core.catalog.get(c.service);
  const connection = await broker.core.connections.get(c.connectionId);
  let apiBase: string | undefined;
  try {
    apiBase = service && connection ? resolveBaseUrl(service, connection.params) : undefined;
  } catch {
    apiBase = undefined;
  }
  const extra = service?.api.additionalBaseUrls ?? [];
  // A mailbox is not reached over HTTP: its tools are mail_search, mail_read and mail_send.
  if (connection?.authMethod === 'smtp_imap') apiBase = undefined;
  return {
    connection: refName(c),
    id: c.connectionId,
    service: c.service,
    serviceName: service?.name ?? c.service,
    label: c.label,
    ...(c.account ? { account: c.account } : {}),
    state: c.state,
    ...(c.state === 'needs_reauth' ? { action: `ask the user to reconnect ${c.label} ${service?.name ?? c.service} in Sophon before using it` } : {}),
    ...(c.state === 'error' && c.stateReason ? { problem: c.stateReason } : {}),
    ...(connection?.authMethod === 'smtp_imap' ? { mailbox: true, use: 'mail_search, mail_read, mail_send (not http_request or whoami)' } : {}),
    ...(apiBase ? { apiBase } : {}),
    ...(extra.length > 0 ? { otherApiBases: extra.map((url) => ({ url, pathPrefix: `/~${new URL(url).host}` })) } : {}),
    allowed: { methods: c.methods ? [...c.methods].sort() : 'any', paths: c.paths.includes('/') ? 'any' : c.paths },
    whoami: service?.test ? `${service.test.method} ${service.test.path}` : null,
    ...(service?.docsUrl ? { docs: service.docsUrl } : {}),
    ...(c.provider ? { profile: `${c.provider}:${c.label}`, billing: c.billing } : {}),
  };
}

/** whoami on a provider: the profile a request would use now. */
async function chooseProfile(broker: Broker, ctx: ToolContext, target: Extract<RefTarget, { kind: 'provider' }>): Promise<Extract<RefTarget, { kind: 'connection' }>> {
  const minted = await ctx.mint(target.connections.map((c) => c.connectionId));
  const found = broker.tokens.lookup(minted.token);
  if (found.state !== 'valid') throw new SophonError('BROKER_TOKEN_INVALID', 'the token for this call was revoked meanwhile');
  const choice = await broker.profiles.choose(found.record, target.provider, { actor: 'skill', skill: ctx.skill, tool: ctx.tool });
  const connection = target.connections.find((c) => c.connectionId === choice.connection.connectionId) as GrantedConnection;
  return { kind: 'connection', connection };
}

function refusalResult(broker: Broker, refusal: NonNullable<BrokerResponse['refusal']>, skill: string, target: RefTarget): ToolResult {
  const named = refusal.connection && refusal.service && refusal.label ? { id: refusal.connection, service: refusal.service, label: refusal.label } : target.kind === 'connection' ? { id: target.connection.connectionId, service: target.connection.service, label: target.connection.label } : undefined;
  const serviceName = named ? broker.core.catalog.get(named.service)?.name : undefined;
  return toolError(refusal, { skill, ...(named ? { connection: named } : {}), ...(serviceName ? { serviceName } : {}) });
}

/** The answer as a model reads it: status line, headers, body, and a note when the body was cut or is binary. */
export function formatResponse(response: BrokerResponse, maxBytes: number, withHeaders: boolean): string {
  const lines = [`HTTP ${response.status}`];
  if (withHeaders) for (const [name, value] of Object.entries(response.headers)) if (!NOISE.has(name)) lines.push(`${name}: ${value}`);
  lines.push('');
  if (response.text === undefined) {
    const size = response.totalBytes !== undefined ? `${response.totalBytes} bytes` : 'size unknown';
    lines.push(`[Sophon: the body is binary (${response.contentType ?? 'no content type'}, ${size}) and is not shown.]`);
  } else {
    lines.push(response.text);
    if (response.truncated) {
      const of = response.totalBytes !== undefined ? ` of ${response.totalBytes}` : '';
      lines.push('', `[Sophon: the body was cut after ${response.bytesRead}${of} bytes. Ask for less (pagination, fields, a narrower path)${maxBytes < MAX_BYTES ? ` or pass max_bytes (up to ${MAX_BYTES})` : ''}.]`);
    }
  }
  return lines.join('\n');
}
