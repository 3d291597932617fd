import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { SophonError } from '../errors.ts';

/**
 * vault.enc layout:
 *
 *   "SOPHON-VAULT 1\n" <header JSON> "\n"
 *   index:   per segment, iv (12) | tag (16) | length (4, big-endian)
 *   mac:     HMAC-SHA256(macKey, header JSON | index)            (32)
 *   bodies:  the segments' ciphertexts, in order
 *
 * Records are spread over a fixed number of segments by a hash of their key; each
 * segment is AES-256-GCM with the header and its own number as AAD. A change re-encrypts
 * only the segments it touched, so persisting one change costs little more than writing
 * the file. The MAC over the index binds every segment's tag, so a segment cannot be
 * swapped, dropped, reordered or rolled back on its own, and the header (which protector
 * sealed the data key, and how) cannot change unnoticed either.
 *
 * A segment's plaintext is one record per line: <JSON key> "\t" <JSON value>. JSON
 * escapes tabs and newlines, so the split is unambiguous, and values stay unparsed until read.
 */
export const MAGIC = 'SOPHON-VAULT 1\n';
const INDEX_ENTRY = 32;
const MAC_LENGTH = 32;

export const VaultHeader = z.object({
  format: z.literal('sophon-vault'),
  version: z.literal(1),
  vaultId: z.string().regex(/^[a-f0-9]{32}$/),
  cipher: z.literal('aes-256-gcm'),
  segments: z.number().int().min(1).max(4096),
  protector: z.looseObject({ kind: z.enum(['safe-storage', 'keyring', 'passphrase']) }),
});
export type VaultHeader = z.infer<typeof VaultHeader>;

export interface VaultKeys {
  readonly enc: Buffer;
  readonly mac: Buffer;
}

/** Separate keys for segment encryption and the index MAC, derived from the data key. */
export function deriveKeys(dataKey: Buffer, vaultId: string): VaultKeys {
  const salt = Buffer.from(vaultId, 'hex');
  return {
    enc: Buffer.from(hkdfSync('sha256', dataKey, salt, 'sophon-vault segments', 32)),
    mac: Buffer.from(hkdfSync('sha256', dataKey, salt, 'sophon-vault index', 32)),
  };
}

/** One encrypted segment: what the index records about it, and its ciphertext. */
export interface Segment {
  readonly iv: Buffer;
  readonly tag: Buffer;
  readonly body: Buffer;
}

export interface ParsedVaultFile {
  readonly header: VaultHeader;
  readonly headerBytes: Buffer;
  readonly index: Buffer;
  readonly mac: Buffer;
  readonly segments: readonly Segment[];
}

export const tamperedMessage = (what: string) =>
  `vault.enc ${what} — it was not changed; run \`sophon vault restore\` to go back to config/vault.enc.bak (it says what would be lost, and asks first)`;

export function parseVaultFile(bytes: Buffer): ParsedVaultFile {
  if (bytes.length < MAGIC.length || bytes.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) {
    throw new SophonError('VAULT_TAMPERED', tamperedMessage('is not a Sophon vault or is damaged'));
  }
  const headerEnd = bytes.indexOf(0x0a, MAGIC.length);
  if (headerEnd < 0) throw new SophonError('VAULT_TAMPERED', tamperedMessage('is truncated'));
  const headerBytes = bytes.subarray(MAGIC.length, headerEnd);
  let header: VaultHeader;
  try {
    header = VaultHeader.parse(JSON.parse(headerBytes.toString('utf8')));
  } catch (error) {
    throw new SophonError('VAULT_TAMPERED', tamperedMessage('has a damaged header'), { cause: error });
  }
  const indexStart = headerEnd + 1;
  const indexEnd = indexStart + header.segments * INDEX_ENTRY;
  if (bytes.length < indexEnd + MAC_LENGTH) throw new SophonError('VAULT_TAMPERED', tamperedMessage('is truncated'));
  const index = bytes.subarray(indexStart, indexEnd);
  const mac = bytes.subarray(indexEnd, indexEnd + MAC_LENGTH);
  const segments: Segment[] = [];
  let offset = indexEnd + MAC_LENGTH;
  for (let i = 0; i < header.segments; i++) {
    const entry = index.subarray(i * INDEX_ENTRY, (i + 1) * INDEX_ENTRY);
    const length = entry.readUInt32BE(28);
    if (offset + length > bytes.length) throw new SophonError('VAULT_TAMPERED', tamperedMessage('is truncated'));
    segments.push({ iv: entry.subarray(0, 12), tag: entry.subarray(12, 28), body: bytes.subarray(offset, offset + length) });
    offset += length;
  }
  if (offset !== bytes.length) throw new SophonError('VAULT_TAMPERED', tamperedMessage('has trailing data'));
  return { header, headerBytes, index, mac, segments };
}

