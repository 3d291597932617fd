/**
 * The seams between the core and the platform. Each host passes implementations in;
 * tests pass fakes of these, never module mocks.
 */

export interface TimerHandle {
  unref?(): unknown;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export type HttpFetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface BrowserOpener {
  /** Opens an http(s) URL the core built in the system browser, never in an app window. */
  open(url: string): Promise<void>;
}

export interface Notifier {
  notify(title: string, body: string): void;
}

export type ProtectorKind = 'safe-storage' | 'keyring' | 'passphrase';
export type ProtectorStrength = 'strong' | 'weak';

/** Sealing parameters a protector writes into the vault header. No secret in clear. */
export interface SealedKey {
  readonly kind: ProtectorKind;
  readonly [param: string]: unknown;
}

/** Seals and unseals the vault's random data key. */
export interface KeyProtector {
  readonly kind: ProtectorKind;
  readonly strength: ProtectorStrength;
  /** One line for `sophon doctor` and the window's health banner. */
  describe(): string;
  seal(dataKey: Buffer, context: { vaultId: string }): Promise<SealedKey>;
  unseal(sealed: SealedKey, context: { vaultId: string }): Promise<Buffer>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface RedirectListener {
  /** The redirect_uri to send in this attempt (exactly what the server will redirect to). */
  readonly redirectUri: string;
  dispose(): Promise<void>;
}

/**
 * Where an OAuth redirect comes back to a host: a loopback listener (headless, CLI,
 * desktop fallback). The deep link and a pasted URL instead reach the core through
 * `SignInManager.complete(url)`, from whoever received them.
 */
export interface RedirectReceiver {
  listen(
    options: { readonly host: '127.0.0.1' | 'localhost'; readonly path: string; readonly ports?: readonly number[] },
    onRedirect: (url: URL) => Promise<{ readonly ok: boolean; readonly message: string }>,
  ): Promise<RedirectListener>;
}
