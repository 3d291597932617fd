// Damage a vault file the way disks and careless edits do, at a known place in its layout
// (main/core/vault/format.ts): the index MAC, or a byte inside a segment's ciphertext.
import { readFile, writeFile } from 'node:fs/promises';

const MAGIC_LENGTH = 'SOPHON-VAULT 1\n'.length;
const INDEX_ENTRY = 32;

async function flip(file: string, offset: (bytes: Buffer) => number): Promise<Buffer> {
  const bytes = Buffer.from(await readFile(file));
  const at = offset(bytes);
  bytes[at] = (bytes[at] ?? 0) ^ 0xff;
  await writeFile(file, bytes);
  return bytes;
}

/** Every segment still decrypts, but the index MAC no longer matches: a rolled-back or swapped segment looks like this. */
export function breakIndexMac(file: string): Promise<Buffer> {
  return flip(file, (bytes) => {
    const headerEnd = bytes.indexOf(0x0a, MAGIC_LENGTH);
    const { segments } = JSON.parse(bytes.subarray(MAGIC_LENGTH, headerEnd).toString('utf8')) as { segments: number };
    return headerEnd + 1 + segments * INDEX_ENTRY;
  });
}

/** The last byte of the last non-empty segment: that segment no longer decrypts. */
export function breakLastSegment(file: string): Promise<Buffer> {
  return flip(file, (bytes) => bytes.length - 1);
}
