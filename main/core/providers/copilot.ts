import { createHash } from 'node:crypto';
import { z } from 'zod';
import { checkBaseUrl } from '../catalog/catalog.ts';
import { SophonError, firstLine } from '../errors.ts';
import type { Clock, HttpFetch } from '../ports.ts';
import { DueTimer } from '../lifecycle/due-timer.ts';

/** GET /copilot_internal/v2/token (unofficial; protocols.md, "GitHub and Copilot"). */
export const CopilotTokenResponse = z.looseObject({
  token: z.string().min(1),
  /** Unix seconds. */
  expires_at: z.number(),
  /** Seconds from now until GitHub wants it renewed. */
  refresh_in: z.number().optional(),
  endpoints: z.looseObject({ api: z.string().optional() }).optional(),
  sku: z.string().optional(),
  chat_enabled: z.boolean().optional(),
});

export interface CopilotToken {
  readonly token: string;
  readonly expiresAt: number;
  /** When to exchange again: GitHub's refresh_in, and always before expiry. */
  readonly refreshAt: number;
  readonly fetchedAt: number;
  /** endpoints.api: the Copilot base URL of this account's plan. */
  readonly apiBase?: string;
  readonly sku?: string;
  readonly chatEnabled?: boolean;
}

const USER_AGENT = 'SophonDesktop/0.1';

function networkError(what: string, error: unknown): SophonError {
  const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
  return new SophonError('NETWORK_ERROR', `could not reach GitHub for ${what} (${firstLine(cause)}) — check the network, or Sophon.Services.github-copilot.host in appsettings.json`, { cause: error });
}

