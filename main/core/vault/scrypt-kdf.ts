import { scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import { open } from 'node:fs/promises';

/**
 * The passphrase KDF (scrypt), and starting it before the rest of the core has loaded: a
 * one-shot command with a passphrase vault reads the header, gets the passphrase and
 * starts the KDF (it runs in libuv's thread pool) while the main thread loads and sets up
 * the core, instead of one after the other. This file loads nothing but node:crypto and node:fs.
 */
export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export function scrypt(passphrase: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCb(passphrase.normalize('NFC'), salt, 32, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export interface SealedScrypt extends ScryptParams {
  readonly salt: string;
  readonly iv: string;
  readonly wrapped: string;
}

/** scrypt cost used for new vaults: N=2^17, r=8, p=1 (OWASP's minimum for scrypt). */
export const DEFAULT_SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;

/**
 * The most work a vault header may ask for: 4× the default in memory (128·N·r = 512 MiB)
 * and in time (N·r·p). The header is read before anything can be checked, so an edited
 * one must not make every open cost minutes and gigabytes.
 */
export const MAX_MEMORY_UNITS = 4 * DEFAULT_SCRYPT.N * DEFAULT_SCRYPT.r;
export const MAX_WORK_UNITS = 4 * DEFAULT_SCRYPT.N * DEFAULT_SCRYPT.r * DEFAULT_SCRYPT.p;

const isBase64Of = (value: unknown, bytes: number) => typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value) && Buffer.from(value, 'base64').length === bytes;
const isIntIn = (value: unknown, min: number, max: number) => typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

/**
 * Why these sealing parameters are refused before anything is derived (they are not what
 * seal() writes, or ask for more work than Sophon ever does); undefined when they are sane.
 * Plain checks, no schema library: the one-shot CLI runs this before the core is loaded.
 */
export function scryptProblem(sealed: Readonly<Record<string, unknown>>): string | undefined {
  const { N, r, p } = sealed;
  if (sealed['kind'] !== 'passphrase') return 'kind: not passphrase';
  if (sealed['kdf'] !== 'scrypt') return 'kdf: not scrypt';
  if (!isIntIn(N, 2 ** 10, 2 ** 30) || ((N as number) & ((N as number) - 1)) !== 0) return 'N: not a power of two of at least 2^10';
  if (!isIntIn(r, 1, 32)) return 'r: not between 1 and 32';
  if (!isIntIn(p, 1, 16)) return 'p: not between 1 and 16';
  if (!isBase64Of(sealed['salt'], 16)) return 'salt: not 16 bytes of base64';
  if (!isBase64Of(sealed['iv'], 12)) return 'iv: not 12 bytes of base64';
  if (!isBase64Of(sealed['wrapped'], 48)) return 'wrapped: not 48 bytes of base64';
  const [n, rr, pp] = [N as number, r as number, p as number];
  if (n * rr > MAX_MEMORY_UNITS || n * rr * pp > MAX_WORK_UNITS) {
    return `scrypt N=2^${Math.log2(n)}, r=${rr}, p=${pp} asks for more than Sophon ever writes (at most 4× N=2^17, r=8, p=1)`;
  }
  return undefined;
}

/** The scrypt parameters a vault header carries, or undefined when scryptProblem refuses them. */
export function sealedScrypt(sealed: Readonly<Record<string, unknown>>): SealedScrypt | undefined {
  if (scryptProblem(sealed) !== undefined) return undefined;
  const { N, r, p, salt, iv, wrapped } = sealed as unknown as SealedScrypt;
  return { N, r, p, salt, iv, wrapped };
}

/** A key-encryption key being derived ahead, for one passphrase and one header's parameters. */
export interface DerivedKey {
  readonly passphrase: string;
  readonly params: SealedScrypt;
  readonly key: Promise<Buffer>;
}

export function deriveAhead(passphrase: string, params: SealedScrypt): DerivedKey {
  const key = scrypt(passphrase, Buffer.from(params.salt, 'base64'), params);
  key.catch(() => undefined);
  return { passphrase, params, key };
}

/** The key derived ahead, when it was derived for exactly this passphrase and these parameters. */
export function derivedFor(derived: DerivedKey | undefined, passphrase: string, params: SealedScrypt): Promise<Buffer> | undefined {
  if (!derived || derived.passphrase !== passphrase) return undefined;
  const a = derived.params;
  return a.N === params.N && a.r === params.r && a.p === params.p && a.salt === params.salt ? derived.key : undefined;
}

const MAGIC = 'SOPHON-VAULT 1\n';
const HEADER_READ = 64 * 1024;

/**
 * What sealed vault.enc, read from its header without checking anything else (the vault's
 * own open does that): undefined when there is no vault or the header does not parse.
 */
export async function peekSealedKey(file: string): Promise<Readonly<Record<string, unknown>> | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const buffer = Buffer.alloc(HEADER_READ);
    const { bytesRead } = await handle.read(buffer, 0, HEADER_READ, 0);
    const head = buffer.subarray(0, bytesRead);
    if (head.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) return undefined;
    const end = head.indexOf(0x0a, MAGIC.length);
    if (end < 0) return undefined;
    const header = JSON.parse(head.subarray(MAGIC.length, end).toString('utf8')) as { protector?: unknown };
    return header.protector && typeof header.protector === 'object' ? (header.protector as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}
