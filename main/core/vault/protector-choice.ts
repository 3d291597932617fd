import { SophonError } from '../errors.ts';
import type { KeyProtector, SealedKey } from '../ports.ts';
import { KeyringProtector } from './keyring-protector.ts';
import { PassphraseProtector, type PassphraseSource } from './passphrase-protector.ts';
import { PASSPHRASE_TRIES } from './passphrase-rules.ts';
import type { DerivedKey } from './scrypt-kdf.ts';
import type { ProtectorResolver } from './types.ts';

export interface HeadlessProtectorOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Reads a passphrase from the terminal; absent when there is no TTY. */
  readonly prompt?: PassphraseSource;
  readonly probeKeyring?: () => Promise<{ ok: true } | { ok: false; reason: string }>;
  readonly scrypt?: { N: number; r: number; p: number };
  /** The passphrase already asked for (or read) and its key being derived ahead: the first attempt uses them. */
  readonly ahead?: DerivedKey;
}

/**
 * How a host without Electron picks its protector. An existing vault names the protector
 * that sealed it. A new vault uses SOPHON_VAULT_PASSPHRASE when set, else the OS keyring
 * when it answers, else a passphrase typed at the terminal.
 */
export function headlessProtectors(options: HeadlessProtectorOptions): ProtectorResolver {
  const fromEnv = options.env['SOPHON_VAULT_PASSPHRASE'];
  const useEnv = fromEnv !== undefined && fromEnv !== '';
  let cached: string | undefined;
  const source: PassphraseSource = async (request) => {
    // A later attempt means the cached passphrase was wrong: ask again (only a prompt gets more than one).
    if (cached !== undefined && (request.attempt ?? 1) === 1) return cached;
    if (options.ahead && (request.attempt ?? 1) === 1 && !request.confirm) return (cached = options.ahead.passphrase);
    if (useEnv) cached = fromEnv;
    else if (options.prompt) cached = await options.prompt(request);
    else {
      throw new SophonError('PASSPHRASE_REQUIRED', 'vault.enc is sealed with a passphrase and there is no terminal to ask on — set SOPHON_VAULT_PASSPHRASE, or run the command from a terminal');
    }
    return cached;
  };
  const passphrase = () =>
    new PassphraseProtector(source, options.scrypt, {
      ...(useEnv ? { tries: 1, origin: 'variable' as const } : { tries: PASSPHRASE_TRIES, origin: 'prompt' as const }),
      ...(options.ahead ? { derived: options.ahead } : {}),
    });
  return {
    async forExisting(sealed: SealedKey): Promise<KeyProtector> {
      switch (sealed.kind) {
        case 'passphrase':
          return passphrase();
        case 'keyring':
          return new KeyringProtector();
        case 'safe-storage':
          throw new SophonError('VAULT_NEEDS_DESKTOP', 'vault.enc is sealed by the desktop app (Electron safeStorage) — start Sophon Desktop (`npm start`) and run the command again; the CLI will talk to it');
        default:
          throw new SophonError('VAULT_UNSUPPORTED', `vault.enc is sealed by an unknown protector "${String((sealed as { kind: unknown }).kind)}" — update Sophon`);
      }
    },
    async forNewVault(): Promise<KeyProtector> {
      if (useEnv) return passphrase();
      const probe = await (options.probeKeyring ?? (() => KeyringProtector.probe()))();
      if (probe.ok) return new KeyringProtector();
      if (options.prompt) return passphrase();
      throw new SophonError(
        'NO_PROTECTOR',
        `no way to seal a new vault: the OS keyring did not answer (${probe.reason}) and there is no terminal — set SOPHON_VAULT_PASSPHRASE or start a Secret Service`,
      );
    },
  };
}
