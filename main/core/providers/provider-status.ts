import type { Catalog } from '../catalog/catalog.ts';
import { authMethod } from '../catalog/schema.ts';
import type { ConnectionService, RequestContext } from '../connections/connection-service.ts';
import type { Connection } from '../connections/model.ts';
import type { Clock } from '../ports.ts';
import { CLI_NAMES, isoTime, type CliName, type CliRead, type CliReader } from './cli-credentials.ts';
import { CLI_INFO, type CliSignins } from './cli-signins.ts';
import { findExecutable, type ProviderEnvironment } from './environment.ts';
import type { ProfileMetaStore } from './profile-meta.ts';
import { CLI_PROFILE_NAMES, SUBSCRIPTION_SERVICE_IDS, expiryState, sourceOf, type Profile, type ProfileState } from './profiles.ts';

export interface StatusDeps {
  readonly connections: ConnectionService;
  readonly catalog: Catalog;
  readonly clock: Clock;
  readonly environment: ProviderEnvironment;
  readonly cli: CliSignins;
  readonly meta: ProfileMetaStore;
}

export interface CliStatus {
  readonly cli: CliName;
  readonly name: string;
  readonly provider: string;
  readonly service: string;
  readonly installed: boolean;
  readonly signedIn: boolean;
  readonly state: ProfileState | 'not_signed_in';
  readonly message: string;
  readonly loginCommand: string;
  readonly location?: string;
  readonly expiresAt?: number;
  readonly plan?: string;
  readonly account?: string;
  /** The profile it shows up as (linked or read in place), when signed in. */
  readonly profile?: string;
}

function fromCliRead(base: Omit<Profile, 'state'>, read: CliRead, now: number, reader: CliReader): Profile {
  if (!read.ok) return { ...base, state: read.problem === 'missing' ? 'missing' : 'error', reason: read.message, location: read.location };
  const c = read.credential;
  const state = expiryState(c.expiresAt, false, now);
  return {
    ...base,
    state,
    location: c.location,
    ...(state === 'expired' ? { reason: reader.expiredMessage(c) } : {}),
    ...(c.expiresAt !== undefined ? { expiresAt: c.expiresAt } : {}),
    ...(c.plan ? { plan: c.plan } : {}),
    ...(base.account === undefined && (c.account ?? c.email) ? { account: c.account ?? c.email } : {}),
  };
}

/** The state of a profile Sophon stores itself (not a CLI sign-in read in place): from the connection alone. */
export function storedProfileState(connection: Connection, provider: string, now: number): { state: ProfileState; reason?: string } {
  if (connection.state === 'needs_reauth' || connection.state === 'error') return { state: connection.state, ...(connection.stateReason ? { reason: connection.stateReason } : {}) };
  const source = sourceOf(connection);
  const state = expiryState(connection.expiresAt, connection.refreshable === true && source === 'oauth', now);
  if (state !== 'expired') return { state };
  return { state, reason: source === 'token' ? `the token expired — paste a new one with \`sophon models auth paste-token --provider ${provider}\`` : 'the token expired' };
}

/**
 * Every profile: the providers' connections (a CLI-linked one with the CLI's live state),
 * then CLI sign-ins found on this machine and not linked, read in place. Each CLI store
 * is read at most once per call.
 */
