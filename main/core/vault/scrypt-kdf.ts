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

/** The scrypt parameters a vault header carries, or undefined when they are damaged or out of bounds. */
export function sealedScrypt(sealed: Readonly<Record<string, unknown>>): SealedScrypt | undefined {
  const { N, r, p, salt, iv, wrapped } = sealed;
  if (sealed['kdf'] !== 'scrypt' || typeof N !== 'number' || typeof r !== 'number' || typeof p !== 'number' || typeof salt !== 'string' || typeof iv !== 'string' || typeof wrapped !== 'string' || N > 2 ** 22) return undefined;
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
