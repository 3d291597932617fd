import type { IncomingHttpHeaders } from 'node:http';
import type { ServiceDefinition } from '../catalog/schema.ts';
import { BROKER_TOKEN_PREFIX, isBrokerTokenShape } from './token-store.ts';

/**
 * Where a skill's broker token may arrive. Programs run unmodified under `sophon run` send
 * it wherever their SDK sends its key: `Authorization: Bearer` (OpenAI, OpenRouter, the
 * newer Anthropic SDK), `Authorization: token` (gh, Octokit), or the header or query
 * parameter a service's definition names in `broker.tokenIn` (x-api-key for Anthropic,
 * x-goog-api-key and ?key= for Gemini, api-key for Azure-style connectors). Wherever it
 * came, it is taken out before the request goes upstream.
 */
export interface TokenPlaces {
  /** Lower-case header names, Authorization aside. */
  readonly headers: readonly string[];
  readonly query: readonly string[];
}

/** Every place any service of the catalog names: the token's shape, not the place, says it is one. */
export function tokenPlaces(services: readonly Pick<ServiceDefinition, 'broker'>[]): TokenPlaces {
  const headers = new Set<string>();
  const query = new Set<string>();
  for (const service of services) {
    for (const place of service.broker.tokenIn) {
      if (place.in === 'header') {
        const name = place.name.toLowerCase();
        if (name !== 'authorization') headers.add(name);
      } else query.add(place.name);
    }
  }
  return { headers: [...headers], query: [...query] };
}

export interface FoundToken {
  /** The broker token, when one was found. */
  readonly token: string | undefined;
  /** Two different broker tokens in one request: refused rather than guessed. */
  readonly conflict: boolean;
  /** Headers (besides Authorization, which never goes upstream) that carried it: not forwarded. */
  readonly headers: ReadonlySet<string> | undefined;
  /** Query parameters that carried it: not forwarded. */
  readonly query: ReadonlySet<string> | undefined;
}

const NONE: FoundToken = { token: undefined, conflict: false, headers: undefined, query: undefined };

/** `Bearer <t>` or `token <t>` (either case), or the bare token. */
function tokenIn(value: string): string | undefined {
  if (isBrokerTokenShape(value)) return value;
  const match = /^(?:bearer|token)[ \t]+(\S+)[ \t]*$/i.exec(value);
  return match?.[1] !== undefined && isBrokerTokenShape(match[1]) ? match[1] : undefined;
}

/** Finds the broker token of a proxied request. `url` is the raw request target (for the query). */
export function findToken(headers: IncomingHttpHeaders, url: string, places: TokenPlaces): FoundToken {
  let token: string | undefined;
  let conflict = false;
  let fromHeaders: Set<string> | undefined;
  let fromQuery: Set<string> | undefined;
  const take = (found: string) => {
    if (token === undefined) token = found;
    else if (token !== found) conflict = true;
  };
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const found = tokenIn(authorization);
    if (found !== undefined) take(found);
  }
  for (const name of places.headers) {
    const value = headers[name];
    if (typeof value !== 'string') continue;
    const found = tokenIn(value.trim());
    if (found === undefined) continue;
    take(found);
    (fromHeaders ??= new Set()).add(name);
  }
  const q = url.indexOf('?');
  if (places.query.length > 0 && q >= 0 && url.includes(BROKER_TOKEN_PREFIX, q)) {
    for (const part of url.slice(q + 1).split('&')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const name = part.slice(0, eq);
      if (!places.query.includes(name)) continue;
      let value: string;
      try {
        value = decodeURIComponent(part.slice(eq + 1));
      } catch {
        continue;
      }
      if (!isBrokerTokenShape(value)) continue;
      take(value);
      (fromQuery ??= new Set()).add(name.toLowerCase());
    }
  }
  if (token === undefined && !conflict) return NONE;
  return { token, conflict, headers: fromHeaders, query: fromQuery };
}
