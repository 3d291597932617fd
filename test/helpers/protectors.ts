import { PassphraseProtector, type ProtectorResolver, type KeyProtector } from '../../main/core/index.ts';

/** A real passphrase protector with a cheap scrypt cost, for fast unit tests. */
export function fastPassphrase(passphrase = 'correct horse battery staple'): ProtectorResolver {
  const make = (): KeyProtector => new PassphraseProtector(async () => passphrase, { N: 2 ** 12, r: 8, p: 1 });
  return { forNewVault: async () => make(), forExisting: async () => make() };
}
