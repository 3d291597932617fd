import { SophonError } from '../errors.ts';
import type { ServiceDefinition } from './schema.ts';

/** Fields that name where a person reads or clicks, or an identifier: never moved. */
const KEEP = new Set(['docs', 'docsUrl', 'help', 'clientRegistrationUrl', 'manageUrl', 'responseIssuer', 'scopes', 'match', 'description']);

function origin(value: string, setting: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SophonError('SETTINGS_INVALID', `${setting}: "${value}" is not a URL — write an origin such as "https://login.example.com"`);
  }
  if (url.pathname !== '/' || url.search || url.hash) throw new SophonError('SETTINGS_INVALID', `${setting}: "${value}" must be an origin only (scheme, host, port) — drop the path`);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new SophonError('INSECURE_URL', `${setting}: "${value}" must be https (plain http only for 127.0.0.1/localhost)`);
  }
  return url.origin;
}

/**
 * Applies Sophon.Services.<id>.origins: every URL of the definition on a listed origin moves
 * to the new origin, paths kept (a corporate proxy, a regional mirror, a local simulation).
 */
export function moveOrigins(definition: ServiceDefinition, origins: Readonly<Record<string, string>>, setting: string): ServiceDefinition {
  const moves = Object.entries(origins).map(([from, to]) => [origin(from, setting), origin(to, setting)] as const);
  if (moves.length === 0) return definition;
  const move = (value: string): string => {
    for (const [from, to] of moves) if (value === from || value.startsWith(`${from}/`)) return to + value.slice(from.length);
    return value;
  };
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return move(node);
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, KEEP.has(key) ? value : walk(value)]));
    return node;
  };
  return walk(definition) as ServiceDefinition;
}