function segmentAad(headerBytes: Buffer, number: number): Buffer {
  const n = Buffer.alloc(4);
  n.writeUInt32BE(number);
  return Buffer.concat([headerBytes, n]);
}

function indexMac(keys: VaultKeys, headerBytes: Buffer, index: Buffer): Buffer {
  return createHmac('sha256', keys.mac).update(headerBytes).update(index).digest();
}

/** Checks the index MAC, then decrypts every segment. Any mismatch is VAULT_TAMPERED. */
export function decryptSegments(file: ParsedVaultFile, keys: VaultKeys): Buffer[] {
  const expected = indexMac(keys, file.headerBytes, file.index);
  if (!timingSafeEqual(expected, file.mac)) throw new SophonError('VAULT_TAMPERED', tamperedMessage('failed its integrity check'));
  return file.segments.map((segment, number) => {
    try {
      const decipher = createDecipheriv('aes-256-gcm', keys.enc, segment.iv);
      decipher.setAAD(segmentAad(file.headerBytes, number));
      decipher.setAuthTag(segment.tag);
      return Buffer.concat([decipher.update(segment.body), decipher.final()]);
    } catch (error) {
      throw new SophonError('VAULT_TAMPERED', tamperedMessage('failed its integrity check'), { cause: error });
    }
  });
}

/**
 * For recovery (`sophon vault restore`): whether the index MAC holds, and each segment
 * that still decrypts on its own (undefined for one that does not). A vault is only ever
 * opened through `decryptSegments`, which accepts nothing less than all of it.
 */
export function salvageSegments(file: ParsedVaultFile, keys: VaultKeys): { readonly macOk: boolean; readonly plaintexts: readonly (Buffer | undefined)[] } {
  const macOk = timingSafeEqual(indexMac(keys, file.headerBytes, file.index), file.mac);
  const plaintexts = file.segments.map((segment, number) => {
    try {
      const decipher = createDecipheriv('aes-256-gcm', keys.enc, segment.iv);
      decipher.setAAD(segmentAad(file.headerBytes, number));
      decipher.setAuthTag(segment.tag);
      return Buffer.concat([decipher.update(segment.body), decipher.final()]);
    } catch {
      return undefined;
    }
  });
  return { macOk, plaintexts };
}

export function encryptSegment(keys: VaultKeys, headerBytes: Buffer, number: number, plaintext: string): Segment {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keys.enc, iv);
  cipher.setAAD(segmentAad(headerBytes, number));
  const first = cipher.update(plaintext, 'utf8');
  const last = cipher.final();
  return { iv, tag: cipher.getAuthTag(), body: last.length === 0 ? first : Buffer.concat([first, last]) };
}

/** The file as a list of buffers (written with writev: the bodies are never copied). */
export function assembleVaultFile(keys: VaultKeys, headerBytes: Buffer, segments: readonly Segment[]): Buffer[] {
  const index = Buffer.alloc(segments.length * INDEX_ENTRY);
  segments.forEach((segment, i) => {
    segment.iv.copy(index, i * INDEX_ENTRY);
    segment.tag.copy(index, i * INDEX_ENTRY + 12);
    index.writeUInt32BE(segment.body.length, i * INDEX_ENTRY + 28);
  });
  const preamble = Buffer.concat([Buffer.from(MAGIC, 'latin1'), headerBytes, Buffer.from('\n'), index, indexMac(keys, headerBytes, index)]);
  return [preamble, ...segments.map((s) => s.body).filter((b) => b.length > 0)];
}

/** FNV-1a: which segment a key lives in. Stable across versions: changing it is a format change. */
export function segmentOf(key: string, segments: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % segments;
}

export function recordLine(key: string, json: string): string {
  return `${JSON.stringify(key)}\t${json}`;
}

/** Splits a segment's plaintext into key → line. */
export function decodeLines(plaintext: Buffer, into: Map<string, string>): void {
  const text = plaintext.toString('utf8');
  if (text.length === 0) return;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    const tab = line.indexOf('\t');
    if (tab < 0) throw new SophonError('VAULT_TAMPERED', tamperedMessage('holds a damaged record'));
    into.set(JSON.parse(line.slice(0, tab)) as string, line);
    start = end + 1;
  }
}
