import type { ServerResponse } from 'node:http';
import { startUpstream, type RecordedRequest } from './http-upstream.ts';

export type DevicePoll = 'authorization_pending' | 'slow_down' | 'access_denied' | 'expired_token' | 'approve';

export interface GithubStandinOptions {
  /** What each poll of the token endpoint answers, in order; the last one repeats. */
  readonly polls?: DevicePoll[];
  /** GitHub tokens that are valid, and whether each has a Copilot seat. */
  readonly tokens?: Record<string, { login: string; seat: boolean }>;
  /** The token the device flow issues. */
  readonly issued?: string;
  /** Milliseconds since the epoch, for expires_at (tests inject a clock). */
  readonly now?: () => number;
  readonly copilotLifetimeS?: number;
  readonly refreshInS?: number;
  /** The polling interval the device flow asks for, in seconds (GitHub says 5). */
  readonly interval?: number;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}

/**
 * GitHub as protocols.md describes it: the device flow (errors as HTTP 200 with an
 * `error` field, form-encoded unless asked for JSON), GET /user, and the Copilot token
 * exchange. Paths work at the root (github.com) and under /api/v3 (Enterprise).
 */
export async function startGithubStandin(options: GithubStandinOptions = {}) {
  const polls = [...(options.polls ?? ['approve'])];
  const issued = options.issued ?? 'gho_CANARYdeviceflow0123456789';
  const tokens: Record<string, { login: string; seat: boolean }> = { [issued]: { login: 'octocat', seat: true }, ...(options.tokens ?? {}) };
  const now = options.now ?? (() => Date.now());
  const state = { pollTimes: [] as number[], exchangeTimes: [] as number[], issuedCopilot: [] as Array<{ token: string; expiresAt: number }>, deviceRequests: [] as RecordedRequest[] };
  let deviceCount = 0;
  const upstream = await startUpstream((req, res) => {
    const url = new URL(req.url, 'http://standin');
    const path = url.pathname.replace(/^\/api\/v3(?=\/)/, '');
    const wantsJson = (req.headers.accept ?? '').includes('application/json');
    if (req.method === 'POST' && url.pathname === '/login/device/code') {
      state.deviceRequests.push(req);
      const form = new URLSearchParams(req.body);
      if (!form.get('client_id')) return json(res, 200, { error: 'incorrect_client_credentials' });
      deviceCount++;
      const body = { device_code: `device-${deviceCount}`, user_code: 'WDJB-MJHT', verification_uri: 'https://github.com/login/device', expires_in: 900, interval: options.interval ?? 5 };
      if (!wantsJson) return void res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' }).end(new URLSearchParams(Object.entries(body).map(([k, v]): [string, string] => [k, String(v)])).toString());
      return json(res, 200, body);
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      const form = new URLSearchParams(req.body);
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:device_code') return json(res, 200, { error: 'unsupported_grant_type' });
      if (!form.get('device_code')?.startsWith('device-')) return json(res, 200, { error: 'incorrect_device_code' });
      state.pollTimes.push(now());
      const step = polls.length > 1 ? polls.shift()! : polls[0]!;
      if (step === 'approve') return json(res, 200, { access_token: issued, token_type: 'bearer', scope: form.get('scope') ?? 'read:user' });
      // GitHub's quirk: errors come back as HTTP 200.
      return json(res, 200, { error: step, error_description: `${step} (stand-in)`, error_uri: 'https://docs.github.com' });
    }
    if (req.method === 'GET' && path === '/user') {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const known = token ? tokens[token] : undefined;
      if (!known) return json(res, 401, { message: 'Bad credentials' });
      return json(res, 200, { login: known.login, id: 1 }, { 'x-oauth-scopes': 'read:user' });
    }
    if (req.method === 'GET' && path === '/copilot_internal/v2/token') {
      const token = /^token (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const known = token ? tokens[token] : undefined;
      if (!known) return json(res, 401, { message: 'Bad credentials' });
      if (!known.seat) return json(res, 404, { message: 'Not Found' });
      state.exchangeTimes.push(now());
      const expiresAt = Math.floor(now() / 1000) + (options.copilotLifetimeS ?? 1800);
      const copilot = `tid=CANARYcopilot${state.exchangeTimes.length};exp=${expiresAt};sku=copilot_for_individual_user`;
      state.issuedCopilot.push({ token: copilot, expiresAt: expiresAt * 1000 });
      return json(res, 200, {
        token: copilot,
        expires_at: expiresAt,
        refresh_in: options.refreshInS ?? 1500,
        endpoints: { api: 'https://api.individual.githubcopilot.com', proxy: 'https://proxy.individual.githubcopilot.com' },
        sku: 'copilot_for_individual_user',
        chat_enabled: true,
      });
    }
    json(res, 404, { message: 'Not Found' });
  });
  return {
    ...upstream,
    state,
    issued,
    /** From the next poll on, answer these instead (say, `approve` once the test has looked at the code). */
    setPolls(next: DevicePoll[]): void {
      polls.splice(0, polls.length, ...next);
    },
  };
}
