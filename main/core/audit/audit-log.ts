import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { openSync, writeSync, closeSync, fsyncSync, readFileSync, writeFileSync, renameSync, fstatSync } from 'node:fs';
import { z } from 'zod';
import type { Clock } from '../ports.ts';

export const AuditActor = z.enum(['host', 'cli', 'skill', 'window', 'runtime']);
export type AuditActor = z.infer<typeof AuditActor>;

/** What one audit line records. Never a secret: ids, names, counts and outcomes only. */
export interface AuditEvent {
  readonly actor: AuditActor;
  readonly action: string;
  readonly connection?: string;
  readonly service?: string;
  readonly skill?: string;
  readonly tool?: string;
  readonly outcome?: 'ok' | 'denied' | 'error';
  readonly reason?: string;
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

export interface AuditEntry extends AuditEvent {
  readonly seq: number;
  readonly ts: string;
}

export interface AuditProblem {
  readonly line: number;
  readonly problem: string;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly lines: number;
  readonly problems: readonly AuditProblem[];
}

const GENESIS = '0'.repeat(64);
const MAC_SUFFIX = /,"mac":"([a-f0-9]{64})"\}$/;

/**
 * The append-only audit trail: one JSON object per line, each carrying the MAC of the
 * line before (`prev`) and its own (`mac`, HMAC-SHA256 under a key kept in the vault),
 * so an edited, reordered or deleted line breaks the chain. `audit.head` records the
 * last seq and MAC so that cutting lines off the end is found as well.
 */
export class AuditLog {
  private fd: number;
  private seq: number;
  private prev: string;
  private headTimer: ReturnType<typeof setTimeout> | undefined;
  /** Events from appendSoon() and when they happened, in call order, waiting to be chained and written. */
  private soon: AuditEvent[] = [];
  private soonAt: number[] = [];
  private soonTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly drainSoonNow = (): void => this.drainSoon();
  private readonly macKey: KeyObject;
  private readonly timestamps = new IsoTimestamps();

  private constructor(
    private readonly file: string,
    private readonly headFile: string,
    private readonly key: Buffer,
    private readonly clock: Pick<Clock, 'now'>,
    state: { fd: number; seq: number; prev: string },
  ) {
    this.fd = state.fd;
    this.seq = state.seq;
    this.prev = state.prev;
    this.macKey = createSecretKey(key);
  }

  static open(options: { file: string; headFile: string; key: Buffer; clock: Pick<Clock, 'now'> }): AuditLog {
    const fd = openSync(options.file, 'a+', 0o600);
    const size = fstatSync(fd).size;
    let seq = 0;
    let prev = GENESIS;
    if (size > 0) {
      const last = lastLine(readFileSync(options.file, 'utf8'));
      if (last !== undefined) {
        try {
          const parsed = JSON.parse(last) as { seq?: unknown; mac?: unknown };
          if (typeof parsed.seq === 'number' && typeof parsed.mac === 'string') {
            seq = parsed.seq;
            prev = parsed.mac;
          }
        } catch {
          // A damaged last line: new lines chain from genesis, and verify reports the break.
        }
      }
    }
    return new AuditLog(options.file, options.headFile, options.key, options.clock, { fd, seq, prev });
  }

  append(event: AuditEvent): AuditEntry {
    this.drainSoon();
    const ts = this.timestamps.of(this.clock.now());
    writeSync(this.fd, this.chain(ts, event));
    this.scheduleHead();
    return { seq: this.seq, ts, ...stripUndefined(event) };
  }

  /**
   * Appends within 10 ms, together with the other lines queued meanwhile: one write for
   * many, for hot paths (the broker proxy writes a line per call). Order and timestamps
   * are those of the calls; read, verify, append, flush and dispose write queued lines first.
   * The event is kept as given until then: pass a fresh object and do not change it.
   */
  appendSoon(event: AuditEvent): void {
    // Only the event and the time are kept here; the line is made and MACed with the others of
    // the batch, which costs the caller (the proxy, once per call) next to nothing.
    this.soon.push(event);
    this.soonAt.push(this.clock.now());
    if (!this.soonTimer) {
      this.soonTimer = setTimeout(this.drainSoonNow, 10);
      this.soonTimer.unref();
    }
  }

