import { z } from 'zod';
import { SophonError, firstLine } from '../errors.ts';
import type { HttpFetch } from '../ports.ts';

/** What Anthropic answers (HTTP 400, invalid_request_error) when a Claude Code credential calls another API. */
export const CLAUDE_CODE_ONLY = 'This credential is only authorized for use with Claude Code and cannot be used for other API requests.';

const AnthropicError = z.looseObject({ error: z.looseObject({ type: z.string().optional(), message: z.string().optional() }) });

/** Sorts an Anthropic error answer into a one-line cause and fix. */
export function anthropicFailure(status: number, body: unknown, subscription: boolean): SophonError {
  const parsed = AnthropicError.safeParse(body);
  const message = parsed.success ? parsed.data.error.message : undefined;
  if (status === 400 && message?.includes('only authorized for use with Claude Code')) {
    return new SophonError('CREDENTIAL_RESTRICTED', `Anthropic answered: "${CLAUDE_CODE_ONLY}" — use an Anthropic API key for this (\`sophon connect add anthropic\`)`);
  }
  if (status === 401 || status === 403) {
    const fix = subscription ? 'run `claude auth login` (or `claude setup-token`) again' : 'check the key at https://console.anthropic.com/settings/keys';
    return new SophonError('NEEDS_REAUTH', `Anthropic rejected the credential (HTTP ${status}${message ? `: ${firstLine(message)}` : ''}) — ${fix}`);
  }
  return new SophonError('PROVIDER_ERROR', `Anthropic answered HTTP ${status}${message ? `: ${firstLine(message)}` : ''} — try again later, or check the model name`);
}

/**
 * One-token Messages call: the cheapest proof that a credential may call the API. OAuth
 * tokens carry `anthropic-beta: oauth-2025-04-20` (in the service's headers).
 */
export async function probeMessages(input: { fetch: HttpFetch; baseUrl: string; headers: Record<string, string>; model: string; subscription: boolean }): Promise<{ status: number; model: string }> {
  let response: Response;
  try {
    response = await input.fetch(`${input.baseUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'SophonDesktop/0.1', ...input.headers },
      body: JSON.stringify({ model: input.model, max_tokens: 1, messages: [{ role: 'user', content: 'ping' }] }),
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    throw new SophonError('NETWORK_ERROR', `could not reach ${new URL(input.baseUrl).host} (${firstLine(cause)}) — check the network or the base URL in appsettings.json`, { cause: error });
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (response.status !== 200) throw anthropicFailure(response.status, body, input.subscription);
  const model = body !== null && typeof body === 'object' && typeof (body as Record<string, unknown>)['model'] === 'string' ? String((body as Record<string, unknown>)['model']) : input.model;
  return { status: response.status, model };
}
