import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Bounds for a loopback HTTP server any local user can connect to (the broker proxy, the
 * dashboard): however many connections a flood opens, the owner keeps file descriptors
 * for its own socket, the vault and its upstream calls.
 */
export interface ConnectionLimits {
  /** Connections open at once. Past it the oldest idle one is closed to make room, so a flood cannot hold the door shut. */
  readonly maxConnections: number;
  /** A connection must have sent a whole request head this long after it opened (or after its last answer). */
  readonly headerMs: number;
  /** Keep-alive: how long a connection may sit idle between requests. */
  readonly idleMs: number;
  /** The whole request, body included, must arrive within this. */
  readonly requestMs: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = { maxConnections: 1024, headerMs: 10_000, idleMs: 15_000, requestMs: 600_000 };

/** node:http options that enforce the timeouts (checked every second rather than every 30). */
export function serverOptions(limits: ConnectionLimits) {
  return { headersTimeout: limits.headerMs, requestTimeout: limits.requestMs, keepAliveTimeout: limits.idleMs, connectionsCheckingInterval: 1000 };
}

export interface ConnectionGuard {
  /** Open connections right now. */
  readonly open: number;
  /** Connections closed to make room or for sending nothing. */
  readonly shed: number;
  /**
   * Counts a connection as in use for as long as it stays open: an upgraded, authenticated
   * WebSocket (a person's open dashboard tab) sends no HTTP request, so without this it
   * would look idle and be the first closed when a flood reaches the limit. Call it only
   * after the peer has proved who it is; a held connection is never shed and has no idle deadline.
   */
  hold(socket: Duplex): void;
}

/**
 * Applies the limits to a server created with `serverOptions(limits)`. Node's own timeouts
 * only start once a request does; a connection that never sends a byte is closed here.
 * Connections are kept in the order they opened, each with its requests in flight; one
 * over the limit closes the oldest with none and not held (`hold`).
 */
export function guardConnections(server: Server, limits: ConnectionLimits): ConnectionGuard {
  const open = new Set<Socket>();
  const busy = new WeakMap<Socket, number>();
  const held = new WeakSet<Duplex>();
  const guard = {
    open: 0,
    shed: 0,
    hold(socket: Duplex) {
      held.add(socket);
      (socket as Socket).setTimeout?.(0);
    },
  };
  // A hard stop above the soft limit, for the moment before eviction catches up.
  server.maxConnections = limits.maxConnections + 64;
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    guard.open = open.size;
    socket.setTimeout(limits.headerMs);
    socket.once('close', () => {
      open.delete(socket);
      guard.open = open.size;
    });
    if (open.size <= limits.maxConnections) return;
    for (const candidate of open) {
      if (open.size <= limits.maxConnections) break;
      if (candidate === socket || held.has(candidate) || (busy.get(candidate) ?? 0) > 0) continue;
      open.delete(candidate);
      guard.shed++;
      candidate.destroy();
    }
    if (open.size > limits.maxConnections) {
      // Every other connection is in the middle of a request or held: the newcomer waits its turn (it is refused).
      open.delete(socket);
      guard.shed++;
      socket.destroy();
    }
    guard.open = open.size;
  });
  server.on('request', (req, res) => {
    const socket = req.socket;
    // In a request: no idle deadline while it is served (an answer may stream for minutes).
    socket.setTimeout(0);
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    res.once('close', () => busy.set(socket, Math.max(0, (busy.get(socket) ?? 1) - 1)));
  });
  return guard;
}
