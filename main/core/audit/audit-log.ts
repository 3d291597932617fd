import { createSecretKey, type KeyObject } from 'node:crypto';
import { openSync, writeSync, closeSync, fsyncSync, renameSync } from 'node:fs';
import { z } from 'zod';
import { firstLine } from '../errors.ts';
import type { Clock } from '../ports.ts';
import { ChainVerifier, FINDING, GENESIS, macOf, type AuditProblem, type Position } from './audit-chain.ts';
import { forEachLine, forEachLineBackwards, OVERLONG, sealedName, trailFiles } from './audit-files.ts';
import { readHead, writeHead, type AnchorPosition, type AuditAnchor, type HeadState } from './audit-head.ts';
import { cutTornLine, resumePosition, type Resumed } from './audit-resume.ts';
import { IsoTimestamps } from './iso-timestamps.ts';

export { IsoTimestamps } from './iso-timestamps.ts';
export { AnchorPosition, type AuditAnchor } from './audit-head.ts';
export type { AuditProblem } from './audit-chain.ts';

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

export interface AuditVerification {
  readonly ok: boolean;
  readonly lines: number;
  readonly problems: readonly AuditProblem[];
}

export interface AuditFilter {
  readonly since?: number;
  readonly skill?: string;
  readonly connection?: string;
  readonly action?: string;
  /** "ok", or "failed" for every other outcome (error, denied…). */
  readonly outcome?: 'ok' | 'failed';
  readonly limit?: number;
  readonly offset?: number;
}

export interface AuditPage {
  readonly entries: AuditEntry[];
  /** Matching entries; a lower bound when `complete` is false. */
  readonly total: number;
  /** False when counting stopped before the start of the trail (a filtered count over a huge trail). */
  readonly complete: boolean;
}

export interface AuditLogOptions {
  /** The active file, audit/audit.jsonl; sealed segments go beside it. */
  readonly file: string;
  readonly headFile: string;
  readonly key: Buffer;
  readonly clock: Pick<Clock, 'now'>;
  /** Where the trail's position is kept out of reach of the audit files (the vault). */
  readonly anchor?: AuditAnchor;
  /** At most one anchor write this often while lines keep coming (default 1 s; flush and dispose write at once). A remote vault wants fewer. */
  readonly anchorEveryMs?: number;
  /** Rotate the active file into a sealed segment past this size (default 64 MiB). */
  readonly segmentBytes?: number;
  /**
   * The vault was just put back from its backup by `sophon vault restore` (under the owner
   * lock, with the key): its older anchor is then that restore, recorded as a `vault.restore`
   * line with these details, not a finding that reads as tampering for ever after.
   */
  readonly restored?: Readonly<Record<string, number | string>>;
}

const SEGMENT_BYTES = 64 * 1024 * 1024;
const HEAD_DELAY_MS = 200;
const ANCHOR_EVERY_MS = 1000;
/** How many lines a filtered count looks at past the page before it settles for "at least". */
const COUNT_BUDGET = 200_000;

/**
 * The append-only audit trail: one JSON object per line, each carrying the MAC of the
 * line before (`prev`) and its own (`mac`, HMAC-SHA256 under a key kept in the vault), so
 * an edited, reordered or deleted line breaks the chain. The trail is split into segments
 * of bounded size and only ever read in chunks: opening it reads its end, verifying it
 * streams it, so neither costs memory in proportion to its size. Where it ends is kept
 * in `audit.head` and in the vault (see audit-head.ts), so cutting lines off the end,
 * deleting the head, or rolling both back is found as well.
 */
export class AuditLog {
  private fd: number;
  private size: number;
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
  /** The number of the newest anchor write known durable, and what it recorded. */
  private anchored: AnchorPosition | undefined;
  private anchorN: number;
  private anchorTimer: ReturnType<typeof setTimeout> | undefined;
  private anchorInFlight: Promise<void> | undefined;
  private anchorAgain = false;
  private lastAnchorAt = 0;
  private anchorFailed: AnchorFailure | undefined;
  private closed = false;

