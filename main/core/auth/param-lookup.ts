import type { ParamLookup } from '../catalog/oauth-facts.ts';
import type { ServiceDefinition } from '../catalog/schema.ts';
import { SophonError, firstLine } from '../errors.ts';
import type { HttpFetch } from '../ports.ts';

/** The value the lookup must find (params filled in); throws before any browser opens when a param is missing. */
export function lookupTarget(service: ServiceDefinition, lookup: ParamLookup, params: Readonly<Record<string, string>>): string {
  return fill(lookup.match.equals, params, service);
}

function fill(template: string, params: Readonly<Record<string, string>>, service: ServiceDefinition): string {
  return template.replace(/\{([a-zA-Z][a-zA-Z0-9_]*)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) {
      const declared = service.params.find((p) => p.name === name);
      throw new SophonError('INVALID_INPUT', `${service.name} needs ${declared?.label ?? name} to find your site after sign-in — start again with --param ${name}=${declared?.example ?? 'VALUE'}`);
    }
    return value;
  });
}

/**
 * Learns connection params from the provider right after sign-in, with the new access token
 * (Atlassian: GET /oauth/token/accessible-resources → the cloud id of the site named by
 * --param site). Returns only the `take` params.
 */
export async function lookupParams(service: ServiceDefinition, lookup: ParamLookup, accessToken: string, params: Readonly<Record<string, string>>, fetch: HttpFetch): Promise<Record<string, string>> {
  const wanted = lookupTarget(service, lookup, params);
  let body: unknown;
  try {
    const response = await fetch(lookup.url, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(15_000) });
    if (!response.ok) {
      await response.body?.cancel();
      throw new SophonError('PROVIDER_ERROR', `${service.name} answered HTTP ${response.status} to ${new URL(lookup.url).pathname} after sign-in — nothing was stored; sign in again`);
    }
    body = await response.json();
  } catch (error) {
    if (error instanceof SophonError) throw error;
    throw new SophonError('NETWORK_ERROR', `could not ask ${new URL(lookup.url).host} which sites this sign-in reaches (${firstLine(error instanceof Error ? error.message : String(error))}) — nothing was stored; sign in again`, { cause: error });
  }
  const entries = Array.isArray(body) ? (body as Array<Record<string, unknown>>) : [];
  const found = entries.find((entry) => entry && entry[lookup.match.field] === wanted);
  if (!found) {
    const offered = entries.map((entry) => String(entry?.[lookup.match.field])).slice(0, 5);
    throw new SophonError(
      'INVALID_INPUT',
      `this ${service.name} sign-in does not reach ${wanted} (it reaches ${offered.length ? offered.join(', ') : 'no site'}) — nothing was stored; sign in again and grant that site, or pass the right --param`,
    );
  }
  const out: Record<string, string> = {};
  for (const [param, field] of Object.entries(lookup.take)) {
    const value = found[field];
    if (typeof value !== 'string' || value === '') throw new SophonError('PROVIDER_ERROR', `${service.name} named no ${field} for ${wanted} — nothing was stored; sign in again`);
    out[param] = value;
  }
  return out;
}
