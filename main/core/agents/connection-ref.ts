import type { GrantedConnection } from '../broker/broker.ts';
import { SophonError } from '../errors.ts';

/** What a tool call's `connection` names among the skill's granted connections. */
export type RefTarget =
  | { readonly kind: 'connection'; readonly connection: GrantedConnection }
  /** A model provider: the proxy picks the profile by the agent's auth order. */
  | { readonly kind: 'provider'; readonly provider: string; readonly connections: readonly GrantedConnection[] };

export function refName(c: Pick<GrantedConnection, 'service' | 'label'>): string {
  return `${c.service}:${c.label}`;
}

/**
 * Resolves a model's `connection` the way the proxy does (id, service:label, a service
 * granted once, a model provider), but an unnamed or ambiguous one is answered with the
 * labels to choose from — never a guess.
 */
export function resolveRef(granted: readonly GrantedConnection[], ref: string | undefined, skill: string): RefTarget {
  const all = granted.map(refName).join(', ');
  if (granted.length === 0) {
    throw new SophonError('CONNECTION_NOT_FOUND', `none of the connections skill "${skill}" may use exists yet — ask the user to connect one in Sophon (\`sophon connect add <service>\`)`);
  }
  if (ref === undefined || ref.trim() === '') {
    if (granted.length === 1) return { kind: 'connection', connection: granted[0] as GrantedConnection };
    throw new SophonError('AMBIGUOUS_CONNECTION', `name a connection: skill "${skill}" may use ${all}`);
  }
  const name = ref.trim();
  const byId = granted.find((c) => c.connectionId === name);
  if (byId) return { kind: 'connection', connection: byId };
  const colon = name.indexOf(':');
  if (colon > 0) {
    const service = name.slice(0, colon);
    const label = name.slice(colon + 1).toLowerCase();
    const found = granted.find((c) => c.service === service && c.label.toLowerCase() === label);
    if (found) return { kind: 'connection', connection: found };
    const sameService = granted.filter((c) => c.service === service);
    throw new SophonError(
      'CONNECTION_NOT_FOUND',
      sameService.length > 0 ? `no ${service} connection labelled "${name.slice(colon + 1)}" is granted — the ${service} ones are ${sameService.map(refName).join(', ')}` : `"${name}" is not a connection skill "${skill}" may use — it may use ${all}`,
    );
  }
  const ofProvider = granted.filter((c) => c.provider === name);
  if (ofProvider.length > 0) return { kind: 'provider', provider: name, connections: ofProvider };
  const ofService = granted.filter((c) => c.service === name);
  if (ofService.length === 1) return { kind: 'connection', connection: ofService[0] as GrantedConnection };
  if (ofService.length > 1) {
    throw new SophonError('AMBIGUOUS_CONNECTION', `skill "${skill}" may use ${ofService.length} ${name} connections: ${ofService.map((c) => `"${refName(c)}"`).join(', ')} — say which`);
  }
  throw new SophonError('CONNECTION_NOT_FOUND', `"${name}" is not a connection skill "${skill}" may use — it may use ${all}`);
}