  private constructor(
    private readonly options: AuditLogOptions,
    state: { fd: number; size: number; position: Position; anchorN: number },
  ) {
    this.fd = state.fd;
    this.size = state.size;
    this.seq = state.position.seq;
    this.prev = state.position.mac;
    this.anchorN = state.anchorN;
    this.anchored = options.anchor?.recorded;
    this.macKey = createSecretKey(options.key);
  }

  static async open(options: AuditLogOptions): Promise<AuditLog> {
    const fd = openSync(options.file, 'a+', 0o600);
    const size = cutTornLine(fd);
    const files = await trailFiles(options.file);
    const empty = await trailIsEmpty(files);
    let head = readHead(options.headFile, options.key);
    if (empty && head.state === 'missing') {
      // A head from the first moment: from now on, a trail without one lost it.
      writeHead(options.headFile, options.key, { seq: 0, mac: GENESIS });
      head = readHead(options.headFile, options.key);
    }
    const anchor = options.anchor?.recorded;
    const signed = head.state === 'ok' ? head.head : undefined;
    const recorded = furthest(signed, anchor);
    const resumed = await resumePosition(files, createSecretKey(options.key), recorded);
    const headN = signed?.n ?? 0;
    const log = new AuditLog(options, { fd, size, position: resumed.position, anchorN: Math.max(headN, anchor?.n ?? 0) });
    const findings = openFindings({ head, empty, anchor, recorded, resumed, anchored: options.anchor !== undefined });
    for (const finding of findings) {
      if (finding.kind === 'older-vault' && options.restored) continue;
      log.append({ actor: 'host', action: FINDING, outcome: 'error', reason: finding.reason });
    }
    if (options.restored) {
      const older = findings.find((finding) => finding.kind === 'older-vault');
      log.append({ actor: 'cli', action: 'vault.restore', outcome: 'ok', detail: { ...options.restored, ...(older ? { anchorWas: anchor?.n ?? 0, trailSaw: headN } : {}) } });
    }
    return log;
  }

  append(event: AuditEvent): AuditEntry {
    this.drainSoon();
    const ts = this.timestamps.of(this.options.clock.now());
    this.write(this.chain(ts, event));
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
    this.soonAt.push(this.options.clock.now());
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
    this.write(text);
    return true;
  }

  /** Writes whole lines, then seals the active file into a segment once it is big enough. */
  private write(text: string): void {
    this.size += writeSync(this.fd, text);
    if (this.size >= (this.options.segmentBytes ?? SEGMENT_BYTES)) this.rotate();
  }

