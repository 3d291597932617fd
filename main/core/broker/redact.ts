import { Transform, type TransformCallback } from 'node:stream';
import { IDENTITY, normalise, type Origin } from './redact-normalise.ts';

/**
 * Redaction of the credential values in use from what the broker hands back to a skill.
 *
 * Rather than a list of every form a value can be written in, two steps:
 * 1. escaping is undone (redact-normalise.ts: percent-encoding, JSON/JS string escapes,
 *    HTML character references, line breaks that wrap base64 or hex; two layers deep);
 * 2. the result is searched for the value in each of the three ways bytes are written as
 *    text: as they are, as base64 (standard and URL alphabets, at any of the three byte
 *    alignments it can have inside longer base64, padded or not), and as hex (either case).
 * A match is cut out of the original bytes, over whatever escapes it spanned. README
 * ("What redaction covers") lists what is and is not covered.
 */
export const REDACTED = '[REDACTED]';
const REDACTED_BYTES = Buffer.from(REDACTED);
/** Values shorter than this would match innocent text too often. */
const MIN_VALUE = 6;
/** Base64 fragments shorter than this would too. */
const MIN_FRAGMENT = 8;
/** The most one byte of a value can grow to in text: \u00XX under a second escape, or a wrapped base64 char escaped twice. */
const MAX_GROWTH = 14;

/** The base64 of `bytes` wherever they sit in a longer text: one fragment per byte alignment, both alphabets. */
function base64Forms(bytes: Buffer): string[] {
  const out = [bytes.toString('base64'), bytes.toString('base64url')];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const wholeGroups = Math.floor((shift + bytes.length) / 3);
    // Drop the group holding the unknown preceding bytes and the one holding the unknown following bytes.
    const fragment = encoded.slice(shift === 0 ? 0 : 4, wholeGroups * 4);
    if (fragment.length >= MIN_FRAGMENT) out.push(fragment, fragment.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

/** Every value's forms to look for in normalised text (one character per byte), longest first. */
export function redactionNeedles(values: Iterable<string>): string[] {
  const forms = new Set<string>();
  for (const value of values) {
    const bytes = Buffer.from(value, 'utf8');
    if (bytes.length < MIN_VALUE) continue;
    const raw = bytes.toString('latin1');
    forms.add(raw);
    // Form encoding writes a space as "+", which no decoder can tell from a literal "+".
    if (raw.includes(' ')) forms.add(raw.replace(/ /g, '+'));
    for (const form of base64Forms(bytes)) forms.add(form);
    forms.add(bytes.toString('hex'));
    forms.add(bytes.toString('hex').toUpperCase());
  }
  return [...forms].filter((f) => f.length >= MIN_VALUE).sort((a, b) => b.length - a.length);
}

/** The forms of the values of one credential, ready for scanning. */
export interface NeedleSet {
  readonly needles: readonly string[];
  readonly empty: boolean;
  /** How many bytes a streaming scan holds back: enough for the longest value in its most escaped form. */
  readonly hold: number;
}

export function needleSet(values: Iterable<string>): NeedleSet {
  const list = [...values];
  const needles = redactionNeedles(list);
  const longest = Math.max(0, ...list.map((v) => Buffer.byteLength(v, 'utf8')));
  return { needles, empty: needles.length === 0, hold: needles.length === 0 ? 0 : longest * MAX_GROWTH + 64 };
}

type Range = [start: number, end: number];

/** Where, in `text`, the needles are (in any escaping): sorted, overlapping ones merged. */
function findRanges(text: string, set: NeedleSet): Range[] {
  const normalised = normalise(text);
  const haystack = normalised?.text ?? text;
  const origin: Origin = normalised?.origin ?? IDENTITY;
  const ranges: Range[] = [];
  for (const needle of set.needles) {
    for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) {
      ranges.push([origin.startOf(at), origin.endOf(at + needle.length)]);
    }
  }
  if (ranges.length < 2) return ranges;
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged: Range[] = [ranges[0] as Range];
  for (const range of ranges.slice(1)) {
    const last = merged[merged.length - 1] as Range;
    if (range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push(range);
  }
  return merged;
}

/**
 * Replaces the ranges that start before `safeEnd` with the marker, into `pieces`;
 * returns where the output stopped (at least `safeEnd`, further when a cut runs past it).
 */
function cut(buf: Buffer, ranges: readonly Range[], safeEnd: number, pieces: Buffer[]): number {
  let pos = 0;
  for (const [start, end] of ranges) {
    if (start >= safeEnd) break;
    if (start > pos) pieces.push(buf.subarray(pos, start));
    pieces.push(REDACTED_BYTES);
    pos = end;
  }
  const stop = Math.max(pos, safeEnd);
  if (stop > pos) pieces.push(buf.subarray(pos, stop));
  return stop;
}

/** Redacts a whole buffer. Returns the same buffer when nothing matched. */
export function redactBuffer(buf: Buffer, set: NeedleSet): Buffer {
  if (set.empty || buf.length < MIN_VALUE) return buf;
  const ranges = findRanges(buf.toString('latin1'), set);
  if (ranges.length === 0) return buf;
  const pieces: Buffer[] = [];
  cut(buf, ranges, buf.length, pieces);
  return Buffer.concat(pieces);
}

/** Redacts a small whole body. */
export function redactSmall(buf: Buffer, set: NeedleSet): Buffer {
  return redactBuffer(buf, set);
}

/** Redacts a header value (Node holds them one character per byte). */
export function redactHeader(value: string, set: NeedleSet): string {
  if (set.empty || value.length < MIN_VALUE) return value;
  const ranges = findRanges(value, set);
  if (ranges.length === 0) return value;
  let out = '';
  let pos = 0;
  for (const [start, end] of ranges) {
    out += value.slice(pos, start) + REDACTED;
    pos = end;
  }
  return out + value.slice(pos);
}

export function redactString(text: string, set: NeedleSet): string {
  const buf = Buffer.from(text, 'utf8');
  const out = redactBuffer(buf, set);
  return out === buf ? text : out.toString('utf8');
}

/**
 * Streaming redaction: holds back `set.hold` bytes between chunks (the longest value in its
 * most escaped form), so a value split across chunks is still found, whatever its
 * escaping, and never holds a whole body.
 */
export class RedactingStream extends Transform {
  private tail: Buffer = Buffer.alloc(0);

  constructor(private readonly set: NeedleSet) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const buf = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk;
    const safeEnd = buf.length - this.set.hold;
    if (safeEnd <= 0) {
      this.tail = Buffer.from(buf);
      callback();
      return;
    }
    const pieces: Buffer[] = [];
    const stop = cut(buf, this.set.empty ? [] : findRanges(buf.toString('latin1'), this.set), safeEnd, pieces);
    // Copy the tail: the chunk's memory belongs to the producer.
    this.tail = Buffer.from(buf.subarray(stop));
    for (const piece of pieces) this.push(piece);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.tail.length > 0) this.push(redactBuffer(this.tail, this.set));
    this.tail = Buffer.alloc(0);
    callback();
  }
}
