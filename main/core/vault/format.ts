import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { SophonError } from '../errors.ts';

/**
 * vault.enc layout:
 *   "SOPHON-VAULT 1\n" <header JSON> "\n" <iv 12 bytes> <tag 16 bytes> <ciphertext>
 * The header (which protector sealed the data key, and how) is authenticated as AAD,
 * so neither it nor the body can change without the integrity check failing.
 * The plaintext is one record per line: <JSON key> "\t" <JSON value>. JSON escapes
 * tabs and newlines, so the split is unambiguous, and values stay unparsed until read.
 */
export const MAGIC = 'SOPHON-VAULT 1\n';

export const VaultHeader = z.object({
  format: z.literal('sophon-vault'),
  version: z.literal(1),
  vaultId: z.string().regex(/^[a-f0-9]{32}$/),
  cipher: z.literal('aes-256-gcm'),
  protector: z.looseObject({ kind: z.enum(['safe-storage', 'keyring', 'passphrase']) }),
});
export type VaultHeader = z.infer<typeof VaultHeader>;

export interface ParsedVaultFile {
  readonly header: VaultHeader;
  readonly headerBytes: Buffer;
  readonly iv: Buffer;
  readonly tag: Buffer;
  readonly ciphertext: Buffer;
}

const tamperedMessage = (what: string) =>
  `vault.enc ${what} — it was not changed; restore config/vault.enc.bak or run \`sophon doctor\``;

export function parseVaultFile(bytes: Buffer): ParsedVaultFile {
  if (bytes.length < MAGIC.length || bytes.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) {
    throw new SophonError('VAULT_TAMPERED', tamperedMessage('is not a Sophon vault or is damaged'));
  }
  const headerEnd = bytes.indexOf(0x0a, MAGIC.length);
  if (headerEnd < 0 || bytes.length < headerEnd + 1 + 28) {
    throw new SophonError('VAULT_TAMPERED', tamperedMessage('is truncated'));
  }
  const headerBytes = bytes.subarray(MAGIC.length, headerEnd);
  let header: VaultHeader;
  try {
    header = VaultHeader.parse(JSON.parse(headerBytes.toString('utf8')));
  } catch (error) {
    throw new SophonError('VAULT_TAMPERED', tamperedMessage('has a damaged header'), { cause: error });
  }
  const body = bytes.subarray(headerEnd + 1);
  return { header, headerBytes, iv: body.subarray(0, 12), tag: body.subarray(12, 28), ciphertext: body.subarray(28) };
}

export function decryptBody(file: ParsedVaultFile, dataKey: Buffer): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, file.iv);
    decipher.setAAD(file.headerBytes);
    decipher.setAuthTag(file.tag);
    return Buffer.concat([decipher.update(file.ciphertext), decipher.final()]);
  } catch (error) {
    throw new SophonError('VAULT_TAMPERED', tamperedMessage('failed its integrity check'), { cause: error });
  }
}

export function encodeVaultFile(headerBytes: Buffer, dataKey: Buffer, plaintext: Buffer | string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
  cipher.setAAD(headerBytes);
  const first = cipher.update(plaintext);
  const last = cipher.final();
  return Buffer.concat([Buffer.from(MAGIC, 'latin1'), headerBytes, Buffer.from('\n'), iv, cipher.getAuthTag(), first, last]);
}

export function encodeRecords(records: ReadonlyMap<string, string>): string {
  const parts: string[] = [];
  for (const [key, json] of records) parts.push(`${JSON.stringify(key)}\t${json}`);
  return parts.join('\n');
}

export function decodeRecords(plaintext: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  const text = plaintext.toString('utf8');
  if (text.length === 0) return records;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    const tab = line.indexOf('\t');
    if (tab < 0) throw new SophonError('VAULT_TAMPERED', tamperedMessage('holds a damaged record'));
    records.set(JSON.parse(line.slice(0, tab)) as string, line.slice(tab + 1));
    start = end + 1;
  }
  return records;
}
