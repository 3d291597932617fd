import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.ts';
import type { RequestContext } from '../connections/connection-service.ts';
import type { ICredentialVault } from '../vault/types.ts';

/** Stored in the vault (an order is a preference, not a setting to share): provider → its order, and per agent. */
export const AuthOrderStore = z.record(
  z.string(),
  z.object({
    default: z.array(z.string()).optional(),
    agents: z.record(z.string(), z.array(z.string())).optional(),
  }),
);
export type AuthOrderStore = z.infer<typeof AuthOrderStore>;
export const AUTH_ORDER_KEY = 'models/auth-order';

export interface StoredOrder {
  readonly scope: 'agent' | 'provider' | 'default';
  readonly explicit: readonly string[];
}

/** `sophon models auth order get|set|clear`: which profiles are tried first, for every agent or one. */
export class AuthOrders {
  constructor(
    private readonly vault: ICredentialVault,
    private readonly audit: AuditLog,
  ) {}

  private async all(): Promise<AuthOrderStore> {
    const parsed = AuthOrderStore.safeParse((await this.vault.get(AUTH_ORDER_KEY)) ?? {});
    return parsed.success ? parsed.data : {};
  }

  /** The agent's order, else the provider's, else none. */
  async get(provider: string, agent: string | undefined): Promise<StoredOrder> {
    const entry = (await this.all())[provider];
    const forAgent = agent !== undefined ? entry?.agents?.[agent] : undefined;
    if (forAgent) return { scope: 'agent', explicit: forAgent };
    if (entry?.default) return { scope: 'provider', explicit: entry.default };
    return { scope: 'default', explicit: [] };
  }

  async set(provider: string, agent: string | undefined, ids: readonly string[], ctx: RequestContext): Promise<void> {
    const store = await this.all();
    const entry = store[provider] ?? {};
    const next = agent !== undefined ? { ...entry, agents: { ...(entry.agents ?? {}), [agent]: [...ids] } } : { ...entry, default: [...ids] };
    await this.vault.put(AUTH_ORDER_KEY, { ...store, [provider]: next });
    this.audit.append({ actor: ctx.actor, action: 'models.order.set', service: provider, outcome: 'ok', detail: { profiles: ids.join(','), ...(agent ? { agent } : {}) } });
  }

  async clear(provider: string, agent: string | undefined, ctx: RequestContext): Promise<void> {
    const store = await this.all();
    const entry = store[provider];
    if (!entry) return;
    const agents = { ...(entry.agents ?? {}) };
    if (agent !== undefined) delete agents[agent];
    const kept = { ...(agent !== undefined && entry.default ? { default: entry.default } : {}), ...(Object.keys(agents).length > 0 ? { agents } : {}) };
    const next = { ...store };
    if (kept.default || kept.agents) next[provider] = kept;
    else delete next[provider];
    await this.vault.put(AUTH_ORDER_KEY, next);
    this.audit.append({ actor: ctx.actor, action: 'models.order.clear', service: provider, outcome: 'ok', ...(agent ? { detail: { agent } } : {}) });
  }
}
