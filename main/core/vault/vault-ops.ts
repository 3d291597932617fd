import type { ICredentialVault } from './types.ts';

/** `put` and `delete` in terms of `batch`, the same for every backend. */
export function putOne(vault: Pick<ICredentialVault, 'batch'>, key: string, value: unknown): Promise<void> {
  return vault.batch([{ type: 'put', key, value }]);
}

export async function deleteOne(vault: Pick<ICredentialVault, 'has' | 'batch'>, key: string): Promise<boolean> {
  if (!vault.has(key)) return false;
  await vault.batch([{ type: 'delete', key }]);
  return true;
}
