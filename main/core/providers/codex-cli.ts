import { join } from 'node:path';
import { z } from 'zod';
import { isoTime, parseStoreJson, readStoreFile, type CliCredential, type CliRead, type CliReader } from './cli-credentials.ts';
import { homeDir, tildify, type ProviderEnvironment } from './environment.ts';
import { jwtExpiry, openaiIdentity } from './jwt.ts';

/** $CODEX_HOME/auth.json (protocols.md, "OpenAI Codex CLI"). */
export const CodexAuthFile = z.looseObject({
  OPENAI_API_KEY: z.string().nullish(),
  tokens: z
    .looseObject({
      id_token: z.string().optional(),
      access_token: z.string().min(1),
      refresh_token: z.string().optional(),
      account_id: z.string().nullish(),
    })
    .nullish(),
  last_refresh: z.string().nullish(),
});

const LOGIN = 'codex login';

export function codexAuthPath(environment: ProviderEnvironment): string {
  const codexHome = environment.env['CODEX_HOME'];
  return join(codexHome && codexHome.trim() !== '' ? codexHome : join(homeDir(environment), '.codex'), 'auth.json');
}

/**
 * Reads the Codex CLI's ChatGPT sign-in. Its refresh tokens are single-use and Codex
 * rotates them itself: refreshing with one here would sign Codex out, so we only read.
 */
export class CodexCliReader implements CliReader {
  readonly cli = 'codex' as const;
  readonly loginCommand = LOGIN;

  constructor(private readonly environment: ProviderEnvironment) {}

  async read(): Promise<CliRead> {
    const file = codexAuthPath(this.environment);
    const where = tildify(file, this.environment);
    const read = await readStoreFile(file);
    if (!read.ok) {
      if (read.problem === 'missing') {
        return this.fail('missing', where, `no Codex sign-in found in ${where} (Codex may keep it in the OS keyring instead) — run \`${LOGIN}\`, or sign in with \`sophon models auth login --provider openai-codex\``);
      }
      if (read.problem === 'unreadable') return this.fail('unreadable', where, `cannot read ${where} (${read.detail}) — check its permissions, or run \`${LOGIN}\``);
      return this.fail('malformed', where, `${where} is not a Codex auth.json (${read.detail}) — run \`${LOGIN}\` to write it again`);
    }
    const parsed = parseStoreJson(read.text, CodexAuthFile);
    if (!parsed.ok) return this.fail('malformed', where, `${where} is not a Codex auth.json (${parsed.detail}) — run \`${LOGIN}\` to write it again`);
    const tokens = parsed.value.tokens;
    if (!tokens) {
      const apiKey = typeof parsed.value.OPENAI_API_KEY === 'string' && parsed.value.OPENAI_API_KEY !== '';
      return apiKey
        ? this.fail('not_subscription', where, `Codex is signed in with an API key, not a ChatGPT plan — add the key with \`sophon connect add openai\`, or run \`${LOGIN}\` and choose ChatGPT`)
        : this.fail('missing', where, `${where} holds no ChatGPT sign-in — run \`${LOGIN}\``);
    }
    const fromId = openaiIdentity(tokens.id_token);
    const fromAccess = openaiIdentity(tokens.access_token);
    const accountId = fromId.accountId ?? fromAccess.accountId ?? tokens.account_id ?? undefined;
    const plan = fromId.plan ?? fromAccess.plan;
    const expiresAt = jwtExpiry(tokens.access_token);
    return {
      ok: true,
      credential: {
        cli: this.cli,
        token: tokens.access_token,
        location: where,
        ...(expiresAt !== undefined ? { expiresAt } : {}),
        ...(accountId ? { account: accountId } : {}),
        ...(plan ? { plan } : {}),
        ...(fromId.email ? { email: fromId.email } : {}),
      },
    };
  }

  expiredMessage(credential: CliCredential): string {
    return `the Codex sign-in in ${credential.location} expired at ${isoTime(credential.expiresAt ?? 0)} and Codex has not refreshed it — run \`codex\` once, or \`${LOGIN}\``;
  }

  private fail(problem: Extract<CliRead, { ok: false }>['problem'], location: string, message: string): CliRead {
    return { ok: false, cli: this.cli, problem, location, message };
  }
}
