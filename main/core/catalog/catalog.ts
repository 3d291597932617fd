import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SophonError } from '../errors.ts';
import { serviceOverride, type Settings } from '../settings.ts';
import { BUILTIN_SERVICES } from './builtin/index.ts';
import { GITHUB_HOST_SERVICES, applyGithubHost } from '../providers/github-host.ts';
import { moveOrigins } from './origins.ts';
import { ServiceDefinition, describeIssues, type AuthMethod, type TestCall } from './schema.ts';

export interface ConnectorProblem {
  readonly file: string;
  readonly message: string;
}

/**
 * The services Sophon can connect: built-ins, then custom connectors from
 * $SOPHON_HOME/connectors/*.json, with appsettings.json overrides applied.
 */
export class Catalog {
  private readonly services = new Map<string, ServiceDefinition>();
  private readonly broken = new Map<string, ConnectorProblem>();
  private readonly ranks = new Map<string, number>();

  constructor(
    definitions: readonly ServiceDefinition[],
    readonly problems: readonly ConnectorProblem[] = [],
    private readonly custom: ReadonlySet<string> = new Set(),
  ) {
    for (const definition of definitions) {
      this.services.set(definition.id, definition);
      this.ranks.set(definition.id, this.ranks.size);
    }
    for (const problem of problems) {
      const id = /([^/\\]+)\.json$/.exec(problem.file)?.[1];
      if (id) this.broken.set(id, problem);
    }
  }

  static async load(options: { connectorsDir: string; settings: Settings }): Promise<Catalog> {
    const builtins = BUILTIN_SERVICES.map((input) => ServiceDefinition.parse(input));
    const builtinIds = new Set(builtins.map((s) => s.id));
    const { definitions: custom, problems } = await loadConnectors(options.connectorsDir, builtinIds);
    const all = [...builtins, ...custom].map((definition) => applyOverride(definition, options.settings));
    return new Catalog(all, problems, new Set(custom.map((c) => c.id)));
  }

  list(): ServiceDefinition[] {
    return [...this.services.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(id: string): ServiceDefinition | undefined {
    return this.services.get(id);
  }

  /** The service's place in the order of prominence: built-ins as listed, then custom connectors. */
  rank(id: string): number {
    return this.ranks.get(id) ?? this.ranks.size;
  }

  isCustom(id: string): boolean {
    return this.custom.has(id);
  }

  require(id: string): ServiceDefinition {
    const found = this.services.get(id);
    if (found) return found;
    const problem = this.broken.get(id);
    if (problem) throw new SophonError('CONNECTOR_INVALID', `${problem.file}: ${problem.message} — fix the connector file and retry`);
    const near = [...this.services.keys()].filter((known) => known.includes(id) || id.includes(known)).slice(0, 3);
    const hint = near.length > 0 ? `did you mean ${near.join(', ')}? ` : '';
    throw new SophonError('UNKNOWN_SERVICE', `unknown service "${id}" — ${hint}run \`sophon catalog\` to list services, or add a connector in connectors/${id}.json`);
  }
}

async function loadConnectors(dir: string, builtinIds: ReadonlySet<string>): Promise<{ definitions: ServiceDefinition[]; problems: ConnectorProblem[] }> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { definitions: [], problems: [] };
    throw error;
  }
  const definitions: ServiceDefinition[] = [];
  const problems: ConnectorProblem[] = [];
  const seen = new Set<string>();
  for (const name of names) {
    const file = join(dir, name);
    const result = parseConnector(await readFile(file, 'utf8'), name);
    if (!result.ok) {
      problems.push({ file: `connectors/${name}`, message: result.message });
      continue;
    }
    const { definition } = result;
    if (builtinIds.has(definition.id) || seen.has(definition.id)) {
      problems.push({ file: `connectors/${name}`, message: `id: "${definition.id}" is already taken; choose another id` });
      continue;
    }
    seen.add(definition.id);
    definitions.push(definition);
  }
  return { definitions, problems };
}

/** Validates one connector file's text. Messages name the field: "auth.0.tokenEndpoint: Invalid URL". */
export function parseConnector(text: string, name = 'connector.json'): { ok: true; definition: ServiceDefinition } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `not valid JSON (${(error as Error).message})` };
  }
  const parsed = ServiceDefinition.safeParse(json);
  if (!parsed.success) return { ok: false, message: describeIssues(parsed.error) };
  for (const problem of checkDefinition(parsed.data)) return { ok: false, message: problem };
  void name;
  return { ok: true, definition: parsed.data };
}

