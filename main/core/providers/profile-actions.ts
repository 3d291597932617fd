import { resolveBaseUrl } from '../catalog/catalog.ts';
import { attachRules, authMethod, type AuthMethod, type ServiceDefinition } from '../catalog/schema.ts';
import { attachCredential } from '../connections/attach.ts';
import type { RequestContext } from '../connections/connection-service.ts';
import type { Connection } from '../connections/model.ts';
import { SophonError } from '../errors.ts';
import { serviceOverride } from '../settings.ts';
import { probeMessages } from './anthropic.ts';
import { isoTime } from './cli-credentials.ts';
import { exchangeCopilotToken, validateGithubToken, type CopilotToken } from './copilot.ts';
import { jwtExpiry, openaiIdentity } from './jwt.ts';
import { CLI_PROFILE_NAMES, sourceOf, type Profile } from './profiles.ts';
import type { ProviderService } from './provider-service.ts';
import type { Clock, HttpFetch } from '../ports.ts';
import type { ConnectionService } from '../connections/connection-service.ts';
import type { Settings } from '../settings.ts';

export interface ActionDeps {
  readonly providers: ProviderService;
  readonly connections: ConnectionService;
  readonly clock: Clock;
  readonly fetch: HttpFetch;
  readonly settings: Settings;
}

export interface PasteTokenInput {
  readonly provider: string;
  readonly profile?: string;
  readonly token: string;
  /** How long the token lasts when it does not say (a `claude setup-token` token: about a year). */
  readonly expiresInMs?: number;
}

export interface ProfileResult {
  readonly profile: Profile;
  readonly warnings: string[];
}

export interface TestOutcome {
  readonly profile: Profile;
  readonly ok: boolean;
  readonly message: string;
  readonly code?: string;
  readonly status?: number;
}

const DEFAULT_TEST_MODEL = 'claude-haiku-4-5';

function cleanToken(raw: string): string {
  const token = raw.replace(/\r?\n$/, '').trim();
  if (token.length === 0) throw new SophonError('EMPTY_SECRET', 'the token is empty — paste it at the prompt or pipe it on stdin');
  if (/[\s\0]/.test(token)) throw new SophonError('INVALID_INPUT', 'the token contains spaces or line breaks — paste exactly one token');
  return token;
}

type SecretMethod = Extract<AuthMethod, { type: 'bearer' | 'api_key' }>;

/** Which of the provider's services takes this token: the first whose pattern it matches, else the first that takes one. */
function routeToken(services: readonly ServiceDefinition[], token: string): { service: ServiceDefinition; method: SecretMethod } | undefined {
  const candidates = services.flatMap((service) => service.auth.filter((m): m is SecretMethod => m.type === 'bearer' || m.type === 'api_key').map((method) => ({ service, method })));
  return candidates.find((c) => c.method.pattern !== undefined && new RegExp(c.method.pattern).test(token)) ?? candidates[0];
}

async function labelFree(deps: ActionDeps, services: readonly ServiceDefinition[], provider: string, label: string): Promise<void> {
  const ids = new Set(services.map((s) => s.id));
  const taken = (await deps.connections.list()).find((c) => ids.has(c.service) && c.label.toLowerCase() === label.toLowerCase());
  if (taken) {
    throw new SophonError('DUPLICATE_LABEL', `the profile ${provider}:${taken.label} exists already (${sourceOf(taken) ?? taken.authMethod}) — pass --profile NAME for another one, or remove it first with \`sophon connect remove ${taken.id}\``);
  }
}

async function profileOf(deps: ActionDeps, connection: Connection, provider: string): Promise<Profile> {
  const profile = (await deps.providers.profiles({ actor: 'host' })).find((p) => p.connectionId === connection.id);
  if (!profile) throw new SophonError('INTERNAL', `${provider}:${connection.label} was stored but is not listed`);
  return profile;
}

/**
 * `sophon models auth paste-token`: stores a token for any provider (a `claude setup-token`
 * token, a GitHub token for Copilot, an API key), after the checks its provider allows.
 */
export async function pasteToken(deps: ActionDeps, input: PasteTokenInput, ctx: RequestContext): Promise<ProfileResult> {
  const services = deps.providers.requireProvider(input.provider);
  const token = cleanToken(input.token);
  const route = routeToken(services, token);
  if (!route) throw new SophonError('NOT_SUPPORTED', `${input.provider} does not take a pasted token — see \`sophon models auth login --provider ${input.provider}\``);
  const label = input.profile ?? 'default';
  await labelFree(deps, services, input.provider, label);
  const now = deps.clock.now();
  const warnings: string[] = [];
  let expiresAt = input.expiresInMs !== undefined ? now + input.expiresInMs : jwtExpiry(token);
  if (expiresAt !== undefined && expiresAt <= now) throw new SophonError('INVALID_INPUT', `this token expired at ${isoTime(expiresAt)} — nothing was stored; get a fresh one`);
  let account: string | undefined;
  let copilot: CopilotToken | undefined;
  if (route.service.id === 'github-copilot') {
    // A GitHub token: checked with GET /user, then for a Copilot seat, before anything is stored.
    const api = deps.providers.copilot.githubApi();
    account = (await validateGithubToken(deps.fetch, api, token)).login;
    copilot = await exchangeCopilotToken(deps.fetch, api, token, now);
  } else if (route.service.id === 'openai-codex') {
    const identity = openaiIdentity(token);
    account = identity.accountId;
    if (!account) warnings.push('this token names no ChatGPT account (chatgpt_account_id) — the ChatGPT backend will refuse it; prefer `sophon models auth login --provider openai-codex`');
    if (expiresAt === undefined) expiresAt = jwtExpiry(token);
    warnings.push('a pasted ChatGPT token cannot be refreshed: paste a new one when it expires, or sign in with `sophon models auth login --provider openai-codex`');
  }
  const secret = route.method.type === 'api_key' ? { type: 'api_key' as const, key: token } : { type: 'bearer' as const, token };
  const added = await deps.connections.add({ service: route.service.id, label, secret }, ctx);
  warnings.push(...added.warnings);
  let connection = added.connection;
  if (expiresAt !== undefined || account !== undefined) {
    connection = await deps.connections.update(connection.id, { ...(expiresAt !== undefined ? { expiresAt } : {}), ...(account !== undefined ? { account } : {}) });
  }
  if (copilot) deps.providers.copilot.tokens.seed(connection.id, async () => token, token, copilot);
  return { profile: await profileOf(deps, connection, input.provider), warnings };
}

