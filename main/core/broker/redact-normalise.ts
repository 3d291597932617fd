/**
 * Undoes the escaping that JSON, URL, HTML and MIME/PEM writers put over text, so a value
 * can be looked for in one form whatever escaping it came in, and says where each character
 * of the result came from, so what is found can be cut out of the original bytes.
 *
 * Text here is "binary": one character per byte (latin1), as bodies and header values
 * arrive. Decoded characters are the UTF-8 bytes of what an escape names.
 *
 * Undone: `%XX` (any case, any subset of bytes), `\uXXXX` (surrogate pairs too), `\xXX`,
 * `\/ \\ \" \' \b \f \t`, HTML numeric references `&#NN;` `&#xHH;` and `&amp; &quot; &apos;
 * &lt; &gt;`; line breaks (`\r\n`, `\n`, and JSON's `\n` `\r` escapes) are dropped where they
 * wrap base64 or hex (before a base64 character). A second pass undoes a second layer
 * (`%252B`, `\\u002B`).
 */
const ESCAPE = /\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|%([0-9A-Fa-f]{2})|\\u([0-9A-Fa-f]{4})|\\x([0-9A-Fa-f]{2})|\\([/\\"'bftrn])|&#[xX]([0-9A-Fa-f]{1,6});|&#([0-9]{1,7});|&(amp|quot|apos|lt|gt);|\r?\n(?=[A-Za-z0-9+/_-])/g;
const SIMPLE: Readonly<Record<string, string>> = { '/': '/', '\\': '\\', '"': '"', "'": "'", b: '\b', f: '\f', t: '\t', r: '', n: '' };
const NAMED: Readonly<Record<string, string>> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>' };
const BASE64_CHAR = /[A-Za-z0-9+/=_-]/;

/** The UTF-8 bytes of a code point, one character per byte. */
function utf8Chars(codePoint: number): string {
  if (codePoint < 0x80) return String.fromCharCode(codePoint);
  if (codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return '\ufffd';
  return Buffer.from(String.fromCodePoint(codePoint), 'utf8').toString('latin1');
}

/** What one match stands for; `m` holds the whole match, then the capture groups. */
function decodeGroups(m: readonly (string | undefined)[]): string {
  if (m[1] !== undefined) {
    const high = Number.parseInt(m[1], 16);
    const low = Number.parseInt(m[2] as string, 16);
    return utf8Chars(0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00));
  }
  if (m[3] !== undefined) return String.fromCharCode(Number.parseInt(m[3], 16));
  if (m[4] !== undefined) return utf8Chars(Number.parseInt(m[4], 16));
  if (m[5] !== undefined) return String.fromCharCode(Number.parseInt(m[5], 16));
  if (m[6] !== undefined) return SIMPLE[m[6]] ?? '';
  if (m[7] !== undefined) return utf8Chars(Number.parseInt(m[7], 16));
  if (m[8] !== undefined) return utf8Chars(Number.parseInt(m[8], 10));
  if (m[9] !== undefined) return NAMED[m[9]] ?? '';
  return ''; // a line break inside base64
}

/** Where the characters of a normalised text came from in the text it was made of. */
export interface Origin {
  /** Start, in the original, of the character at `index` of the normalised text. */
  startOf(index: number): number;
  /** End (exclusive), in the original, of the text ending (exclusive) at `index`. */
  endOf(index: number): number;
}

const IDENTITY: Origin = { startOf: (i) => i, endOf: (i) => i };

/** Replacements, in order: normalised start, original start, decoded length, original length. */
class Breaks implements Origin {
  constructor(private readonly at: Int32Array, private readonly count: number) {}

  private last(index: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.at[mid * 4] as number) <= index) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  startOf(index: number): number {
    const i = this.last(index);
    if (i < 0) return index;
    const [n, o, d, l] = [this.at[i * 4] as number, this.at[i * 4 + 1] as number, this.at[i * 4 + 2] as number, this.at[i * 4 + 3] as number];
    return index < n + d ? o : o + l + (index - n - d);
  }

  endOf(index: number): number {
    if (index === 0) return 0;
    const i = this.last(index - 1);
    if (i < 0) return index;
    const [n, o, d, l] = [this.at[i * 4] as number, this.at[i * 4 + 1] as number, this.at[i * 4 + 2] as number, this.at[i * 4 + 3] as number];
    return index - 1 < n + d ? o + l : o + l + (index - n - d);
  }
}

function onePass(text: string): { text: string; origin: Origin } | undefined {
  let at: Int32Array | undefined;
  let count = 0;
  // Normalised length minus original length so far: where the next replacement lands.
  let shift = 0;
  const out = text.replace(ESCAPE, (...args: unknown[]) => {
    const match = args[0] as string;
    const start = args[10] as number;
    // A line break counts only between two base64 characters (the wrap of an encoded blob).
    if (match.endsWith('\n') && !(start > 0 && BASE64_CHAR.test(text[start - 1] as string))) return match;
    const decoded = decodeGroups(args as string[]);
    at ??= new Int32Array(256);
    if ((count + 1) * 4 > at.length) {
      const bigger = new Int32Array(at.length * 2);
      bigger.set(at);
      at = bigger;
    }
    at[count * 4] = start + shift;
    at[count * 4 + 1] = start;
    at[count * 4 + 2] = decoded.length;
    at[count * 4 + 3] = match.length;
    count++;
    shift += decoded.length - match.length;
    return decoded;
  });
  return at && count > 0 ? { text: out, origin: new Breaks(at, count) } : undefined;
}

function compose(outer: Origin, inner: Origin): Origin {
  return { startOf: (i) => outer.startOf(inner.startOf(i)), endOf: (i) => outer.endOf(inner.endOf(i)) };
}

/** The text with up to two layers of escaping undone, or undefined when there was none. */
export function normalise(text: string): { readonly text: string; readonly origin: Origin } | undefined {
  const first = onePass(text);
  if (!first) return undefined;
  const second = onePass(first.text);
  return second ? { text: second.text, origin: compose(first.origin, second.origin) } : first;
}

export { IDENTITY };