/** Checks the schema cannot express: patterns compile, base URL is https or loopback. */
export function checkDefinition(definition: ServiceDefinition): string[] {
  const problems: string[] = [];
  definition.auth.forEach((method, index) => {
    if ('pattern' in method && method.pattern !== undefined) {
      try {
        new RegExp(method.pattern);
      } catch {
        problems.push(`auth.${index}.pattern: not a valid regular expression`);
      }
    }
    if (method.type === 'smtp_imap') {
      for (const side of ['imap', 'smtp'] as const) {
        const server = method[side];
        if (server?.tls === 'plain' && !isLoopbackHost(server.host)) problems.push(`auth.${index}.${side}.tls: "plain" is allowed only for 127.0.0.1/localhost; use "implicit" or "starttls"`);
      }
    }
  });
  const checkTemplate = (template: string, where: string, learnt: readonly string[] = []) => {
    const sample = template.replace(/\{([a-zA-Z][a-zA-Z0-9_]*)\}/g, (_m, param: string) => {
      const declared = definition.params.some((p) => p.name === param) || learnt.includes(param);
      if (!declared) problems.push(`${where}: placeholder {${param}} is not declared in params`);
      return 'example';
    });
    const urlProblem = checkBaseUrl(sample);
    if (urlProblem) problems.push(`${where}: ${urlProblem}`);
  };
  checkTemplate(definition.api.baseUrl, 'api.baseUrl');
  // A test call sends the credential: only to a host the service already names.
  const hosts = new Set([definition.api.baseUrl, ...definition.api.additionalBaseUrls].map((u) => u.replace(/\/+$/, '')));
  const tests: Array<[string, TestCall | undefined]> = [['test', definition.test], ...definition.auth.map((m, i): [string, TestCall | undefined] => [`auth.${i}.test`, 'test' in m ? m.test : undefined])];
  for (const [where, test] of tests) {
    if (test?.baseUrl && !hosts.has(test.baseUrl.replace(/\/+$/, ''))) problems.push(`${where}.baseUrl: ${test.baseUrl} is not api.baseUrl or one of api.additionalBaseUrls`);
  }
  definition.auth.forEach((method, index) => {
    if ((method.type === 'oauth2' || method.type === 'device') && method.baseUrl) checkTemplate(method.baseUrl, `auth.${index}.baseUrl`, Object.keys(method.lookup?.take ?? {}));
  });
  return problems;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/** https anywhere; plain http only to this machine. Returns a problem or undefined. */
export function checkBaseUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL`;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  return `"${value}" must be https (plain http is allowed only for 127.0.0.1/localhost)`;
}

const OVERRIDABLE = {
  oauth2: ['issuer', 'authorizationEndpoint', 'tokenEndpoint', 'revocationEndpoint'],
  device: ['issuer', 'deviceAuthorizationEndpoint', 'tokenEndpoint', 'revocationEndpoint'],
} as const;

function applyOverride(original: ServiceDefinition, settings: Settings): ServiceDefinition {
  const override = serviceOverride(settings, original.id);
  if (Object.keys(override).length === 0) return original;
  // GitHub Enterprise: a host moves every GitHub URL; explicit endpoints below still win.
  const hosted = override.host !== undefined && GITHUB_HOST_SERVICES.has(original.id) ? applyGithubHost(original, override.host) : original;
  const definition = override.origins ? moveOrigins(hosted, override.origins, `Sophon.Services.${original.id}.origins`) : hosted;
  const auth = definition.auth.map((method): AuthMethod => {
    if (method.type !== 'oauth2' && method.type !== 'device') return method;
    const patched: Record<string, unknown> = { ...method };
    for (const key of OVERRIDABLE[method.type]) if (override[key] !== undefined) patched[key] = override[key];
    if (override.clientId !== undefined) patched['defaultClientId'] = override.clientId;
    if (override.scopes !== undefined) patched['scopes'] = override.scopes;
    if (override.loopbackPort !== undefined && method.type === 'oauth2' && method.loopback.match === 'exact') patched['loopback'] = { ...method.loopback, ports: [override.loopbackPort] };
    if (override.responseIssuer !== undefined && method.type === 'oauth2') {
      const previous = method.responseIssuer;
      patched['responseIssuer'] = override.responseIssuer === 'none' ? 'none' : { issuer: override.responseIssuer, always: false, idTokenIssuers: previous && previous !== 'none' ? previous.idTokenIssuers : [] };
    }
    return patched as AuthMethod;
  });
  return { ...definition, auth, api: { ...definition.api, baseUrl: override.baseUrl ?? definition.api.baseUrl } };
}

/**
 * The API base URL for a connection, with its params filled in and the scheme checked: the
 * auth method's own base when its tokens go elsewhere (Atlassian OAuth), else the service's.
 */
export function resolveBaseUrl(definition: ServiceDefinition, params: Readonly<Record<string, string>>, method?: AuthMethod): string {
  const template = (method && (method.type === 'oauth2' || method.type === 'device') && method.baseUrl) || definition.api.baseUrl;
  const filled = template.replace(/\{([a-zA-Z][a-zA-Z0-9_]*)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) {
      const learnt = method && (method.type === 'oauth2' || method.type === 'device') && method.lookup?.take[name] !== undefined;
      // A param learnt at sign-in (Atlassian's cloudId) is missing only on connections made before Sophon learnt it.
      if (learnt) throw new SophonError('NEEDS_REAUTH', `this ${definition.name} connection does not know its ${name} yet — reconnect it with \`sophon connect reauth\` and Sophon finds it after sign-in`);
      throw new SophonError('INVALID_INPUT', `${definition.name} needs the parameter "${name}" — pass --param ${name}=VALUE`);
    }
    return encodeURIComponent(value);
  });
  const problem = checkBaseUrl(filled);
  if (problem) throw new SophonError('INSECURE_URL', `${definition.id} base URL ${problem} — fix Sophon.Services.${definition.id}.baseUrl in appsettings.json`);
  return filled.replace(/\/+$/, '');
}
