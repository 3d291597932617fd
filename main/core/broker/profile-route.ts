import type { RequestContext } from '../connections/connection-service.ts';
import { SophonError, isSophonError } from '../errors.ts';
import { isUsable, sourceOf } from '../providers/profiles.ts';
import { storedProfileState } from '../providers/provider-status.ts';
import type { Broker } from './broker.ts';
import type { TokenConnection, TokenRecord } from './token-store.ts';

/** The connection a call naming a model provider goes to, and the auth profile it is. */
export interface ProfileChoice {
  readonly connection: TokenConnection;
  /** `provider:name`, as `sophon models status` lists it. */
  readonly profile: string;
}

/** A choice is reused this long (and until a connection changes), so an order change applies within seconds. */
const CHOICE_TTL_MS = 10_000;

/**
 * Model calls by auth profile: a call to `/proxy/anthropic/…` (a provider, not a connection)
 * goes to the first profile in the token's agent's auth order that the skill is granted and
 * that gives a credential now — what `sophon models resolve --agent A` says, limited to the
 * grant. A profile that needs re-auth is skipped like an expired one; when nothing else is
 * left, the call goes to it anyway, so the proxy answers NEEDS_REAUTH (or waits for the
 * reconnect) instead of a vaguer "no usable profile".
 */
export class ProfileRouter {
  private readonly choices = new Map<string, { choice: ProfileChoice; until: number }>();
  private readonly unsubscribe: () => void;

  constructor(private readonly broker: Broker) {
    this.unsubscribe = broker.core.connections.onChange(() => this.choices.clear());
  }

  /** `name` when it is the provider of one of the token's connections. */
  static providerNamed(record: TokenRecord, name: string): string | undefined {
    for (const c of record.connections) if (c.provider === name) return name;
    return undefined;
  }

  cached(record: TokenRecord, provider: string): ProfileChoice | undefined {
    const hit = this.choices.get(`${record.id}\0${provider}`);
    return hit && hit.until > this.broker.core.ports.clock.now() ? hit.choice : undefined;
  }

  async choose(record: TokenRecord, provider: string, ctx: RequestContext): Promise<ProfileChoice> {
    const covered = record.connections.filter((c) => c.provider === provider);
    // One granted profile Sophon stores itself, usable or waiting for a reconnect, leaves nothing to rank:
    // no need to read every CLI's sign-in. Anything else (a CLI sign-in, an expired token) takes the full way.
    const only = covered.length === 1 ? (covered[0] as TokenConnection) : undefined;
    const connection = only ? await this.broker.core.connections.get(only.connectionId) : undefined;
    if (only && connection && sourceOf(connection) !== 'cli-sync') {
      const { state } = storedProfileState(connection, provider, this.broker.core.ports.clock.now());
      if (isUsable(state) || state === 'needs_reauth') return this.remember(record, provider, { connection: only, profile: `${provider}:${only.label}` });
    }
    const waiting: TokenConnection[] = [];
    const cache = this.broker.cache;
    let choice: ProfileChoice;
    try {
      const result = await this.broker.core.providers.resolveWith(
        provider,
        {
          ...(record.agent !== undefined ? { agent: record.agent } : {}),
          only: (profile) => {
            const granted = covered.find((c) => c.connectionId === profile.connectionId);
            if (!granted) return profile.connectionId ? `not granted to skill "${record.skill}"` : `not linked for agents — run \`sophon models auth sync --provider ${provider}\` and grant it`;
            if (profile.state === 'needs_reauth') waiting.push(granted);
            return undefined;
          },
        },
        ctx,
        async (profile) => {
          const granted = covered.find((c) => c.connectionId === profile.connectionId) as TokenConnection;
          const route = cache.cachedRoute(granted.connectionId) ?? (await cache.loadRoute(granted.connectionId));
          if (route.connection.state === 'needs_reauth') {
            waiting.push(granted);
            throw new SophonError('NEEDS_REAUTH', `${profile.id} needs the user to sign in again`);
          }
          if (!cache.cachedCredential(granted.connectionId)) await cache.loadCredential(route, ctx);
          return granted;
        },
      );
      choice = { connection: result.value, profile: result.profile.id };
    } catch (error) {
      const first = waiting[0];
      if (!(isSophonError(error) && error.code === 'NO_USABLE_PROFILE') || first === undefined) throw error;
      choice = { connection: first, profile: `${provider}:${first.label}` };
    }
    return this.remember(record, provider, choice);
  }

  private remember(record: TokenRecord, provider: string, choice: ProfileChoice): ProfileChoice {
    this.choices.set(`${record.id}\0${provider}`, { choice, until: this.broker.core.ports.clock.now() + CHOICE_TTL_MS });
    return choice;
  }

  dispose(): void {
    this.unsubscribe();
    this.choices.clear();
  }
}
