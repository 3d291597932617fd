import type { ServiceDefinition } from '../catalog/schema.ts';
import type { TokenConnection } from '../broker/token-store.ts';

/** What `sophon run` changes in its child's environment. */
export interface RunEnvironment {
  /** Variables to set: each granted connection's (its service's `env`), and the broker's address and token. */
  readonly env: Readonly<Record<string, string>>;
  /** Variables to remove first: every name any service's `env` lists, so no real key from the parent reaches the child. */
  readonly unset: readonly string[];
  readonly warnings: readonly string[];
}

/** The proxy's address and the token, for programs that call it themselves. */
export const BROKER_URL_VAR = 'SOPHON_BROKER_URL';
export const BROKER_TOKEN_VAR = 'SOPHON_BROKER_TOKEN';

/**
 * The child's variables for one broker token. A connection of a model provider is reached
 * as `/proxy/<provider>` (the token's agent's auth order picks the profile at each call),
 * so a provider's services (the Anthropic API key and the Claude subscription) agree on
 * one set. Two connections of any other service, or two services wanting one variable with
 * different values, would be a guess: the variable is left out, with a warning naming the
 * `--connection` that settles it.
 */
export function runEnvironment(options: {
  readonly catalog: readonly ServiceDefinition[];
  readonly service: (id: string) => ServiceDefinition | undefined;
  readonly connections: readonly TokenConnection[];
  readonly proxyUrl: string;
  readonly token: string;
}): RunEnvironment {
  const unset = [...new Set(options.catalog.flatMap((s) => s.env.map((v) => v.name)))].sort();
  const warnings: string[] = [];
  const wanted = new Map<string, { value: string; from: string }>();
  const clashes = new Set<string>();
  const byService = new Map<string, TokenConnection[]>();
  for (const c of options.connections) byService.set(c.service, [...(byService.get(c.service) ?? []), c]);
  for (const [serviceId, connections] of byService) {
    const service = options.service(serviceId);
    const first = connections[0] as TokenConnection;
    if (!service || !service.env.some((v) => v.value !== undefined)) continue;
    if (connections.length > 1 && first.provider === undefined) {
      const refs = connections.map((c) => `${c.service}:${c.label}`);
      warnings.push(`${service.env.filter((v) => v.value !== undefined).map((v) => v.name).join(', ')} not set: the skill may use ${refs.length} ${service.name} connections (${refs.join(', ')}) — pass --connection ${refs[0]} to choose one`);
      continue;
    }
    const segment = first.provider ?? first.connectionId;
    const from = first.provider ?? `${first.service}:${first.label}`;
    const baseUrl = `${options.proxyUrl}/${encodeURIComponent(segment)}`;
    for (const variable of service.env) {
      if (variable.value === undefined) continue;
      const value = variable.value.replace(/\{baseUrl\}/g, baseUrl).replace(/\{token\}/g, options.token);
      const before = wanted.get(variable.name);
      if (before && before.value !== value) {
        clashes.add(variable.name);
        warnings.push(`${variable.name} not set: both ${before.from} and ${from} would set it — pass --connection to choose one`);
      } else wanted.set(variable.name, { value, from });
    }
  }
  const env: Record<string, string> = {};
  for (const [name, { value }] of wanted) if (!clashes.has(name)) env[name] = value;
  env[BROKER_URL_VAR] = options.proxyUrl;
  env[BROKER_TOKEN_VAR] = options.token;
  return { env, unset, warnings };
}
