import { SophonError, firstLine, toSophonError } from '../core/base.ts';
import type { AnchorFailureView, ApiResult } from '../api/contract.ts';

/** Ends the command with this exit code, after printing `message` (one line) on stderr when given. */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    readonly note?: string,
  ) {
    super(note ?? `exit ${exitCode}`);
  }
}

export interface Out {
  readonly json: boolean;
  line(text: string): void;
  data(value: unknown): void;
  warn(text: string): void;
}

export function output(json: boolean): Out {
  return {
    json,
    line: (text) => {
      if (!json) process.stdout.write(`${text}\n`);
    },
    data: (value) => {
      if (json) process.stdout.write(`${JSON.stringify(value)}\n`);
    },
    warn: (text) => process.stderr.write(`sophon: warning: ${text}\n`),
  };
}

/** Unwraps an API result or throws its error as a SophonError-like failure. */
export function unwrap<T>(result: ApiResult<T>): T {
  if (result.ok) return result.data;
  const error = new SophonError(result.error.code as SophonError['code'], result.error.message);
  throw error;
}

export function reportError(error: unknown, json: boolean): number {
  const known = toSophonError(error);
  const code = known.code;
  const message = code === 'INTERNAL' && !(error instanceof SophonError) ? `unexpected error: ${firstLine(error instanceof Error ? error.message : String(error))} — please report it` : known.message;
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code, message } })}\n`);
  process.stderr.write(`sophon: ${firstLine(message)}\n`);
  return 1;
}

export function table(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

export function formatExpiry(expiresAt: number | undefined, now = Date.now()): string {
  if (expiresAt === undefined) return 'no expiry';
  const delta = expiresAt - now;
  const abs = Math.abs(delta);
  const text = abs < 60_000 ? `${Math.round(abs / 1000)}s` : abs < 3_600_000 ? `${Math.round(abs / 60_000)}m` : abs < 172_800_000 ? `${Math.round(abs / 3_600_000)}h` : `${Math.round(abs / 86_400_000)}d`;
  return delta >= 0 ? `in ${text}` : `${text} ago`;
}

/** "1h", "30m", "2d", "45s", or an ISO time → ms since the epoch. */
export function parseSince(value: string, now = Date.now()): number {
  const match = /^(\d+)\s*([smhd])$/.exec(value.trim());
  if (match) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
    return now - Number(match[1]) * unit;
  }
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed)) throw new SophonError('INVALID_INPUT', `--since "${value}" is not a duration or a time — use e.g. 1h, 30m, 2d or 2026-01-31T12:00:00Z`);
  return parsed;
}

/** One line for a vault that refuses the audit anchor: what is at stake, and the store's own cause and fix. */
export function anchorWarning(failure: AnchorFailureView): string {
  const times = failure.failures === 1 ? 'once' : `${failure.failures} times`;
  return `the vault refused to record where the audit trail ends (${times} since ${failure.since}: ${failure.message}) — audit lines since then are not protected against a rollback of the audit files until a write succeeds; it is tried again with the next lines`;
}
