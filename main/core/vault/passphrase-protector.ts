import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';
import { SophonError } from '../errors.ts';
import type { KeyProtector, SealedKey } from '../ports.ts';

/** scrypt cost used for new vaults: N=2^17, r=8, p=1 (OWASP's minimum for scrypt). */
export const DEFAULT_SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;

/**
 * The most work a vault header may ask for: 4× the default in memory (128·N·r = 512 MiB)
 * and in time (N·r·p). The header is read before anything can be checked, so an edited
 * one must not make every open cost minutes and gigabytes.
 */
const MAX_MEMORY_UNITS = 4 * DEFAULT_SCRYPT.N * DEFAULT_SCRYPT.r;
const MAX_WORK_UNITS = 4 * DEFAULT_SCRYPT.N * DEFAULT_SCRYPT.r * DEFAULT_SCRYPT.p;

const base64Of = (bytes: number) => z.string().refine((value) => /^[A-Za-z0-9+/]*={0,2}$/.test(value) && Buffer.from(value, 'base64').length === bytes, `${bytes} bytes of base64`);

/** What seal() writes: anything else in a header was not written by Sophon. */
const ScryptSealed = z.object({
  kind: z.literal('passphrase'),
  kdf: z.literal('scrypt'),
  N: z
    .number()
    .int()
    .min(2 ** 10)
    .refine((n) => (n & (n - 1)) === 0, 'a power of two'),
  r: z.number().int().min(1).max(32),
  p: z.number().int().min(1).max(16),
  salt: base64Of(16),
  iv: base64Of(12),
  wrapped: base64Of(48),
});

/** Why these sealing parameters are refused before deriving anything; undefined when they are sane. */
export function scryptProblem(sealed: SealedKey): string | undefined {
  const parsed = ScryptSealed.safeParse(sealed);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `${issue?.path.join('.') || 'parameters'}: ${issue?.message ?? 'invalid'}`;
  }
  const { N, r, p } = parsed.data;
  if (N * r > MAX_MEMORY_UNITS || N * r * p > MAX_WORK_UNITS) {
    return `scrypt N=2^${Math.log2(N)}, r=${r}, p=${p} asks for more than Sophon ever writes (at most 4× N=2^17, r=8, p=1)`;
  }
  return undefined;
}

function scrypt(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCb(passphrase.normalize('NFC'), salt, 32, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export interface PassphraseSource {
  /** Asked once per process; `confirm` is true when a new vault is being created. */
  (request: { confirm: boolean }): Promise<string>;
}

/** Seals the data key with a key derived from a passphrase (scrypt + AES-256-GCM key wrap). */
export class PassphraseProtector implements KeyProtector {
  readonly kind = 'passphrase' as const;
  readonly strength = 'strong' as const;

  constructor(
    private readonly source: PassphraseSource,
    private readonly params: { N: number; r: number; p: number } = DEFAULT_SCRYPT,
  ) {}

  describe(): string {
    return `passphrase (scrypt N=2^${Math.log2(this.params.N)}, r=${this.params.r}, p=${this.params.p})`;
  }

  async seal(dataKey: Buffer, context: { vaultId: string }): Promise<SealedKey> {
    const { N, r, p } = this.params;
    if (N * r > MAX_MEMORY_UNITS || N * r * p > MAX_WORK_UNITS || N < 2 ** 10 || (N & (N - 1)) !== 0) {
      throw new SophonError('INTERNAL', `scrypt N=${N}, r=${r}, p=${p} is outside what a vault may use — this is a bug`);
    }
    const passphrase = await this.source({ confirm: true });
    checkPassphrase(passphrase);
    const salt = randomBytes(16);
    const kek = await scrypt(passphrase, salt, this.params);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', kek, iv);
    cipher.setAAD(Buffer.from(context.vaultId));
    const wrapped = Buffer.concat([cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
    return {
      kind: 'passphrase',
      kdf: 'scrypt',
      N: this.params.N,
      r: this.params.r,
      p: this.params.p,
      salt: salt.toString('base64'),
      iv: iv.toString('base64'),
      wrapped: wrapped.toString('base64'),
    };
  }

  async unseal(sealed: SealedKey, context: { vaultId: string }): Promise<Buffer> {
    const problem = scryptProblem(sealed);
    if (problem !== undefined) {
      throw new SophonError('VAULT_TAMPERED', `vault.enc's header was edited (${problem}) — nothing was derived or changed; bring the vault back with \`sophon vault restore\``);
    }
    const { N, r, p, salt, iv, wrapped } = ScryptSealed.parse(sealed);
    const passphrase = await this.source({ confirm: false });
    const kek = await scrypt(passphrase, Buffer.from(salt, 'base64'), { N, r, p });
    const box = Buffer.from(wrapped, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(iv, 'base64'));
      decipher.setAAD(Buffer.from(context.vaultId));
      decipher.setAuthTag(box.subarray(box.length - 16));
      return Buffer.concat([decipher.update(box.subarray(0, box.length - 16)), decipher.final()]);
    } catch (error) {
      throw new SophonError('VAULT_WRONG_PASSPHRASE', 'the passphrase does not open vault.enc — nothing was changed; check SOPHON_VAULT_PASSPHRASE or type it again', { cause: error });
    }
  }
}

function checkPassphrase(passphrase: string): void {
  if (passphrase.length < 8) {
    throw new SophonError('INVALID_INPUT', 'the vault passphrase is shorter than 8 characters — choose a longer one (SOPHON_VAULT_PASSPHRASE or the prompt)');
  }
}