/** Exchanges a GitHub token for the short-lived Copilot token (`Authorization: token …`). */
export async function exchangeCopilotToken(fetch: HttpFetch, githubApi: string, githubToken: string, now: number): Promise<CopilotToken> {
  let response: Response;
  try {
    response = await fetch(`${githubApi}/copilot_internal/v2/token`, {
      headers: { authorization: `token ${githubToken}`, accept: 'application/json', 'user-agent': USER_AGENT },
      redirect: 'manual',
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw networkError('the Copilot token', error);
  }
  if (response.status === 401 || response.status === 403 || response.status === 404) {
    await response.body?.cancel();
    throw new SophonError(
      'NO_COPILOT_SEAT',
      `this GitHub account has no Copilot seat (GitHub answered HTTP ${response.status} to the Copilot token request; a revoked token answers the same) — check https://github.com/settings/copilot, or sign in with the account that has Copilot`,
    );
  }
  if (response.status >= 500) {
    await response.body?.cancel();
    throw new SophonError('NETWORK_ERROR', `GitHub answered HTTP ${response.status} to the Copilot token request — it will be tried again; check https://www.githubstatus.com`);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new SophonError('PROVIDER_ERROR', `GitHub answered HTTP ${response.status} to the Copilot token request — try again later`);
  }
  const parsed = CopilotTokenResponse.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) throw new SophonError('PROVIDER_ERROR', 'GitHub\'s Copilot token answer had an unexpected shape — the unofficial endpoint may have changed; try again later');
  const body = parsed.data;
  const expiresAt = body.expires_at * 1000;
  const lifetime = expiresAt - now;
  const wanted = body.refresh_in !== undefined ? now + body.refresh_in * 1000 : expiresAt - 5 * 60_000;
  // Always before expiry, and never back to back for a very short-lived token.
  const refreshAt = Math.max(now + Math.min(30_000, lifetime / 2), Math.min(wanted, expiresAt - Math.min(60_000, lifetime / 2)));
  const api = body.endpoints?.api?.replace(/\/+$/, '');
  return {
    token: body.token,
    expiresAt,
    refreshAt,
    fetchedAt: now,
    ...(api && checkBaseUrl(api) === undefined ? { apiBase: api } : {}),
    ...(body.sku ? { sku: body.sku } : {}),
    ...(body.chat_enabled !== undefined ? { chatEnabled: body.chat_enabled } : {}),
  };
}

const GithubUser = z.looseObject({ login: z.string().min(1) });

/** Checks a pasted GitHub token with GET /user before it is stored. */
export async function validateGithubToken(fetch: HttpFetch, githubApi: string, token: string): Promise<{ login: string; scopes?: string }> {
  let response: Response;
  try {
    response = await fetch(`${githubApi}/user`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json', 'user-agent': USER_AGENT },
      redirect: 'manual',
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw networkError('checking the token', error);
  }
  if (response.status === 401) {
    await response.body?.cancel();
    throw new SophonError('INVALID_INPUT', 'GitHub rejected this token (HTTP 401) — nothing was stored; check it was copied whole and is not expired or revoked (https://github.com/settings/tokens)');
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new SophonError('PROVIDER_ERROR', `GitHub answered HTTP ${response.status} when checking the token — nothing was stored; try again, or check the token's SSO authorization`);
  }
  const parsed = GithubUser.safeParse(await response.json().catch(() => undefined));
  if (!parsed.success) throw new SophonError('PROVIDER_ERROR', 'GitHub\'s /user answer had no login — nothing was stored; check Sophon.Services.github-copilot.host');
  const scopes = response.headers.get('x-oauth-scopes');
  return { login: parsed.data.login, ...(scopes !== null ? { scopes } : {}) };
}

export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

interface Entry {
  token?: CopilotToken;
  /** Which GitHub token the Copilot token came from (a hash, never the token). */
  fingerprint?: string;
  /** `renewal`: called by the timer (the host reads it), not for a caller. */
  githubToken: (renewal: boolean) => Promise<string>;
  pending?: Promise<CopilotToken>;
  failures: number;
  retryAt?: number;
}

export interface CopilotTokensOptions {
  readonly clock: Clock;
  readonly fetch: HttpFetch;
  readonly githubApi: () => string;
  /** Renew ahead of expiry with a timer (owners); false for one-shot CLI use. */
  readonly background: boolean;
  readonly retryMs?: number;
  /** After a background renewal (the broker drops what it cached). */
  readonly onRenewed?: (id: string, token: CopilotToken) => void;
  /** A renewal that cannot succeed without the person (no seat, GitHub token gone). */
  readonly onFailed?: (id: string, error: SophonError) => void;
}

const PERMANENT = new Set(['NO_COPILOT_SEAT', 'NEEDS_REAUTH', 'CLI_CREDENTIALS', 'CONNECTION_NOT_FOUND']);

/**
 * Copilot tokens of the few Copilot profiles: exchanged on first use, kept in memory
 * only, and exchanged again before they expire by one timer for them all.
 */
export class CopilotTokens {
  private readonly entries = new Map<string, Entry>();
  private readonly timer: DueTimer;
  private disposed = false;
  private readonly retryMs: number;
  /** Exchanges sent, for tests. */
  exchanges = 0;

  constructor(private readonly options: CopilotTokensOptions) {
    this.retryMs = options.retryMs ?? 30_000;
    this.timer = new DueTimer(options.clock, () => this.fire());
  }

  /** A Copilot token valid now; exchanges when there is none, it is due, the GitHub token changed, or `fresh` (a test: ask GitHub now). */
  async get(id: string, githubToken: (renewal: boolean) => Promise<string>, fresh = false): Promise<CopilotToken> {
    const entry = this.entries.get(id) ?? { githubToken, failures: 0 };
    entry.githubToken = githubToken;
    this.entries.set(id, entry);
    const gh = await githubToken(false);
    const fingerprint = tokenFingerprint(gh);
    const now = this.options.clock.now();
    if (!fresh && entry.token && entry.fingerprint === fingerprint && now < entry.token.refreshAt) return entry.token;
    return this.exchange(id, entry, gh);
  }

  /** A token just obtained elsewhere (a pasted token's check), so it is not exchanged twice. */
  seed(id: string, githubToken: (renewal: boolean) => Promise<string>, gh: string, token: CopilotToken): void {
    this.entries.set(id, { githubToken, token, fingerprint: tokenFingerprint(gh), failures: 0 });
    this.arm();
  }

  /** What is known about the current token, without it. */
  describe(id: string): Omit<CopilotToken, 'token'> | undefined {
    const token = this.entries.get(id)?.token;
    if (!token) return undefined;
    const { token: _secret, ...facts } = token;
    return facts;
  }

  forget(id: string): void {
    this.entries.delete(id);
    this.arm();
  }

  get timerArmed(): boolean {
    return this.timer.armed;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.timer.clear();
    await Promise.allSettled([...this.entries.values()].map((e) => e.pending).filter(Boolean));
    this.entries.clear();
  }

  private exchange(id: string, entry: Entry, gh?: string, background = false): Promise<CopilotToken> {
    entry.pending ??= (async () => {
      try {
        const github = gh ?? (await entry.githubToken(true));
        this.exchanges++;
        const token = await exchangeCopilotToken(this.options.fetch, this.options.githubApi(), github, this.options.clock.now());
        entry.token = token;
        entry.fingerprint = tokenFingerprint(github);
        entry.failures = 0;
        delete entry.retryAt;
        if (background) this.options.onRenewed?.(id, token);
        return token;
      } catch (error) {
        const failure = error instanceof SophonError ? error : new SophonError('NETWORK_ERROR', `the Copilot token exchange failed (${firstLine(String(error))}) — it will be tried again`, { cause: error });
        if (PERMANENT.has(failure.code)) {
          if (this.entries.get(id) === entry) this.entries.delete(id);
          this.options.onFailed?.(id, failure);
        } else {
          entry.failures++;
          entry.retryAt = this.options.clock.now() + Math.min(this.retryMs * 2 ** (entry.failures - 1), 10 * 60_000);
        }
        throw failure;
      }
    })().finally(() => {
      delete entry.pending;
      this.arm();
    });
    return entry.pending;
  }

  private arm(): void {
    if (!this.options.background || this.disposed) return;
    let next = Infinity;
    for (const entry of this.entries.values()) {
      const due = entry.retryAt ?? entry.token?.refreshAt;
      if (due !== undefined && !entry.pending) next = Math.min(next, due);
    }
    if (next === Infinity) this.timer.clear();
    else this.timer.armFor(next);
  }

  private fire(): void {
    const now = this.options.clock.now();
    for (const [id, entry] of this.entries) {
      const due = entry.retryAt ?? entry.token?.refreshAt;
      if (due === undefined || due > now || entry.pending) continue;
      // Failures are recorded on the entry (retry later, or dropped and reported).
      this.exchange(id, entry, undefined, true).catch(() => undefined);
    }
    this.arm();
  }
}