/** `sophon models auth sync`: links a CLI's sign-in as a connection, read in place (never copied, never refreshed). */
export async function syncCli(deps: ActionDeps, input: { provider: string; profile?: string }, ctx: RequestContext): Promise<ProfileResult> {
  const services = deps.providers.requireProvider(input.provider);
  const service = services.find((s) => authMethod(s, 'cli_reader'));
  const method = service ? authMethod(service, 'cli_reader') : undefined;
  if (!service || !method) throw new SophonError('NOT_SUPPORTED', `${input.provider} has no CLI sign-in to read — use \`sophon models auth paste-token --provider ${input.provider}\``);
  const existing = (await deps.connections.list()).find((c) => c.service === service.id && c.authMethod === 'cli_reader');
  if (existing) return { profile: await profileOf(deps, existing, input.provider), warnings: [`already linked as ${input.provider}:${existing.label}`] };
  const label = input.profile ?? CLI_PROFILE_NAMES[method.cli];
  // Throws the CLI's own one-line problem (missing, malformed, expired) before anything is stored.
  const credential = await deps.providers.cli.credential(method.cli, ctx, 'link');
  if (service.id === 'github-copilot' && credential.token) await exchangeCopilotToken(deps.fetch, deps.providers.copilot.githubApi(), credential.token, deps.clock.now());
  const connection = await deps.connections.prepare(service, label, 'cli_reader', {
    ...(credential.expiresAt !== undefined ? { expiresAt: credential.expiresAt } : {}),
    ...(credential.account ?? credential.email ? { account: credential.account ?? credential.email } : {}),
  });
  await deps.connections.store(connection, { type: 'external', source: method.cli }, ctx);
  return { profile: await profileOf(deps, connection, input.provider), warnings: [] };
}

/** `sophon models test`: the cheapest call that proves a profile works for its provider. */
export async function testProfile(deps: ActionDeps, id: string, ctx: RequestContext): Promise<TestOutcome> {
  const profile = await deps.providers.profile(id, ctx);
  const fail = (error: unknown): TestOutcome => {
    if (!(error instanceof SophonError) || error.code === 'INTERNAL') throw error;
    return { profile, ok: false, message: error.message, code: error.code };
  };
  try {
    const service = (deps.providers.providerServices().get(profile.provider) ?? []).find((s) => s.id === profile.service);
    if (!service) throw new SophonError('UNKNOWN_SERVICE', `${profile.service} is not in the catalog any more`);
    if (profile.service === 'github-copilot') {
      const connection = profile.connectionId ? await deps.connections.get(profile.connectionId) : undefined;
      const token = await deps.providers.copilotToken(connection, ctx);
      const facts = [token.sku ? `plan ${token.sku}` : undefined, `Copilot token valid until ${isoTime(token.expiresAt)}`, token.apiBase ? `API ${token.apiBase}` : undefined].filter(Boolean).join(', ');
      return { profile, ok: true, message: `this GitHub account has Copilot (${facts})` };
    }
    const material = await deps.providers.credentialFor(profile, ctx, 'test');
    if (profile.provider === 'anthropic') {
      const method = profile.connectionId ? service.auth.find((m) => m.type === (profile.source === 'api-key' ? 'api_key' : profile.source === 'token' ? 'bearer' : 'cli_reader')) : authMethod(service, 'cli_reader');
      if (!method) throw new SophonError('INTERNAL', `${service.id} has no method for ${profile.source}`);
      const attached = attachCredential(attachRules(service, method), material);
      const override = serviceOverride(deps.settings, service.id);
      const model = typeof override['testModel'] === 'string' ? (override['testModel'] as string) : DEFAULT_TEST_MODEL;
      const result = await probeMessages({ fetch: deps.fetch, baseUrl: resolveBaseUrl(service, {}), headers: { ...service.api.headers, ...attached.headers }, model, subscription: profile.billing === 'subscription' });
      return { profile, ok: true, status: result.status, message: `Claude answered a one-token request (${result.model})` };
    }
    if (profile.provider === 'openai-codex') {
      return { profile, ok: true, message: `a ChatGPT token is ready${profile.plan ? ` (plan ${profile.plan})` : ''}${material.account ? ` for account ${material.account}` : ''}` };
    }
    if (profile.connectionId) {
      const { result } = await deps.connections.test(profile.connectionId, ctx);
      return { profile, ok: result.ok, message: result.message, ...(result.status !== undefined ? { status: result.status } : {}) };
    }
    return { profile, ok: true, message: 'a token is ready' };
  } catch (error) {
    return fail(error);
  }
}
