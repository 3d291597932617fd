import type { ConnectionState, ConnectionView, EventPayload } from '../api/contract.ts';
import type { Notifier } from '../core/index.ts';

/**
 * Tells the person (an OS notification) when a connection turns needs_reauth — once per
 * transition, not on every update of a connection that already needed it.
 */
export class ReauthWatch {
  private readonly states = new Map<string, ConnectionState>();

  constructor(
    private readonly notifier: Notifier,
    private readonly serviceName: (service: string) => string = (s) => s,
  ) {}

  /** The states known at start: a connection already needing re-auth is not news. */
  seed(connections: readonly Pick<ConnectionView, 'id' | 'state'>[]): void {
    for (const c of connections) this.states.set(c.id, c.state);
  }

  onChange(change: EventPayload<'connections.changed'>): void {
    const { connection } = change;
    if (change.type === 'removed') {
      this.states.delete(connection.id);
      return;
    }
    const before = this.states.get(connection.id);
    this.states.set(connection.id, connection.state);
    if (connection.state === 'needs_reauth' && before !== 'needs_reauth') {
      this.notifier.notify(
        `${this.serviceName(connection.service)} needs you to sign in again`,
        `The connection "${connection.label}" can no longer refresh. Open Sophon and choose Reconnect.`,
      );
    }
  }
}
