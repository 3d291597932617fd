import { deriveAhead, peekSealedKey, sealedScrypt, type DerivedKey, type SophonPaths } from '../core/base.ts';
import { hasTerminal, passphrasePrompt } from '../api/terminal-prompt.ts';

/**
 * With no owner running, a passphrase vault costs one KDF (about half a second, by design).
 * Reading the header, getting the passphrase and starting the KDF before the core is even
 * loaded lets the two overlap: the thread pool derives while the main thread loads. Anything
 * unusual (no vault, another protector, a damaged header) leaves it all to the core.
 */
export async function unsealAhead(paths: SophonPaths, env: NodeJS.ProcessEnv): Promise<DerivedKey | undefined> {
  const sealed = await peekSealedKey(paths.vaultFile);
  if (sealed?.['kind'] !== 'passphrase') return undefined;
  const params = sealedScrypt(sealed);
  if (!params) return undefined;
  const fromEnv = env['SOPHON_VAULT_PASSPHRASE'];
  const passphrase = fromEnv ? fromEnv : hasTerminal() ? await passphrasePrompt({ confirm: false }) : undefined;
  return passphrase === undefined ? undefined : deriveAhead(passphrase, params);
}
