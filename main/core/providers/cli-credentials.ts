import { readFile, stat } from 'node:fs/promises';
import type { z } from 'zod';
import { describeIssues } from '../catalog/schema.ts';
import { SophonError } from '../errors.ts';
import type { Clock } from '../ports.ts';

export const CLI_NAMES = ['claude-code', 'codex', 'gh'] as const;
export type CliName = (typeof CLI_NAMES)[number];

/** A sign-in another program keeps (Claude Code, Codex, gh), as read from its store. */
export interface CliCredential {
  readonly cli: CliName;
  /** Absent when only facts were asked for and the token sits where reading it costs more (gh in the OS keyring). */
  readonly token?: string;
  /** ms since the epoch. */
  readonly expiresAt?: number;
  /** ChatGPT account id (Codex), GitHub login (gh). Not a secret. */
  readonly account?: string;
  /** The plan: Claude's subscriptionType, ChatGPT's plan type. */
  readonly plan?: string;
  readonly email?: string;
  /** Where it was read: a path (with ~), "macOS Keychain …", "$GH_TOKEN". */
  readonly location: string;
}

export type CliProblem = 'missing' | 'malformed' | 'unreadable' | 'not_subscription';

export type CliRead =
  | { readonly ok: true; readonly credential: CliCredential }
  | { readonly ok: false; readonly cli: CliName; readonly problem: CliProblem; readonly location: string; readonly message: string };

/** Reads a CLI's store. Never writes it and never refreshes what it holds: that CLI owns it. */
export interface CliReader {
  readonly cli: CliName;
  /** The command that fixes a missing or broken sign-in. */
  readonly loginCommand: string;
  read(options: { readonly needToken: boolean }): Promise<CliRead>;
  /** The one line for a sign-in whose token has expired and was not refreshed by its CLI. */
  expiredMessage(credential: CliCredential): string;
}

export type FileRead = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly problem: 'missing' | 'unreadable' | 'malformed'; readonly detail: string };

const MAX_STORE_BYTES = 1024 * 1024;

/** Reads a small text file, sorting failures: absent, unreadable (permissions, a directory), too large. */
export async function readStoreFile(path: string): Promise<FileRead> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) return { ok: false, problem: 'unreadable', detail: 'it is a directory' };
    if (info.size > MAX_STORE_BYTES) return { ok: false, problem: 'malformed', detail: `it is ${info.size} bytes, far larger than a credentials file` };
    return { ok: true, text: await readFile(path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, problem: 'missing', detail: 'not found' };
    return { ok: false, problem: 'unreadable', detail: code };
  }
}

/**
 * Parses a store's JSON against its schema. The JSON parser's own message is dropped: it
 * quotes the text around the fault, which may be part of a token.
 */
export function parseStoreJson<T extends z.ZodType>(text: string, schema: T): { ok: true; value: z.output<T> } | { ok: false; detail: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, detail: 'not valid JSON' };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, detail: describeIssues(parsed.error) };
  return { ok: true, value: parsed.data };
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The one-line error for a store that cannot give a token. */
export function cliError(read: Extract<CliRead, { ok: false }>): SophonError {
  return new SophonError('CLI_CREDENTIALS', read.message);
}

/**
 * The token of a CLI's sign-in for use: cached, and read again from the store only when
 * it nears expiry, so that the CLI's own refresh is picked up. Never refreshed here.
 */
export class CliCredentialCache {
  private cached: CliCredential | undefined;
  private pending: Promise<CliCredential> | undefined;

  constructor(
    readonly reader: CliReader,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly marginMs = 5 * 60_000,
  ) {}

  /** `fromStore` tells whether the store was read for this call (the caller audits). */
  async credential(): Promise<{ credential: CliCredential; fromStore: boolean }> {
    const now = this.clock.now();
    const cached = this.cached;
    if (cached && (cached.expiresAt === undefined || cached.expiresAt - now > this.marginMs)) return { credential: cached, fromStore: false };
    this.pending ??= this.load().finally(() => (this.pending = undefined));
    return { credential: await this.pending, fromStore: true };
  }

  /** Forgets the cached token (after the provider rejected it, or the store changed). */
  invalidate(): void {
    this.cached = undefined;
  }

  /** Lets a status read refresh the cache, so both agree. */
  remember(credential: CliCredential): void {
    if (credential.token !== undefined) this.cached = credential;
  }

  private async load(): Promise<CliCredential> {
    const read = await this.reader.read({ needToken: true });
    if (!read.ok) {
      this.cached = undefined;
      throw cliError(read);
    }
    const credential = read.credential;
    if (credential.token === undefined) throw new SophonError('CLI_CREDENTIALS', `${credential.location} gave no token — run \`${this.reader.loginCommand}\``);
    if (credential.expiresAt !== undefined && credential.expiresAt <= this.clock.now()) {
      this.cached = undefined;
      throw new SophonError('CLI_CREDENTIALS', this.reader.expiredMessage(credential));
    }
    this.cached = credential;
    return credential;
  }
}
