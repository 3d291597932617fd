import type { ConnectionService, ConnectionChange } from '../connections/connection-service.ts';
import type { Connection } from '../connections/model.ts';
import { SophonError } from '../errors.ts';
import type { Clock } from '../ports.ts';
import { DueTimer } from './due-timer.ts';
import type { TokenManager } from './token-manager.ts';

export interface SchedulerOptions {
  readonly connections: Pick<ConnectionService, 'list' | 'onChange'>;
  readonly tokens: Pick<TokenManager, 'refresh'>;
  readonly clock: Clock;
  /** Refresh this long before expiry. */
  readonly marginMs?: number;
  /** Spread refreshes over up to this much earlier, so many connections do not refresh together. */
  readonly jitterMs?: number;
  /** At most this many refreshes in flight. */
  readonly maxInFlight?: number;
  /** After a transient failure, try again this much later (doubling, capped at the margin). */
  readonly retryMs?: number;
}

interface Entry {
  readonly id: string;
  readonly due: number;
  readonly version: number;
  readonly failures: number;
}

/**
 * Refreshes tokens ahead of expiry with one timer for the whole set: a min-heap of due
 * times, the timer armed for the earliest. No timer per connection and no polling, so a
 * quiet vault costs no CPU. Connections without expiry or without a refresh token are
 * left alone.
 */
export class RefreshScheduler {
  private readonly heap: Entry[] = [];
  private readonly versions = new Map<string, number>();
  private readonly expiries = new Map<string, number>();
  private readonly queue: Entry[] = [];
  private readonly timer: DueTimer;
  private running = 0;
  private disposed = false;
  private readonly idle = new Set<() => void>();
  private unsubscribe: (() => void) | undefined;
  private readonly marginMs: number;
  private readonly jitterMs: number;
  private readonly maxInFlight: number;
  private readonly retryMs: number;
  /** For tests and the benchmark. */
  readonly stats = { started: 0, succeeded: 0, failed: 0, maxInFlight: 0, maxLatenessMs: 0 };

  constructor(private readonly options: SchedulerOptions) {
    this.marginMs = options.marginMs ?? 5 * 60_000;
    this.jitterMs = options.jitterMs ?? 60_000;
    this.maxInFlight = options.maxInFlight ?? 32;
    this.retryMs = options.retryMs ?? 30_000;
    this.timer = new DueTimer(options.clock, () => this.fire());
  }

  async start(): Promise<void> {
    for (const connection of await this.options.connections.list()) this.track(connection);
    this.unsubscribe = this.options.connections.onChange((change) => this.onChange(change));
    this.arm();
  }

  /** How many connections are waiting for their refresh time. */
  get size(): number {
    return this.versions.size;
  }

  private onChange(change: ConnectionChange): void {
    if (change.type === 'removed') {
      this.versions.delete(change.connection.id);
      this.expiries.delete(change.connection.id);
    } else this.track(change.connection);
    this.arm();
  }

  private track(connection: Connection): void {
    const eligible = connection.expiresAt !== undefined && connection.refreshable === true && connection.state !== 'needs_reauth' && (connection.authMethod === 'oauth2' || connection.authMethod === 'device');
    if (!eligible) {
      this.versions.delete(connection.id);
      this.expiries.delete(connection.id);
      return;
    }
    // Metadata updates (last used, last test) do not move the refresh time.
    if (this.expiries.get(connection.id) === connection.expiresAt && this.versions.has(connection.id)) return;
    this.expiries.set(connection.id, connection.expiresAt as number);
    this.push({ id: connection.id, due: this.dueFor(connection.expiresAt as number), version: this.bump(connection.id), failures: 0 });
  }

  /**
   * `margin` before expiry, minus a random jitter so that many connections spread out.
   * Never more than half the remaining lifetime, so short-lived tokens are not refreshed
   * back to back.
   */
  private dueFor(expiresAt: number): number {
    const remaining = expiresAt - this.options.clock.now();
    if (remaining <= 0) return this.options.clock.now();
    const lead = Math.min(this.marginMs, remaining / 2);
    const jitter = Math.random() * Math.min(this.jitterMs, lead / 2);
    return expiresAt - lead - jitter;
  }

  private bump(id: string): number {
    const version = (this.versions.get(id) ?? 0) + 1;
    this.versions.set(id, version);
    return version;
  }

  private arm(): void {
    if (this.disposed) return;
    while (this.heap.length > 0 && this.versions.get(this.heap[0]!.id) !== this.heap[0]!.version) this.pop();
    const next = this.heap[0];
    if (!next) this.timer.clear();
    else this.timer.armFor(next.due);
  }

  private fire(): void {
    const now = this.options.clock.now();
    while (this.heap.length > 0 && this.heap[0]!.due <= now) {
      const entry = this.pop()!;
      if (this.versions.get(entry.id) === entry.version) this.queue.push(entry);
    }
    this.pump();
    this.arm();
  }

  private pump(): void {
    while (!this.disposed && this.running < this.maxInFlight && this.queue.length > 0) {
      const entry = this.queue.shift()!;
      if (this.versions.get(entry.id) !== entry.version) continue;
      this.running++;
      this.stats.started++;
      this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.running);
      this.stats.maxLatenessMs = Math.max(this.stats.maxLatenessMs, this.options.clock.now() - entry.due);
      void this.options.tokens
        .refresh(entry.id, 'scheduled')
        .then(
          () => {
            this.stats.succeeded++;
          },
          (error: unknown) => {
            this.stats.failed++;
            if (error instanceof SophonError && (error.code === 'NEEDS_REAUTH' || error.code === 'CONNECTION_NOT_FOUND')) return;
            // Transient: try again later, unless a newer schedule replaced this entry meanwhile.
            if (this.versions.get(entry.id) === entry.version && !this.disposed) {
              const delay = Math.min(this.retryMs * 2 ** entry.failures, this.marginMs);
              this.push({ ...entry, due: this.options.clock.now() + delay, version: this.bump(entry.id), failures: entry.failures + 1 });
              this.arm();
            }
          },
        )
        .finally(() => {
          this.running--;
          this.pump();
          if (this.running === 0 && this.queue.length === 0) for (const done of this.idle) done();
        });
    }
  }

  /** Resolves when no refresh is running or queued. */
  whenIdle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.idle.delete(done);
        resolve();
      };
      this.idle.add(done);
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.unsubscribe?.();
    this.timer.clear();
    this.queue.length = 0;
    await this.whenIdle();
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.due <= heap[i]!.due) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  }

  private pop(): Entry | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l]!.due < heap[m]!.due) m = l;
        if (r < heap.length && heap[r]!.due < heap[m]!.due) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    }
    return top;
  }
}
