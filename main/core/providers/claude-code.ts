import { join } from 'node:path';
import { z } from 'zod';
import { isoTime, parseStoreJson, readStoreFile, type CliCredential, type CliRead, type CliReader } from './cli-credentials.ts';
import { homeDir, tildify, type ProviderEnvironment } from './environment.ts';

/** ~/.claude/.credentials.json, and the macOS Keychain item's password: the same JSON. Other keys (mcpOAuth, …) are ignored. */
export const ClaudeCredentials = z.looseObject({
  claudeAiOauth: z.looseObject({
    accessToken: z.string().min(1),
    refreshToken: z.string().optional(),
    /** ms since the epoch. */
    expiresAt: z.number().optional(),
    scopes: z.array(z.string()).optional(),
    subscriptionType: z.string().nullish(),
  }),
});

export const CLAUDE_KEYCHAIN_SERVICE = 'Claude Code-credentials';
const LOGIN = 'claude auth login';

export function claudeCredentialsPath(environment: ProviderEnvironment): string {
  const configDir = environment.env['CLAUDE_CONFIG_DIR'];
  return join(configDir && configDir.trim() !== '' ? configDir : join(homeDir(environment), '.claude'), '.credentials.json');
}

/**
 * Reads Claude Code's own sign-in (protocols.md, "Claude Code CLI credentials"): the
 * Keychain on macOS, else the credentials file. Claude Code refreshes and rotates it;
 * we only read.
 */
export class ClaudeCodeReader implements CliReader {
  readonly cli = 'claude-code' as const;
  readonly loginCommand = LOGIN;

  constructor(private readonly environment: ProviderEnvironment) {}

  async read(): Promise<CliRead> {
    const file = claudeCredentialsPath(this.environment);
    const where = tildify(file, this.environment);
    if (this.environment.platform === 'darwin') {
      const keychain = await this.readKeychain();
      if (keychain) return keychain;
    }
    const read = await readStoreFile(file);
    if (!read.ok) {
      if (read.problem === 'missing') {
        const also = this.environment.platform === 'darwin' ? ` or the macOS Keychain item "${CLAUDE_KEYCHAIN_SERVICE}"` : '';
        return this.fail('missing', where, `no Claude Code sign-in found in ${where}${also} — run \`${LOGIN}\``);
      }
      if (read.problem === 'unreadable') return this.fail('unreadable', where, `cannot read ${where} (${read.detail}) — check its permissions, or run \`${LOGIN}\``);
      return this.fail('malformed', where, `${where} is not a Claude Code credentials file (${read.detail}) — run \`${LOGIN}\` to write it again`);
    }
    return this.parse(read.text, where);
  }

  expiredMessage(credential: CliCredential): string {
    return `the Claude Code sign-in in ${credential.location} expired at ${isoTime(credential.expiresAt ?? 0)} and Claude Code has not refreshed it — run \`claude\` once, or \`${LOGIN}\``;
  }

  /** `security … -w` prints the password on stdout; nothing secret goes in argv. Exit 44: no such item. */
  private async readKeychain(): Promise<CliRead | undefined> {
    const where = `the macOS Keychain item "${CLAUDE_KEYCHAIN_SERVICE}"`;
    const result = await this.environment.run('security', ['find-generic-password', '-s', CLAUDE_KEYCHAIN_SERVICE, '-w']);
    if (result.code === 44) return undefined;
    if (result.code !== 0) {
      return this.fail('unreadable', where, `the macOS Keychain did not give ${where} (security exited with ${result.code}) — allow access when macOS asks, or run \`${LOGIN}\``);
    }
    return this.parse(result.stdout.trim(), where);
  }

  private parse(text: string, where: string): CliRead {
    const parsed = parseStoreJson(text, ClaudeCredentials);
    if (!parsed.ok) return this.fail('malformed', where, `${where} is not a Claude Code credentials file (${parsed.detail}) — run \`${LOGIN}\` to write it again`);
    const oauth = parsed.value.claudeAiOauth;
    return {
      ok: true,
      credential: {
        cli: this.cli,
        token: oauth.accessToken,
        location: where,
        ...(oauth.expiresAt !== undefined ? { expiresAt: oauth.expiresAt } : {}),
        ...(oauth.subscriptionType ? { plan: oauth.subscriptionType } : {}),
      },
    };
  }

  private fail(problem: Extract<CliRead, { ok: false }>['problem'], location: string, message: string): CliRead {
    return { ok: false, cli: this.cli, problem, location, message };
  }
}
