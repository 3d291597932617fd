import { spawn } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { AsyncEntry } from '@napi-rs/keyring';
import { childEnvironment } from '../child-env.ts';
import { SophonError, firstLine } from '../errors.ts';
import type { KeyProtector, SealedKey } from '../ports.ts';

export const KEYRING_SERVICE = 'Sophon Desktop';

/**
 * On Linux, pin the Secret Service: the library otherwise falls back silently to the
 * kernel keyring, which does not survive a reboot (a vault sealed there would be lost).
 */
async function keyringEntry(service: string, account: string): Promise<AsyncEntry> {
  // The native addon loads only for a vault that uses the keyring, not for every command.
  const { AsyncEntry } = await import('@napi-rs/keyring');
  return new AsyncEntry(service, account, { linux: { store: 'secret-service' } });
}

/**
 * Sealing can fall back to a passphrase; opening a vault sealed in the keyring cannot (the
 * key is only there), so the advice differs.
 */
function unavailable(error: unknown, doing: 'seal' | 'unseal'): SophonError {
  const cause = error instanceof Error ? firstLine(error.message) : String(error);
  return new SophonError(
    'KEYRING_UNAVAILABLE',
    doing === 'seal'
      ? `the OS keyring did not answer (${cause}) — start and unlock your Secret Service (gnome-keyring, KWallet), or set SOPHON_VAULT_PASSPHRASE to use a passphrase instead`
      : `this vault's key is in the OS keyring, which did not answer (${cause}) — start and unlock your Secret Service (gnome-keyring, KWallet) in this session, then retry; a passphrase cannot open it`,
    { cause: error },
  );
}

/** How long the probe waits for a keyring: one that hangs (a bus that never replies, a locked collection waiting for a prompter) does not answer. */
export const KEYRING_PROBE_TIMEOUT_MS = 5_000;

/**
 * The probe runs in a child process: the library connects to D-Bus synchronously when an
 * entry is made, so a bus that accepts and never replies would freeze this process for good.
 */
const PROBE_SCRIPT = `
const { AsyncEntry } = require(process.argv[1]);
(async () => {
  const entry = new AsyncEntry(process.argv[2], process.argv[3], { linux: { store: 'secret-service' } });
  const value = require('node:crypto').randomBytes(8).toString('hex');
  await entry.setPassword(value);
  const back = await entry.getPassword();
  await entry.deletePassword().catch(() => undefined);
  return back === value ? { ok: true } : { ok: false, reason: 'the keyring did not return what was stored' };
})().then(
  (r) => process.stdout.write(JSON.stringify(r)),
  (e) => process.stdout.write(JSON.stringify({ ok: false, reason: String((e && e.message) || e).split('\\n')[0] })),
);`;

/**
 * Seals the data key with a random key-encryption key held in the OS keyring
 * (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows).
 */
export class KeyringProtector implements KeyProtector {
  readonly kind = 'keyring' as const;
  readonly strength = 'strong' as const;

  constructor(private readonly service = KEYRING_SERVICE) {}

  describe(): string {
    const store = process.platform === 'darwin' ? 'macOS Keychain' : process.platform === 'win32' ? 'Windows Credential Manager' : 'Secret Service';
    return `OS keyring (${store})`;
  }

  /** True when the keyring stores and returns a value in time (a read alone can succeed with no store behind it). */
  static async probe(service = KEYRING_SERVICE, options: { readonly timeoutMs?: number } = {}): Promise<{ ok: true } | { ok: false; reason: string }> {
    const timeoutMs = options.timeoutMs ?? KEYRING_PROBE_TIMEOUT_MS;
    let library: string;
    try {
      library = createRequire(import.meta.url).resolve('@napi-rs/keyring');
    } catch (error) {
      return { ok: false, reason: `@napi-rs/keyring is not installed (${firstLine((error as Error).message)})` };
    }
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['-e', PROBE_SCRIPT, library, service, `probe-${process.pid}`], { stdio: ['ignore', 'pipe', 'ignore'], env: childEnvironment(process.env) });
      let out = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve({ ok: false, reason: `no answer within ${Math.round(timeoutMs / 1000)} s` });
      }, timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.on('error', (error) => {
        clearTimeout(timer);
        resolve({ ok: false, reason: firstLine(error.message) });
      });
      child.on('close', () => {
        clearTimeout(timer);
        try {
          const result = JSON.parse(out) as { ok: boolean; reason?: string };
          resolve(result.ok ? { ok: true } : { ok: false, reason: result.reason ?? 'no reason given' });
        } catch {
          resolve({ ok: false, reason: 'the keyring probe ended without an answer' });
        }
      });
    });
  }

  async seal(dataKey: Buffer, context: { vaultId: string }): Promise<SealedKey> {
    const account = `vault-key:${context.vaultId}`;
    const kek = randomBytes(32);
    try {
      await (await keyringEntry(this.service, account)).setPassword(kek.toString('base64'));
    } catch (error) {
      throw unavailable(error, 'seal');
    }
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', kek, iv);
    cipher.setAAD(Buffer.from(context.vaultId));
    const wrapped = Buffer.concat([cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
    return { kind: 'keyring', service: this.service, account, iv: iv.toString('base64'), wrapped: wrapped.toString('base64') };
  }

  async unseal(sealed: SealedKey, context: { vaultId: string }): Promise<Buffer> {
    const { service, account, iv, wrapped } = sealed as SealedKey & Record<string, unknown>;
    if (typeof service !== 'string' || typeof account !== 'string' || typeof iv !== 'string' || typeof wrapped !== 'string') {
      throw new SophonError('VAULT_TAMPERED', 'vault.enc has damaged keyring parameters — it was not changed; run `sophon vault restore` to go back to config/vault.enc.bak');
    }
    let stored: string | null;
    try {
      stored = await (await keyringEntry(service, account)).getPassword();
    } catch (error) {
      throw unavailable(error, 'unseal');
    }
    if (stored === null) {
      throw new SophonError(
        'VAULT_WRONG_PROTECTOR',
        `the OS keyring has no key for this vault ("${service}" / "${account}") — it was sealed in another keyring or user session; open it there, or restore the keyring item`,
      );
    }
    const box = Buffer.from(wrapped, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', Buffer.from(stored, 'base64'), Buffer.from(iv, 'base64'));
      decipher.setAAD(Buffer.from(context.vaultId));
      decipher.setAuthTag(box.subarray(box.length - 16));
      return Buffer.concat([decipher.update(box.subarray(0, box.length - 16)), decipher.final()]);
    } catch (error) {
      throw new SophonError('VAULT_WRONG_PROTECTOR', `the key in the OS keyring ("${account}") does not open vault.enc — it was not changed; restore config/vault.enc.bak or the keyring item`, { cause: error });
    }
  }
}
