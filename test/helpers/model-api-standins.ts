import type { ServerResponse } from 'node:http';
import { startUpstream, type RecordedRequest } from './http-upstream.ts';

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req_${Date.now()}` }).end(JSON.stringify(body));
}

/**
 * The OpenAI API's Chat Completions, from its API reference
 * (platform.openai.com/docs/api-reference/chat): `POST /v1/chat/completions` with
 * `Authorization: Bearer <key>`; a wrong key is 401 `invalid_api_key` in OpenAI's error shape.
 */
export async function startOpenAIApi(key: string) {
  return startUpstream((req: RecordedRequest, res) => {
    if (req.headers.authorization !== `Bearer ${key}`) {
      return json(res, 401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return json(res, 404, { error: { message: `Unknown request URL: ${req.method} ${req.url}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } });
    const body = JSON.parse(req.body) as { model: string; messages: Array<{ content: string }> };
    json(res, 200, {
      id: 'chatcmpl-standin1',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: `openai says hello to "${body.messages.at(-1)?.content}"`, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 },
    });
  });
}

/**
 * The Anthropic Messages API, from its reference (docs.anthropic.com/en/api/messages):
 * `POST /v1/messages` with `anthropic-version: 2023-06-01` and either an API key in
 * `x-api-key`, or a Claude subscription's OAuth token as `Authorization: Bearer` with the
 * `oauth-2025-04-20` beta (protocols.md). Errors come as `{type: "error", error: {type, message}}`.
 */
export async function startAnthropicApi(keys: { apiKey: string; oauthToken: string }) {
  const used: Array<'api-key' | 'oauth'> = [];
  const server = await startUpstream((req: RecordedRequest, res) => {
    const beta = String(req.headers['anthropic-beta'] ?? '').split(',').map((s) => s.trim());
    const viaKey = req.headers['x-api-key'] === keys.apiKey && req.headers.authorization === undefined;
    const viaOauth = req.headers.authorization === `Bearer ${keys.oauthToken}` && beta.includes('oauth-2025-04-20') && req.headers['x-api-key'] === undefined;
    if (!viaKey && !viaOauth) return json(res, 401, { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });
    if (req.headers['anthropic-version'] !== '2023-06-01') return json(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' } });
    if (req.method !== 'POST' || req.url !== '/v1/messages') return json(res, 404, { type: 'error', error: { type: 'not_found_error', message: 'Not found' } });
    used.push(viaKey ? 'api-key' : 'oauth');
    const body = JSON.parse(req.body) as { model: string; messages: Array<{ content: string }> };
    json(res, 200, {
      id: 'msg_standin01',
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: [{ type: 'text', text: `claude (${viaKey ? 'api key' : 'subscription'}) says hello to "${body.messages.at(-1)?.content}"` }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 8 },
    });
  });
  return { ...server, used };
}
