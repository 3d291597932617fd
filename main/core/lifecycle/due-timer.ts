import type { Clock, TimerHandle } from '../ports.ts';

/** Longest single timer (setTimeout overflows past 2^31-1 ms); it fires early and is re-armed. */
const MAX_TIMER_MS = 6 * 60 * 60_000;

/**
 * One timer for the earliest of many due times: `armFor(t)` keeps an earlier timer,
 * replaces a later one; `onFire` runs once the time comes (or MAX_TIMER_MS passes).
 */
export class DueTimer {
  private timer: TimerHandle | undefined;
  private at = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly onFire: () => void,
  ) {}

  get armed(): boolean {
    return this.timer !== undefined;
  }

  armFor(due: number): void {
    if (this.timer && this.at <= due) return;
    this.clear();
    this.at = due;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.at = Infinity;
      this.onFire();
    }, Math.min(Math.max(0, due - this.clock.now()), MAX_TIMER_MS));
    this.timer.unref?.();
  }

  clear(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Infinity;
  }
}