export async function listProfiles(deps: StatusDeps, ctx: RequestContext): Promise<Profile[]> {
  const { connections, catalog, clock, cli } = deps;
  const now = clock.now();
  const inspections = new Map<CliName, Promise<CliRead>>();
  const inspect = (name: CliName): Promise<CliRead> => {
    const known = inspections.get(name);
    if (known) return known;
    const read = cli.inspect(name, ctx, 'status');
    inspections.set(name, read);
    return read;
  };
  const out: Profile[] = [];
  const all = await connections.list();
  for (const connection of all) {
    const service = catalog.get(connection.service);
    const source = sourceOf(connection);
    if (!service?.provider || !source) continue;
    const meta = await deps.meta.get(connection.id);
    const account = connection.account ?? meta.accountId;
    const base = {
      id: `${service.provider}:${connection.label}`,
      provider: service.provider,
      name: connection.label,
      service: service.id,
      source,
      connectionId: connection.id,
      billing: SUBSCRIPTION_SERVICE_IDS.has(service.id) ? ('subscription' as const) : ('per-token' as const),
      refreshable: connection.refreshable === true && source === 'oauth',
      ...(account ? { account } : {}),
      ...(meta.plan ? { plan: meta.plan } : {}),
    };
    if (source === 'cli-sync') {
      const name = authMethod(service, 'cli_reader')?.cli;
      if (!name) out.push({ ...base, state: 'error', reason: `${service.name} no longer reads a CLI sign-in — remove ${connection.id}` });
      else out.push(fromCliRead({ ...base, cli: name }, await inspect(name), now, cli.readers[name]));
      continue;
    }
    const { state, reason } = storedProfileState(connection, service.provider, now);
    out.push({ ...base, state, ...(reason ? { reason } : {}), ...(connection.expiresAt !== undefined ? { expiresAt: connection.expiresAt } : {}) });
  }
  for (const name of CLI_NAMES) {
    const service = catalog.get(CLI_INFO[name].service);
    if (!service?.provider || !authMethod(service, 'cli_reader')) continue;
    if (all.some((c) => c.service === service.id && c.authMethod === 'cli_reader')) continue;
    const id = `${service.provider}:${CLI_PROFILE_NAMES[name]}`;
    if (out.some((p) => p.id === id)) continue;
    const read = await inspect(name);
    if (!read.ok && (read.problem === 'missing' || read.problem === 'not_subscription')) continue;
    const base = { id, provider: service.provider, name: CLI_PROFILE_NAMES[name], service: service.id, source: 'cli-sync' as const, billing: 'subscription' as const, refreshable: false, cli: name };
    out.push(fromCliRead(base, read, now, cli.readers[name]));
  }
  return out;
}

/** Whether Claude Code, Codex and gh are installed and signed in — never their tokens. */
export async function cliStatus(deps: StatusDeps, ctx: RequestContext): Promise<CliStatus[]> {
  const now = deps.clock.now();
  const linked = await deps.connections.list();
  const out: CliStatus[] = [];
  for (const cli of CLI_NAMES) {
    const info = CLI_INFO[cli];
    const reader = deps.cli.readers[cli];
    const provider = deps.catalog.get(info.service)?.provider ?? info.service;
    const installed = (await findExecutable(deps.environment, info.binary)) !== undefined;
    const read = await deps.cli.inspect(cli, ctx, 'cli status');
    const connection = linked.find((c) => c.service === info.service && c.authMethod === 'cli_reader');
    const profile = `${provider}:${connection ? connection.label : CLI_PROFILE_NAMES[cli]}`;
    const common = { cli, name: info.name, provider, service: info.service, installed, loginCommand: reader.loginCommand };
    if (!read.ok) {
      out.push({ ...common, signedIn: false, state: read.problem === 'missing' ? 'not_signed_in' : 'error', message: read.message, location: read.location, ...(connection ? { profile } : {}) });
      continue;
    }
    const c = read.credential;
    const state = expiryState(c.expiresAt, false, now);
    const message =
      state === 'expired' ? reader.expiredMessage(c) : `${info.name} is signed in${c.plan ? ` (${c.plan})` : ''}${c.expiresAt !== undefined ? `; its token is valid until ${isoTime(c.expiresAt)}` : ''}`;
    out.push({
      ...common,
      signedIn: true,
      state,
      message,
      location: c.location,
      profile,
      ...(c.expiresAt !== undefined ? { expiresAt: c.expiresAt } : {}),
      ...(c.plan ? { plan: c.plan } : {}),
      ...(c.account ? { account: c.account } : {}),
    });
  }
  return out;
}