  private rotate(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.options.file, sealedName(this.options.file, this.seq));
    this.fd = openSync(this.options.file, 'a+', 0o600);
    this.size = 0;
  }

  /** The line for the next entry, chained to the one before: the JSON of {seq, ts, ...event, prev, mac}. */
  private chain(ts: string, event: AuditEvent): string {
    const seq = this.seq + 1;
    // JSON.stringify({ seq, ts, ...event }) without copying the event first.
    const json = JSON.stringify(event);
    const members = json.length > 2 ? `,${json.slice(1, -1)}` : '';
    const open = `{"seq":${seq},"ts":"${ts}"${members},"prev":"${this.prev}"`;
    const mac = macOf(this.macKey, this.prev, `${open}}`);
    this.seq = seq;
    this.prev = mac;
    return `${open},"mac":"${mac}"}\n`;
  }

  /** Newest first, read from the end of the trail: a page costs what it shows, not the trail's size. */
  async read(filter: AuditFilter = {}): Promise<AuditPage> {
    this.drainSoon();
    const offset = filter.offset ?? 0;
    const limit = filter.limit ?? Number.POSITIVE_INFINITY;
    const filtered = filter.skill !== undefined || filter.connection !== undefined || filter.action !== undefined || filter.outcome !== undefined || filter.since !== undefined;
    const entries: AuditEntry[] = [];
    let matched = 0;
    let looked = 0;
    let complete = true;
    await forEachLineBackwards(await trailFiles(this.options.file), (line) => {
      if (entries.length >= limit && (!filtered || ++looked > COUNT_BUDGET)) {
        complete = false;
        return false;
      }
      if (line === OVERLONG) return true;
      let entry: AuditEntry & { prev?: string; mac?: string };
      try {
        entry = JSON.parse(line) as AuditEntry & { prev?: string; mac?: string };
      } catch {
        return true;
      }
      if (filter.since !== undefined && Date.parse(entry.ts) < filter.since) return false;
      if (filter.skill !== undefined && entry.skill !== filter.skill) return true;
      if (filter.connection !== undefined && entry.connection !== filter.connection) return true;
      if (filter.action !== undefined && !String(entry.action).startsWith(filter.action)) return true;
      if (filter.outcome !== undefined && (filter.outcome === 'ok') !== (entry.outcome === undefined || entry.outcome === 'ok')) return true;
      if (matched++ >= offset && entries.length < limit) {
        const { prev: _prev, mac: _mac, ...clean } = entry;
        entries.push(clean);
      }
      return true;
    });
    // Unfiltered, every line is an entry: the newest seq counts them without reading them all.
    const total = complete ? matched : filtered ? matched : Math.max(matched, this.seq);
    return { entries, total, complete: complete || !filtered };
  }

  /** Streams every segment through the chain check; memory stays flat in the trail's size. */
  async verify(): Promise<AuditVerification> {
    this.drainSoon();
    const head = readHead(this.options.headFile, this.options.key);
    const marks: Array<{ at: Position; name: string }> = [];
    if (head.state === 'ok') marks.push({ at: head.head, name: 'audit.head' });
    if (this.anchored) marks.push({ at: this.anchored, name: 'the vault (its anchor of the trail)' });
    const verifier = new ChainVerifier(this.macKey, marks);
    await forEachLine(await trailFiles(this.options.file), (line) => verifier.line(line));
    verifier.finish();
    headFindings(head, verifier);
    const problems = verifier.report();
    return { ok: problems.length === 0, lines: verifier.lines, problems };
  }

  /** How often at most the anchor is written while lines keep coming; undefined without an anchor. */
  get anchorEveryMs(): number | undefined {
    return this.options.anchor ? (this.options.anchorEveryMs ?? ANCHOR_EVERY_MS) : undefined;
  }

  /** Set while the vault refuses the anchor (since the first failure, until a write succeeds): lines after the last anchor are not protected against a rollback of the audit files. */
  anchorFailure(): AnchorFailure | undefined {
    return this.anchorFailed;
  }

  /** Writes queued lines and the head now, and asks for an anchor write (see settle). */
  flush(): void {
    this.drainSoon();
    if (this.headTimer) clearTimeout(this.headTimer);
    this.headTimer = undefined;
    this.writeHead();
    this.anchorSoon(0);
  }

  /** flush(), then waits until the anchor in the vault records where the trail ends. */
  async settle(): Promise<void> {
    this.flush();
    while (this.anchorInFlight) await this.anchorInFlight;
  }

  async dispose(): Promise<void> {
    if (this.closed) return;
    await this.settle();
    this.closed = true;
    if (this.anchorTimer) clearTimeout(this.anchorTimer);
    try {
      fsyncSync(this.fd);
    } catch {
      // best effort: the lines are already in the OS's hands
    }
    closeSync(this.fd);
  }

  private scheduleHead(): void {
    if (this.headTimer) return;
    this.headTimer = setTimeout(() => {
      this.headTimer = undefined;
      this.writeHead();
      this.anchorSoon(this.options.anchorEveryMs ?? ANCHOR_EVERY_MS);
    }, HEAD_DELAY_MS);
    this.headTimer.unref();
  }

  private writeHead(): void {
    // The head must never name a line that is not on disk yet.
    this.writeSoon();
    if (this.seq === 0 || this.closed) return;
    writeHead(this.options.headFile, this.options.key, { seq: this.seq, mac: this.prev, ...(this.anchorN > 0 ? { n: this.anchorN } : {}) });
  }

  /** Records the position in the vault, at most once per `every` ms; one write at a time. */
  private anchorSoon(every: number): void {
    const anchor = this.options.anchor;
    if (!anchor || this.closed) return;
    if (this.anchored?.seq === this.seq && this.anchored.mac === this.prev) return;
    if (this.anchorInFlight) {
      this.anchorAgain = true;
      return;
    }
    const wait = this.lastAnchorAt + every - Date.now();
    if (wait > 0) {
      if (!this.anchorTimer) {
        this.anchorTimer = setTimeout(() => {
          this.anchorTimer = undefined;
          this.anchorSoon(0);
        }, wait);
        this.anchorTimer.unref();
      }
      return;
    }
    if (this.anchorTimer) clearTimeout(this.anchorTimer);
    this.anchorTimer = undefined;
    const position: AnchorPosition = { seq: this.seq, mac: this.prev, n: this.anchorN + 1 };
    this.lastAnchorAt = Date.now();
    this.anchorInFlight = anchor.record(position).then(
      () => {
        this.anchored = position;
        this.anchorN = Math.max(this.anchorN, position.n);
        this.anchorFailed = undefined;
        this.writeHead();
      },
      (error: unknown) => {
        // Kept until a write succeeds (the next batch tries again): `sophon doctor`, `connect status` and a one-shot command's stderr say so.
        this.anchorFailed = {
          since: this.anchorFailed?.since ?? new Date(this.options.clock.now()).toISOString(),
          failures: (this.anchorFailed?.failures ?? 0) + 1,
          message: firstLine(error instanceof Error ? error.message : String(error)),
        };
      },
    );
    void this.anchorInFlight.finally(() => {
      this.anchorInFlight = undefined;
      if (this.anchorAgain) {
        this.anchorAgain = false;
        this.anchorSoon(this.options.anchorEveryMs ?? ANCHOR_EVERY_MS);
      }
    });
  }
}

