import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

/**
 * One audit line is `{"seq":N,"ts":…,<event>,"prev":"<64 hex>","mac":"<64 hex>"}`, where
 * mac = HMAC-SHA256(key, prev "\n" <the line without its mac member>). The two hashes sit
 * at fixed places from the end, so a line is checked without parsing its JSON: only a
 * line whose MAC matches was written by us, and only such a line is trusted.
 */
export const GENESIS = '0'.repeat(64);
/** The action of a line the trail writes about itself when it finds it was tampered with. */
export const FINDING = 'audit.finding';
const FINDING_MEMBER = `"action":"${FINDING}"`;
const TAIL = 148; // ,"prev":"<64>","mac":"<64>"}
const SEQ = /^\{"seq":([1-9][0-9]{0,15}),"ts":"/;
const HEX64 = /^[a-f0-9]{64}$/;

export interface Position {
  readonly seq: number;
  readonly mac: string;
}

export type LineCheck =
  | { readonly kind: 'ok'; readonly seq: number; readonly prev: string; readonly mac: string }
  | { readonly kind: 'edited'; readonly seq: number | undefined; readonly mac: string }
  | { readonly kind: 'malformed'; readonly seq: number | undefined };

export function macOf(key: KeyObject, prev: string, body: string): string {
  return createHmac('sha256', key).update(`${prev}\n${body}`).digest('hex');
}

/** The seq a line claims (unverified). */
export function claimedSeq(line: string): number | undefined {
  const match = SEQ.exec(line);
  return match ? Number(match[1]) : undefined;
}

export function checkLine(key: KeyObject, line: string): LineCheck {
  const seq = claimedSeq(line);
  const n = line.length;
  if (seq === undefined || n < TAIL + 20 || !line.endsWith('"}') || line.slice(n - TAIL, n - TAIL + 9) !== ',"prev":"' || line.slice(n - 75, n - 66) !== '","mac":"') {
    return { kind: 'malformed', seq };
  }
  const prev = line.slice(n - TAIL + 9, n - 75);
  const mac = line.slice(n - 66, n - 2);
  if (!HEX64.test(prev) || !HEX64.test(mac)) return { kind: 'malformed', seq };
  const body = `${line.slice(0, n - 74)}}`;
  return safeEqual(macOf(key, prev, body), mac) ? { kind: 'ok', seq, prev, mac } : { kind: 'edited', seq, mac };
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface AuditProblem {
  readonly line: number;
  readonly problem: string;
}

/** At most this many problems are listed; a trail that is garbage throughout stays a short report. */
const MAX_PROBLEMS = 200;

/**
 * Checks the chain line by line as the lines stream past: each line's MAC, its link to the
 * one before, consecutive seqs, and that the lines named by the signed head and by the
 * vault's anchor are there and unchanged.
 */
export class ChainVerifier {
  readonly problems: AuditProblem[] = [];
  lines = 0;
  private prev = GENESIS;
  private expectedSeq = 1;
  private lastSeq = 0;
  private more = 0;
  private readonly seen = new Map<Position, boolean>();

  constructor(
    private readonly key: KeyObject,
    /** Authenticated positions to find in the trail (head, anchor), with what to call them. */
    private readonly marks: ReadonlyArray<{ readonly at: Position; readonly name: string }>,
  ) {
    for (const mark of marks) this.seen.set(mark.at, false);
  }

  line(text: string): void {
    const n = ++this.lines;
    const check = checkLine(this.key, text);
    if (check.kind !== 'ok') {
      this.problem(n, check.kind === 'edited' ? 'content does not match its MAC (line edited)' : 'not a valid audit line (edited or damaged)');
      if (check.seq !== undefined) this.expectedSeq = check.seq + 1;
      // The next line links to what this one claims, so one edit is one finding.
      if (check.kind === 'edited') this.prev = check.mac;
      return;
    }
    if (check.prev !== this.prev || check.seq !== this.expectedSeq) {
      this.problem(n, check.seq > this.expectedSeq ? `line(s) ${this.expectedSeq}..${check.seq - 1} missing (deleted)` : `out of order (seq ${check.seq}, expected ${this.expectedSeq})`);
    }
    for (const mark of this.marks) {
      if (mark.at.seq === check.seq) {
        this.seen.set(mark.at, true);
        if (mark.at.mac !== check.mac) this.problem(n, `seq ${check.seq} differs from the line ${mark.name} records (replaced)`);
      }
    }
    if (text.includes(FINDING_MEMBER)) this.recordedFinding(n, text);
    this.prev = check.mac;
    this.expectedSeq = check.seq + 1;
    this.lastSeq = Math.max(this.lastSeq, check.seq);
  }

  /** A finding the trail wrote about itself when it was opened (a MAC-checked line: ours). */
  private recordedFinding(n: number, text: string): void {
    try {
      const entry = JSON.parse(text) as { action?: unknown; ts?: unknown; reason?: unknown };
      if (entry.action === FINDING) this.problem(n, `found when the trail was opened at ${String(entry.ts)}: ${String(entry.reason)}`);
    } catch {
      // not JSON after all: cannot be, the MAC matched
    }
  }

  /** The findings about the end of the trail, once every line went past. */
  finish(): void {
    for (const mark of this.marks) {
      if (this.seen.get(mark.at)) continue;
      if (mark.at.seq > this.lastSeq) {
        this.problem(this.lines, `the trail ends at seq ${this.lastSeq} but ${mark.name} records seq ${mark.at.seq}: ${mark.at.seq - this.lastSeq} line(s) cut from the end`);
      } else this.problem(this.lines, `seq ${mark.at.seq}, which ${mark.name} records, is not in the trail (deleted)`);
    }
  }

  problem(line: number, problem: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push({ line, problem });
    else this.more++;
  }

  report(): AuditProblem[] {
    return this.more === 0 ? this.problems : [...this.problems, { line: this.lines, problem: `… and ${this.more} more problem(s)` }];
  }
}
