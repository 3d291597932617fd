import { Transform, type TransformCallback } from 'node:stream';

/**
 * Redaction of the credential values in use from what the broker hands back to a skill.
 * A value is looked for as is and in the encodings an upstream might echo it in:
 * percent-encoding (both hex cases, form-style), a JSON string, base64 and base64url —
 * including the value sitting at any byte alignment inside a longer base64 text (a Basic
 * header, a JWT-like blob), which is why there are three base64 fragments per value.
 */
export const REDACTED = '[REDACTED]';
const REDACTED_BYTES = Buffer.from(REDACTED);
/** Fragments shorter than this would match innocent text too often. */
const MIN_FRAGMENT = 8;

function base64Fragments(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const wholeGroups = Math.floor((shift + bytes.length) / 3);
    // Drop the group holding the unknown preceding bytes and the one holding the unknown following bytes.
    const fragment = encoded.slice(shift === 0 ? 0 : 4, wholeGroups * 4);
    if (fragment.length >= MIN_FRAGMENT) {
      out.push(fragment);
      out.push(fragment.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return out;
}

/** Every form of each value to look for, longest first, as bytes. */
export function redactionNeedles(values: Iterable<string>): Buffer[] {
  const forms = new Set<string>();
  for (const value of values) {
    if (value.length < 6) continue;
    forms.add(value);
    const uri = encodeURIComponent(value);
    forms.add(uri);
    forms.add(uri.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()));
    forms.add(uri.replace(/%20/g, '+'));
    const json = JSON.stringify(value).slice(1, -1);
    forms.add(json);
    forms.add(json.replace(/\//g, '\\/'));
    const bytes = Buffer.from(value, 'utf8');
    forms.add(bytes.toString('base64'));
    forms.add(bytes.toString('base64url'));
    for (const fragment of base64Fragments(bytes)) forms.add(fragment);
  }
  return [...forms]
    .filter((f) => f.length >= 6)
    .map((f) => Buffer.from(f, 'utf8'))
    .sort((a, b) => b.length - a.length);
}

/**
 * Replaces every needle occurrence in `buf` that starts before `safeEnd`, earliest first
 * and the longest at a tie. Occurrences starting at or after `safeEnd` may be incomplete
 * and are left for the caller to look at again with more bytes.
 * Returns the output pieces and where scanning stopped.
 */
function scan(buf: Buffer, needles: readonly Buffer[], safeEnd: number, pieces: Buffer[]): number {
  let pos = 0;
  const next = new Array<number>(needles.length).fill(-2);
  for (;;) {
    let best = -1;
    let bestAt = Number.POSITIVE_INFINITY;
    for (let i = 0; i < needles.length; i++) {
      let at = next[i] as number;
      if (at === -1) continue;
      if (at < pos) {
        at = buf.indexOf(needles[i] as Buffer, pos);
        next[i] = at;
        if (at === -1) continue;
      }
      // Needles are sorted longest first, so the first at the earliest position is the longest.
      if (at < bestAt) {
        bestAt = at;
        best = i;
      }
    }
    if (best < 0 || bestAt >= safeEnd) break;
    if (bestAt > pos) pieces.push(buf.subarray(pos, bestAt));
    pieces.push(REDACTED_BYTES);
    pos = bestAt + (needles[best] as Buffer).length;
  }
  return pos;
}

/**
 * The needles of one credential, as bytes for scanning bodies and as latin1 strings (one
 * character per byte, as Node holds header values) for a cheap first look.
 */
export interface NeedleSet {
  readonly bytes: readonly Buffer[];
  readonly strings: readonly string[];
  readonly shortest: number;
}

export function needleSet(values: Iterable<string>): NeedleSet {
  const bytes = redactionNeedles(values);
  return { bytes, strings: bytes.map((b) => b.toString('latin1')), shortest: bytes.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...bytes.map((b) => b.length)) };
}

/** Whether a latin1 string (a header value, a small body) holds any needle. */
function mayHold(text: string, set: NeedleSet): boolean {
  if (text.length < set.shortest) return false;
  for (const needle of set.strings) if (text.includes(needle)) return true;
  return false;
}

/** Redacts a header value (a latin1 string). */
export function redactHeader(value: string, set: NeedleSet): string {
  if (!mayHold(value, set)) return value;
  const out = redactBuffer(Buffer.from(value, 'latin1'), set.bytes);
  return out.toString('latin1');
}

/** Redacts a small whole body, looking first without allocating. */
export function redactSmall(buf: Buffer, set: NeedleSet): Buffer {
  if (buf.length < set.shortest || !mayHold(buf.toString('latin1'), set)) return buf;
  return redactBuffer(buf, set.bytes);
}

/** Redacts a whole buffer. Returns the same buffer when nothing matched. */
export function redactBuffer(buf: Buffer, needles: readonly Buffer[]): Buffer {
  if (needles.length === 0 || buf.length === 0) return buf;
  const pieces: Buffer[] = [];
  const pos = scan(buf, needles, buf.length, pieces);
  if (pieces.length === 0) return buf;
  if (pos < buf.length) pieces.push(buf.subarray(pos));
  return Buffer.concat(pieces);
}

export function redactString(text: string, needles: readonly Buffer[]): string {
  if (needles.length === 0) return text;
  const buf = Buffer.from(text, 'utf8');
  const out = redactBuffer(buf, needles);
  return out === buf ? text : out.toString('utf8');
}

/**
 * Streaming redaction: holds back at most (longest needle − 1) bytes between chunks, so a
 * value split across chunk boundaries is still found, and never holds a whole body.
 */
export class RedactingStream extends Transform {
  private tail: Buffer = Buffer.alloc(0);
  private readonly hold: number;

  constructor(private readonly needles: readonly Buffer[]) {
    super();
    this.hold = Math.max(0, ...needles.map((n) => n.length)) - 1;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const buf = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk;
    const safeEnd = buf.length - this.hold;
    if (safeEnd <= 0) {
      this.tail = Buffer.from(buf);
      callback();
      return;
    }
    const pieces: Buffer[] = [];
    const pos = scan(buf, this.needles, safeEnd, pieces);
    const keepFrom = Math.max(pos, safeEnd);
    if (keepFrom > pos) pieces.push(buf.subarray(pos, keepFrom));
    // Copy the tail: the chunk's memory belongs to the producer.
    this.tail = Buffer.from(buf.subarray(keepFrom));
    for (const piece of pieces) this.push(piece);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.tail.length > 0) this.push(redactBuffer(this.tail, this.needles));
    this.tail = Buffer.alloc(0);
    callback();
  }
}
