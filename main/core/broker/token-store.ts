import { createHash, hash, randomBytes } from 'node:crypto';
import type { Clock } from '../ports.ts';

/** One connection a token may use, with the methods and paths its skill's grant allows. */
export interface TokenConnection {
  readonly connectionId: string;
  readonly service: string;
  readonly label: string;
  /** Upper-case methods, or null for any. */
  readonly methods: ReadonlySet<string> | null;
  /** Path prefixes relative to the service base; ["/"] for any. */
  readonly paths: readonly string[];
  /** The model provider whose auth profile this connection is (`provider:label`), if any. */
  readonly provider?: string;
  readonly billing?: 'subscription' | 'per-token';
}

export interface TokenRecord {
  /** Public handle for listing and revoking; derived from the hash, never from the token itself. */
  readonly id: string;
  readonly skill: string;
  readonly tool: string;
  readonly connections: readonly TokenConnection[];
  /** The agent whose auth order picks a provider's profile (`/proxy/anthropic/…`). */
  readonly agent?: string;
  readonly mintedAt: number;
  readonly expiresAt: number;
}

export type TokenLookup =
  | { readonly state: 'valid'; readonly record: TokenRecord }
  | { readonly state: 'expired'; readonly record: TokenRecord }
  | { readonly state: 'unknown' };

export const BROKER_TOKEN_PREFIX = 'sbt_';
const TOKEN_SHAPE = /^sbt_[A-Za-z0-9_-]{43}$/;
/** Whether a value has the shape of a broker token (the proxy looks for one in several places). */
export function isBrokerTokenShape(value: string): boolean {
  return TOKEN_SHAPE.test(value);
}
/** Expired tokens are remembered this long so a late call hears "expired", not "unknown". */
const EXPIRED_GRACE_MS = 10 * 60_000;

function hashOf(token: string): string {
  // The one-shot form: every proxied call looks its token up.
  return hash('sha256', token, 'base64');
}

/** The public id of a token: the first 64 bits of its SHA-256, so the CLI can name a token it holds without sending it. */
export function tokenId(token: string): string {
  return `btk_${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
}

/**
 * Broker tokens: 32 random bytes, handed out once and kept only as SHA-256 hashes in
 * memory, so a restart or the kill switch ends every one of them.
 */
export class TokenStore {
  private readonly byHash = new Map<string, TokenRecord>();
  private readonly hashById = new Map<string, string>();

  constructor(private readonly clock: Pick<Clock, 'now'>) {}

  mint(input: Omit<TokenRecord, 'id' | 'mintedAt' | 'expiresAt'> & { ttlMs: number }): { token: string; record: TokenRecord } {
    this.sweep();
    const token = `${BROKER_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const now = this.clock.now();
    const record: TokenRecord = {
      id: tokenId(token),
      skill: input.skill,
      tool: input.tool,
      connections: input.connections,
      ...(input.agent !== undefined ? { agent: input.agent } : {}),
      mintedAt: now,
      expiresAt: now + input.ttlMs,
    };
    const hash = hashOf(token);
    this.byHash.set(hash, record);
    this.hashById.set(record.id, hash);
    return { token, record };
  }

  lookup(token: string): TokenLookup {
    if (!TOKEN_SHAPE.test(token)) return { state: 'unknown' };
    const record = this.byHash.get(hashOf(token));
    if (!record) return { state: 'unknown' };
    return this.clock.now() < record.expiresAt ? { state: 'valid', record } : { state: 'expired', record };
  }

  /** Live (unexpired) tokens, soonest to expire first. */
  list(): TokenRecord[] {
    this.sweep();
    const now = this.clock.now();
    return [...this.byHash.values()].filter((r) => r.expiresAt > now).sort((a, b) => a.expiresAt - b.expiresAt);
  }

  /** Moves a live token's expiry (a `sophon run` child's token, renewed while it runs); undefined when it is gone or expired. */
  renew(id: string, expiresAt: number): TokenRecord | undefined {
    const hash = this.hashById.get(id);
    const record = hash === undefined ? undefined : this.byHash.get(hash);
    if (hash === undefined || record === undefined || record.expiresAt <= this.clock.now()) return undefined;
    const renewed: TokenRecord = { ...record, expiresAt };
    this.byHash.set(hash, renewed);
    return renewed;
  }

  revoke(id: string): TokenRecord | undefined {
    const hash = this.hashById.get(id);
    if (hash === undefined) return undefined;
    const record = this.byHash.get(hash);
    this.byHash.delete(hash);
    this.hashById.delete(id);
    return record;
  }

  revokeWhere(match: (record: TokenRecord) => boolean): TokenRecord[] {
    const gone: TokenRecord[] = [];
    for (const record of [...this.byHash.values()]) {
      if (match(record)) {
        this.revoke(record.id);
        gone.push(record);
      }
    }
    return gone;
  }

  /** The kill switch: every token, live or expired, is forgotten. Returns how many were live. */
  revokeAll(): number {
    const live = this.list().length;
    this.byHash.clear();
    this.hashById.clear();
    return live;
  }

  get size(): number {
    return this.byHash.size;
  }

  private sweep(): void {
    const cutoff = this.clock.now() - EXPIRED_GRACE_MS;
    for (const [hash, record] of this.byHash) {
      if (record.expiresAt < cutoff) {
        this.byHash.delete(hash);
        this.hashById.delete(record.id);
      }
    }
  }
}
