import { firstLine } from '../errors.ts';
import type { CredentialMaterial } from './attach.ts';

/**
 * The provider's own one-line reason in an error answer (GitHub's "message", OAuth's
 * "error_description"/"error"), short, and dropped if it echoes the credential.
 */
export async function errorReason(response: Response, material: CredentialMaterial): Promise<string | undefined> {
  let body: unknown;
  try {
    body = JSON.parse((await response.text()).slice(0, 4096));
  } catch {
    return undefined;
  }
  if (!body || typeof body !== 'object') return undefined;
  const fields = body as Record<string, unknown>;
  const said = [fields['message'], fields['error_description'], fields['error']].find((v): v is string => typeof v === 'string' && v.trim() !== '');
  if (!said) return undefined;
  const line = firstLine(said).slice(0, 160);
  const secrets = [material.token, material.password].filter((v): v is string => typeof v === 'string' && v.length >= 4);
  return secrets.some((secret) => line.includes(secret)) ? undefined : line;
}
