import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { SophonError } from './errors.ts';

/**
 * The CAs to trust for outgoing TLS: the system roots plus the PEM files a setting names
 * (relative paths are under config/). Undefined when there are none, so callers keep Node's
 * default. `setting` names the setting in the error ("Sophon.Broker.CaFiles").
 */
export async function loadCaFiles(files: readonly string[], configDir: string, setting: string): Promise<string[] | undefined> {
  if (files.length === 0) return undefined;
  const extra: string[] = [];
  for (const file of files) {
    const path = isAbsolute(file) ? file : join(configDir, file);
    try {
      extra.push(await readFile(path, 'utf8'));
    } catch (error) {
      throw new SophonError('SETTINGS_INVALID', `${setting}: cannot read ${path} (${(error as Error).message}) — fix the path in appsettings.json`, { cause: error });
    }
  }
  // node:tls loads only when there is something to add to it (a one-shot CLI command rarely needs it).
  const { rootCertificates } = await import('node:tls');
  return [...rootCertificates, ...extra];
}
