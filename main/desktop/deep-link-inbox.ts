import { parseDeepLink, type DeepLink } from './deep-link.ts';

export type DeepLinkHandler = (link: Exclude<DeepLink, { kind: 'unknown' }>) => Promise<void> | void;

export interface DeepLinkInboxOptions {
  /** Told about links that were refused (the reason only: a link may carry a code). */
  readonly onRefused?: (reason: string) => void;
  readonly onError?: (error: unknown) => void;
  /** Links held before the core is ready; more are dropped (a flood is not a sign-in). */
  readonly maxQueued?: number;
}

/**
 * Where `open-url`, `second-instance` and the cold-start argv put `sophon://` links.
 * They can arrive before the vault is open (a cold start from the browser's redirect),
 * so they wait here until `ready(handler)`, then go out in arrival order, one at a time.
 */
export class DeepLinkInbox {
  private readonly queue: Array<Exclude<DeepLink, { kind: 'unknown' }>> = [];
  private handler: DeepLinkHandler | undefined;
  private draining: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(private readonly options: DeepLinkInboxOptions = {}) {}

  receive(raw: unknown): DeepLink {
    const link = parseDeepLink(raw);
    if (this.disposed) return link;
    if (link.kind === 'unknown') {
      this.options.onRefused?.(link.reason);
      return link;
    }
    if (this.queue.length >= (this.options.maxQueued ?? 16)) {
      this.options.onRefused?.('too many links before the app was ready');
      return link;
    }
    this.queue.push(link);
    this.drain();
    return link;
  }

  /** The core is ready: deliver what waited, and everything after it directly. */
  ready(handler: DeepLinkHandler): void {
    this.handler = handler;
    this.drain();
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Resolves when every link received so far has been handled. */
  idle(): Promise<void> {
    return this.draining;
  }

  dispose(): void {
    this.disposed = true;
    this.queue.length = 0;
    this.handler = undefined;
  }

  private drain(): void {
    this.draining = this.draining.then(async () => {
      while (this.handler && this.queue.length > 0 && !this.disposed) {
        const link = this.queue.shift() as Exclude<DeepLink, { kind: 'unknown' }>;
        try {
          await this.handler(link);
        } catch (error) {
          this.options.onError?.(error);
        }
      }
    });
  }
}
