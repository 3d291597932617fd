import { join } from 'node:path';
import { type CliCredential, type CliRead, type CliReader, readStoreFile } from './cli-credentials.ts';
import { findExecutable, homeDir, tildify, type ProviderEnvironment } from './environment.ts';

export interface GhHostEntry {
  readonly user?: string;
  readonly oauthToken?: string;
}

function unquote(raw: string): string {
  const value = raw.trim();
  const quote = value[0];
  if (quote === '"' || quote === "'") {
    const end = value.indexOf(quote, 1);
    if (end > 0) return value.slice(1, end);
  }
  const comment = value.search(/\s#/);
  return (comment >= 0 ? value.slice(0, comment) : value).trim();
}

/**
 * The subset of YAML that gh writes to hosts.yml: top-level keys are hosts, and each
 * host's own `user` and `oauth_token` are plain scalars one level in. Deeper blocks
 * (`users:`) are skipped.
 */
export function parseGhHosts(text: string): Map<string, GhHostEntry> {
  const hosts = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  let childIndent: number | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*(#|$)/.test(line) || line.startsWith('---')) continue;
    const match = /^( *)(.+?):(?:\s+(.*?))?\s*$/.exec(line);
    if (!match) continue;
    const indent = match[1]!.length;
    const key = unquote(match[2]!);
    const value = match[3];
    if (indent === 0) {
      current = value === undefined || value === '' ? {} : undefined;
      if (current) hosts.set(key.toLowerCase(), current);
      childIndent = undefined;
      continue;
    }
    if (!current) continue;
    childIndent ??= indent;
    if (indent === childIndent && value !== undefined && value !== '') current[key] = unquote(value);
  }
  const out = new Map<string, GhHostEntry>();
  for (const [host, fields] of hosts) {
    out.set(host, {
      ...(fields['user'] ? { user: fields['user'] } : {}),
      ...(fields['oauth_token'] ? { oauthToken: fields['oauth_token'] } : {}),
    });
  }
  return out;
}

export function ghConfigDir(environment: ProviderEnvironment): string {
  const { env } = environment;
  if (env['GH_CONFIG_DIR']) return env['GH_CONFIG_DIR'];
  if (env['XDG_CONFIG_HOME']) return join(env['XDG_CONFIG_HOME'], 'gh');
  if (environment.platform === 'win32' && env['AppData']) return join(env['AppData'], 'GitHub CLI');
  return join(homeDir(environment), '.config', 'gh');
}

const LOGIN = 'gh auth login';

/**
 * Reads the GitHub CLI's token for one host (protocols.md, "gh CLI"): GH_TOKEN /
 * GITHUB_TOKEN win (GH_ENTERPRISE_TOKEN / GITHUB_ENTERPRISE_TOKEN for another host), then
 * hosts.yml's `oauth_token`, then `gh auth token` when gh keeps it in the OS keyring and
 * is installed. Only that last step runs a program, and only when the token is needed.
 */
export class GhCliReader implements CliReader {
  readonly cli = 'gh' as const;
  readonly loginCommand = LOGIN;

  constructor(
    private readonly environment: ProviderEnvironment,
    /** A host name: github.com or the Enterprise host. */
    private readonly host: () => string,
  ) {}

  async read(options: { readonly needToken: boolean }): Promise<CliRead> {
    const host = this.host().toLowerCase();
    const { env } = this.environment;
    const names = host === 'github.com' ? ['GH_TOKEN', 'GITHUB_TOKEN'] : ['GH_ENTERPRISE_TOKEN', 'GITHUB_ENTERPRISE_TOKEN'];
    for (const name of names) {
      const value = env[name]?.trim();
      if (value) return { ok: true, credential: { cli: this.cli, token: value, location: `$${name}` } };
    }
    const file = join(ghConfigDir(this.environment), 'hosts.yml');
    const where = tildify(file, this.environment);
    const read = await readStoreFile(file);
    if (!read.ok) {
      if (read.problem === 'missing') return this.fail('missing', where, `gh is not signed in to ${host} (no ${where}) — run \`${LOGIN}\``);
      return this.fail(read.problem, where, `cannot read ${where} (${read.detail}) — check its permissions, or run \`${LOGIN}\``);
    }
    const entry = parseGhHosts(read.text).get(host);
    if (!entry || (!entry.oauthToken && !entry.user)) return this.fail('missing', where, `gh is not signed in to ${host} (${where} has no entry for it) — run \`${LOGIN}\``);
    const account = entry.user ? { account: entry.user } : {};
    if (entry.oauthToken) return { ok: true, credential: { cli: this.cli, token: entry.oauthToken, location: where, ...account } };
    // gh keeps the token in the OS keyring; hosts.yml still names the user.
    const keyring = `the OS keyring (gh:${host})`;
    const gh = await findExecutable(this.environment, 'gh');
    if (!gh) return this.fail('unreadable', keyring, `gh keeps its ${host} token in the OS keyring, and gh is not on PATH to read it — install gh, or run \`${LOGIN} --insecure-storage\``);
    if (!options.needToken) return { ok: true, credential: { cli: this.cli, location: keyring, ...account } };
    const result = await this.environment.run(gh, ['auth', 'token', '--hostname', host]);
    const token = result.code === 0 ? result.stdout.trim() : '';
    if (!token) return this.fail('unreadable', keyring, `\`gh auth token --hostname ${host}\` gave no token (exit ${result.code}) — run \`${LOGIN}\``);
    return { ok: true, credential: { cli: this.cli, token, location: keyring, ...account } };
  }

  expiredMessage(credential: CliCredential): string {
    return `the gh token from ${credential.location} has expired — run \`${LOGIN}\``;
  }

  private fail(problem: Extract<CliRead, { ok: false }>['problem'], location: string, message: string): CliRead {
    return { ok: false, cli: this.cli, problem, location, message };
  }
}