  private drainSoon(): void {
    if (this.writeSoon()) this.scheduleHead();
  }

  /** Chains and writes the queued lines; true when there were any. */
  private writeSoon(): boolean {
    if (this.soonTimer) clearTimeout(this.soonTimer);
    this.soonTimer = undefined;
    const events = this.soon;
    if (events.length === 0) return false;
    const at = this.soonAt;
    this.soon = [];
    this.soonAt = [];
    let text = '';
    for (let i = 0; i < events.length; i++) {
      const ts = this.timestamps.of(at[i] as number);
      const event = events[i] as AuditEvent;
      try {
        text += this.chain(ts, event);
      } catch (error) {
        // Still a line for the call, so the lines chained before this one are written and the chain holds.
        text += this.chain(ts, { actor: event.actor, action: String(event.action), outcome: 'error', reason: `the audit event could not be serialised (${(error as Error)?.message ?? String(error)})` });
      }
    }
    writeSync(this.fd, text);
    return true;
  }

  /** The line for the next entry, chained to the one before: the JSON of {seq, ts, ...event, prev, mac}. */
  private chain(ts: string, event: AuditEvent): string {
    const seq = this.seq + 1;
    // JSON.stringify({ seq, ts, ...event }) without copying the event first.
    const json = JSON.stringify(event);
    const members = json.length > 2 ? `,${json.slice(1, -1)}` : '';
    const open = `{"seq":${seq},"ts":"${ts}"${members},"prev":"${this.prev}"`;
    const mac = this.mac(this.prev, `${open}}`);
    this.seq = seq;
    this.prev = mac;
    return `${open},"mac":"${mac}"}\n`;
  }

  /** Newest first. */
  read(filter: { since?: number; skill?: string; connection?: string; action?: string; outcome?: 'ok' | 'failed'; limit?: number; offset?: number } = {}): { entries: AuditEntry[]; total: number } {
    this.drainSoon();
    const lines = readFileSync(this.file, 'utf8').split('\n').filter((line) => line.length > 0);
    const matched: AuditEntry[] = [];
    for (let i = lines.length - 1; i >= 0; i--) {
      let entry: AuditEntry & { prev?: string; mac?: string };
      try {
        entry = JSON.parse(lines[i] as string) as AuditEntry & { prev?: string; mac?: string };
      } catch {
        continue;
      }
      if (filter.since !== undefined && Date.parse(entry.ts) < filter.since) continue;
      if (filter.skill !== undefined && entry.skill !== filter.skill) continue;
      if (filter.connection !== undefined && entry.connection !== filter.connection) continue;
      if (filter.action !== undefined && !entry.action.startsWith(filter.action)) continue;
      if (filter.outcome !== undefined && (filter.outcome === 'ok') !== (entry.outcome === undefined || entry.outcome === 'ok')) continue;
      const { prev: _prev, mac: _mac, ...clean } = entry;
      matched.push(clean);
    }
    const offset = filter.offset ?? 0;
    const limit = filter.limit ?? matched.length;
    return { entries: matched.slice(offset, offset + limit), total: matched.length };
  }