export interface AnchorFailure {
  /** When the first write of this run of failures failed (ISO 8601). */
  readonly since: string;
  readonly failures: number;
  /** The vault's one-line error of the latest failure. */
  readonly message: string;
}

/** Appended as lines of their own when the trail is opened, so that they stay found: verify reports every one. */
interface Finding {
  readonly kind: 'older-vault' | 'other';
  readonly reason: string;
}

const other = (reason: string): Finding => ({ kind: 'other', reason });

function openFindings(at: { head: HeadState; empty: boolean; anchor: AnchorPosition | undefined; recorded: Position | undefined; resumed: Resumed; anchored: boolean }): Finding[] {
  const { head, anchor, recorded, resumed } = at;
  const found: Finding[] = [];
  if (head.state === 'missing' && !at.empty) found.push(other('audit.head was missing when the trail was opened (deleted?)'));
  if (head.state === 'invalid') found.push(other('audit.head was edited or damaged when the trail was opened (its signature did not match)'));
  if (head.state === 'ok' && anchor && head.head.seq < anchor.seq) found.push(other(`audit.head (seq ${head.head.seq}) was behind the vault's record of the trail (seq ${anchor.seq}): it was rolled back`));
  if (recorded && !resumed.confirmed) {
    found.push(other(resumed.end < recorded.seq
        ? `the trail ended at seq ${resumed.end} but seq ${recorded.seq} was recorded: ${recorded.seq - resumed.end} line(s) were cut from the end`
        : `seq ${recorded.seq}, recorded as where the trail ended, was missing or replaced`,
    ));
  }
  const headN = head.state === 'ok' ? (head.head.n ?? 0) : 0;
  if (at.anchored && headN > (anchor?.n ?? 0)) {
    found.push({ kind: 'older-vault', reason: `vault.enc is older than the audit trail knows (its anchor ${anchor?.n ?? 'none'}, the trail saw ${headN}): it was rolled back to an earlier copy or restored from its backup` });
  }
  return found;
}

async function trailIsEmpty(files: readonly string[]): Promise<boolean> {
  let empty = true;
  await forEachLine(files, () => {
    empty = false;
    return false;
  });
  return empty;
}

function furthest(head: Position | undefined, anchor: Position | undefined): Position | undefined {
  if (!head) return anchor;
  if (!anchor) return head;
  // The anchor lives in the vault, out of reach of the audit files: it wins a tie.
  return head.seq > anchor.seq ? head : anchor;
}

function headFindings(head: HeadState, verifier: ChainVerifier): void {
  if (head.state === 'missing' && verifier.lines > 0) verifier.problem(verifier.lines, 'audit.head is missing (deleted?): where the trail should end cannot be checked against it');
  if (head.state === 'invalid') verifier.problem(verifier.lines, 'audit.head was edited or damaged (its signature does not match)');
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
