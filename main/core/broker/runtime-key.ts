import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const RUNTIME_KEY_FILE = 'runtime.key';
export const BROKER_INFO_FILE = 'broker.json';
const KEY_SHAPE = /^srk_[A-Za-z0-9_-]{43}$/;

/**
 * The key a trusted agent runtime presents to mint broker tokens over HTTP
 * (`POST /broker/mint`, `Authorization: Bearer srk_…`). It lives in run/runtime.key,
 * mode 0600, so only this user's processes can read it; it is created on first start and
 * kept, and deleting the file rotates it on the next start.
 */
export async function ensureRuntimeKey(runDir: string): Promise<string> {
  const file = join(runDir, RUNTIME_KEY_FILE);
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (KEY_SHAPE.test(existing)) {
      if (process.platform !== 'win32' && ((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
      return existing;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = `srk_${randomBytes(32).toString('base64url')}`;
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  if (process.platform !== 'win32') await chmod(file, 0o600);
  return key;
}

/** Constant-time comparison of a presented key with the real one. */
export function runtimeKeyMatches(presented: string | undefined, key: string): boolean {
  if (presented === undefined || !KEY_SHAPE.test(presented)) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(key).digest();
  return timingSafeEqual(a, b);
}

/** `Authorization: Bearer <value>` → value. */
export function bearer(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (header.startsWith('Bearer ') && header.indexOf(' ', 7) < 0 && header.length > 7) return header.slice(7);
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}
