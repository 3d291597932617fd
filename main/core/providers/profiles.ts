import { z } from 'zod';
import type { Connection } from '../connections/model.ts';
import { SophonError } from '../errors.ts';
import type { CliName } from './cli-credentials.ts';

/**
 * Auth profiles: a model provider's credentials, named `provider:name`. A profile is a
 * stored connection of one of the provider's services (its label is the name), or a CLI
 * sign-in found on this machine and not linked yet (name `claude-cli`, `codex-cli`, `gh-cli`).
 */

export type ProfileSource = 'cli-sync' | 'oauth' | 'token' | 'api-key';
export type ProfileState = 'usable' | 'expiring' | 'expired' | 'missing' | 'needs_reauth' | 'error';
export type Billing = 'subscription' | 'per-token';

export interface Profile {
  readonly id: string;
  readonly provider: string;
  readonly name: string;
  readonly service: string;
  readonly source: ProfileSource;
  readonly state: ProfileState;
  readonly reason?: string;
  /** Of the credential used now (an access token); ms since the epoch. */
  readonly expiresAt?: number;
  /** Sophon renews it itself (OAuth with a refresh token): its expiry is not a problem. */
  readonly refreshable: boolean;
  /** Absent for a CLI sign-in that is read in place and not linked as a connection. */
  readonly connectionId?: string;
  readonly cli?: CliName;
  readonly account?: string;
  readonly plan?: string;
  readonly billing: Billing;
  /** Where a CLI sign-in is read from (a path or a keychain item). */
  readonly location?: string;
}

/** The services used through a plan: their tokens cost nothing per token. */
export const SUBSCRIPTION_SERVICE_IDS: ReadonlySet<string> = new Set(['anthropic-subscription', 'openai-codex', 'github-copilot']);

export const CLI_PROFILE_NAMES: Readonly<Record<CliName, string>> = { 'claude-code': 'claude-cli', codex: 'codex-cli', gh: 'gh-cli' };

export const EXPIRING_WITHIN_MS = 24 * 60 * 60_000;

export const TERMS_NOTICE =
  "Each provider's terms decide whether a subscription may be used programmatically — confirm that your plan permits it (Anthropic restricts Claude subscription credentials to its own apps).";

export function sourceOf(connection: Pick<Connection, 'authMethod'>): ProfileSource | undefined {
  switch (connection.authMethod) {
    case 'oauth2':
    case 'device':
      return 'oauth';
    case 'bearer':
      return 'token';
    case 'api_key':
      return 'api-key';
    case 'cli_reader':
      return 'cli-sync';
    default:
      return undefined;
  }
}

/** usable, expiring (within 24 h) or expired; a credential Sophon renews itself stays usable. */
export function expiryState(expiresAt: number | undefined, refreshable: boolean, now: number): 'usable' | 'expiring' | 'expired' {
  if (expiresAt === undefined || refreshable) return 'usable';
  if (expiresAt <= now) return 'expired';
  return expiresAt - now <= EXPIRING_WITHIN_MS ? 'expiring' : 'usable';
}

export function isUsable(state: ProfileState): boolean {
  return state === 'usable' || state === 'expiring';
}

export interface CheckResult {
  /** 0 all usable, 1 one expired or missing (or none at all), 2 one expires within 24 h. */
  readonly exitCode: 0 | 1 | 2;
  readonly problems: readonly string[];
}

/** What `sophon models status --check` exits with. */
export function checkProfiles(profiles: readonly Profile[]): CheckResult {
  if (profiles.length === 0) return { exitCode: 1, problems: ['no model provider credentials — sign in with `sophon models auth …`, or add an API key with `sophon connect add <service>`'] };
  const broken = profiles.filter((p) => !isUsable(p.state));
  if (broken.length > 0) return { exitCode: 1, problems: broken.map((p) => `${p.id}: ${p.state.replace('_', ' ')}${p.reason ? ` — ${p.reason}` : ''}`) };
  const expiring = profiles.filter((p) => p.state === 'expiring');
  if (expiring.length > 0) return { exitCode: 2, problems: expiring.map((p) => `${p.id}: expires within 24 h${p.expiresAt !== undefined ? ` (${new Date(p.expiresAt).toISOString()})` : ''}`) };
  return { exitCode: 0, problems: [] };
}

const SOURCE_RANK: Readonly<Record<ProfileSource, number>> = { oauth: 0, token: 1, 'cli-sync': 2, 'api-key': 3 };

/** Without an explicit order: what Sophon renews itself, then pasted tokens, CLI sign-ins, and pay-per-use keys last. */
export function defaultOrder(profiles: readonly Profile[]): string[] {
  return [...profiles]
    .sort((a, b) => SOURCE_RANK[a.source] - SOURCE_RANK[b.source] || Number(b.name === 'default') - Number(a.name === 'default') || a.name.localeCompare(b.name))
    .map((p) => p.id);
}

/** The explicit order first (as given, even names not present yet), then every other profile in the default order. */
export function effectiveOrder(profiles: readonly Profile[], explicit: readonly string[] | undefined): string[] {
  const first = [...new Set(explicit ?? [])];
  return [...first, ...defaultOrder(profiles).filter((id) => !first.includes(id))];
}

export const AgentName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dots, dashes and underscores, up to 64');

export function checkAgent(agent: string | undefined): string | undefined {
  if (agent === undefined) return undefined;
  const parsed = AgentName.safeParse(agent);
  if (!parsed.success) throw new SophonError('INVALID_INPUT', `agent "${agent}" is not a valid name (${parsed.error.issues[0]?.message}) — e.g. --agent claude-desktop`);
  return parsed.data;
}

/** `provider:name`, or a bare name that is taken to be in `provider`. */
export function normaliseProfileId(provider: string, value: string): string {
  const trimmed = value.trim();
  const id = trimmed.includes(':') ? trimmed : `${provider}:${trimmed}`;
  if (!id.startsWith(`${provider}:`) || id.length === provider.length + 1) {
    throw new SophonError('INVALID_INPUT', `"${value}" is not a ${provider} profile — write ${provider}:NAME (see \`sophon models status\`)`);
  }
  return id;
}
