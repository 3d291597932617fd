import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SophonError } from '../errors.ts';
import type { KeyProtector, SealedKey } from '../ports.ts';
import { PASSPHRASE_MIN_LENGTH } from './passphrase-rules.ts';
import { DEFAULT_SCRYPT, MAX_MEMORY_UNITS, MAX_WORK_UNITS, derivedFor, scrypt, scryptProblem, type DerivedKey, type SealedScrypt } from './scrypt-kdf.ts';

export { DEFAULT_SCRYPT, scryptProblem };

export interface PassphraseSource {
  /**
   * Asked once per process; `confirm` is true when a new vault is being created. `attempt`
   * counts the asks for an existing vault: above 1, the previous passphrase did not open it.
   */
  (request: { confirm: boolean; attempt?: number }): Promise<string>;
}

export interface PassphraseOptions {
  /** How many passphrases may be tried before giving up: 3 at a prompt, 1 from a variable. */
  readonly tries?: number;
  /** Where the passphrase comes from, for the message when it is wrong. */
  readonly origin?: 'variable' | 'prompt';
  /** A key derived ahead (while the core loaded), used when it was derived for the same passphrase and header. */
  readonly derived?: DerivedKey;
}

/** Seals the data key with a key derived from a passphrase (scrypt + AES-256-GCM key wrap). */
export class PassphraseProtector implements KeyProtector {
  readonly kind = 'passphrase' as const;
  readonly strength = 'strong' as const;

  constructor(
    private readonly source: PassphraseSource,
    private readonly params: { N: number; r: number; p: number } = DEFAULT_SCRYPT,
    private readonly options: PassphraseOptions = {},
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
    const params = sealed as unknown as SealedScrypt;
    const tries = Math.max(1, this.options.tries ?? 1);
    const box = Buffer.from(params.wrapped, 'base64');
    for (let attempt = 1; ; attempt++) {
      const passphrase = await this.source({ confirm: false, attempt });
      const kek = await (derivedFor(this.options.derived, passphrase, params) ?? scrypt(passphrase, Buffer.from(params.salt, 'base64'), params));
      try {
        const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(params.iv, 'base64'));
        decipher.setAAD(Buffer.from(context.vaultId));
        decipher.setAuthTag(box.subarray(box.length - 16));
        return Buffer.concat([decipher.update(box.subarray(0, box.length - 16)), decipher.final()]);
      } catch (error) {
        if (attempt < tries) continue;
        throw new SophonError('VAULT_WRONG_PASSPHRASE', wrongPassphraseMessage(this.options.origin, tries), { cause: error });
      }
    }
  }
}

function wrongPassphraseMessage(origin: PassphraseOptions['origin'], tries: number): string {
  if (origin === 'variable') return 'the passphrase in SOPHON_VAULT_PASSPHRASE does not open vault.enc — nothing was changed; correct the variable, or unset it to be asked at the terminal';
  if (origin === 'prompt') return `the passphrase did not open vault.enc${tries > 1 ? ` (${tries} tries)` : ''} — nothing was changed; run the command again and type the passphrase this vault was created with`;
  return 'the passphrase does not open vault.enc — nothing was changed; check SOPHON_VAULT_PASSPHRASE or type it again';
}

function checkPassphrase(passphrase: string): void {
  if (passphrase.length < PASSPHRASE_MIN_LENGTH) {
    throw new SophonError('INVALID_INPUT', `the vault passphrase is shorter than ${PASSPHRASE_MIN_LENGTH} characters — choose a longer one (SOPHON_VAULT_PASSPHRASE or the prompt)`);
  }
}