  verify(): AuditVerification {
    this.drainSoon();
    const text = readFileSync(this.file, 'utf8');
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const problems: AuditProblem[] = [];
    let prev = GENESIS;
    let expectedSeq = 1;
    lines.forEach((line, index) => {
      const n = index + 1;
      const match = MAC_SUFFIX.exec(line);
      let parsed: { seq?: unknown; prev?: unknown } | undefined;
      try {
        parsed = JSON.parse(line) as { seq?: unknown; prev?: unknown };
      } catch {
        parsed = undefined;
      }
      if (!match || !parsed) {
        problems.push({ line: n, problem: 'not a valid audit line (edited or damaged)' });
        return;
      }
      const mac = match[1] as string;
      const body = `${line.slice(0, match.index)}}`;
      if (!safeEqual(this.mac(String(parsed.prev), body), mac)) {
        problems.push({ line: n, problem: 'content does not match its MAC (line edited)' });
      } else if (parsed.prev !== prev || parsed.seq !== expectedSeq) {
        problems.push({
          line: n,
          problem: typeof parsed.seq === 'number' && parsed.seq > expectedSeq ? `line(s) ${expectedSeq}..${parsed.seq - 1} missing (deleted)` : `out of order (seq ${String(parsed.seq)}, expected ${expectedSeq})`,
        });
      }
      prev = mac;
      expectedSeq = (typeof parsed.seq === 'number' ? parsed.seq : expectedSeq) + 1;
    });
    const head = this.readHead();
    if (head && head.seq > expectedSeq - 1) {
      problems.push({ line: lines.length, problem: `the trail ends at seq ${expectedSeq - 1} but audit.head records seq ${head.seq}: ${head.seq - expectedSeq + 1} line(s) cut from the end` });
    } else if (head && head.seq === expectedSeq - 1 && head.mac !== prev) {
      problems.push({ line: lines.length, problem: 'the last line differs from the one audit.head records (replaced)' });
    }
    return { ok: problems.length === 0, lines: lines.length, problems };
  }

  flush(): void {
    this.drainSoon();
    if (this.headTimer) clearTimeout(this.headTimer);
    this.headTimer = undefined;
    this.writeHead();
  }

  dispose(): void {
    this.flush();
    try {
      fsyncSync(this.fd);
    } catch {
      // best effort: the lines are already in the OS's hands
    }
    closeSync(this.fd);
  }

  private mac(prev: string, body: string): string {
    return createHmac('sha256', this.macKey).update(`${prev}\n${body}`).digest('hex');
  }

  private scheduleHead(): void {
    if (this.headTimer) return;
    this.headTimer = setTimeout(() => {
      this.headTimer = undefined;
      this.writeHead();
    }, 200);
    this.headTimer.unref();
  }

  private writeHead(): void {
    // The head must never name a line that is not on disk yet.
    this.writeSoon();
    if (this.seq === 0) return;
    const head = { seq: this.seq, mac: this.prev };
    const sig = createHmac('sha256', this.key).update(`head\n${JSON.stringify(head)}`).digest('hex');
    const tmp = `${this.headFile}.tmp`;
    writeFileSync(tmp, JSON.stringify({ ...head, sig }), { mode: 0o600 });
    renameSync(tmp, this.headFile);
  }

  private readHead(): { seq: number; mac: string } | undefined {
    try {
      const raw = JSON.parse(readFileSync(this.headFile, 'utf8')) as { seq: number; mac: string; sig: string };
      const sig = createHmac('sha256', this.key).update(`head\n${JSON.stringify({ seq: raw.seq, mac: raw.mac })}`).digest('hex');
      return safeEqual(sig, raw.sig) ? { seq: raw.seq, mac: raw.mac } : undefined;
    } catch {
      return undefined;
    }
  }
}

function lastLine(text: string): string | undefined {
  const trimmed = text.endsWith('\n') ? text.slice(0, -1) : text;
  const index = trimmed.lastIndexOf('\n');
  const line = trimmed.slice(index + 1);
  return line.length > 0 ? line : undefined;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Date#toISOString, computed once per second: the proxy writes many lines a second. */
export class IsoTimestamps {
  private second = Number.NaN;
  private prefix = '';

  of(ms: number): string {
    if (!Number.isInteger(ms)) return new Date(ms).toISOString();
    const second = Math.floor(ms / 1000);
    if (second !== this.second) {
      const iso = new Date(ms).toISOString();
      this.second = second;
      this.prefix = iso.slice(0, -4);
      return iso;
    }
    const milli = ms - second * 1000;
    return `${this.prefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
  }
}
