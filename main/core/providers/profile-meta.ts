import { z } from 'zod';
import type { ICredentialVault } from '../vault/types.ts';

/** Facts about a profile that are not secret (plan, ChatGPT account, Copilot API), kept beside its connection. */
export const ProfileMeta = z.object({
  plan: z.string().optional(),
  accountId: z.string().optional(),
  email: z.string().optional(),
  apiBase: z.string().optional(),
});
export type ProfileMeta = z.infer<typeof ProfileMeta>;

export const profileMetaKey = (connectionId: string) => `provider-profile/${connectionId}`;

export class ProfileMetaStore {
  constructor(private readonly vault: ICredentialVault) {}

  async get(connectionId: string): Promise<ProfileMeta> {
    const parsed = ProfileMeta.safeParse((await this.vault.get(profileMetaKey(connectionId))) ?? {});
    return parsed.success ? parsed.data : {};
  }

  async put(connectionId: string, meta: ProfileMeta): Promise<void> {
    await this.vault.put(profileMetaKey(connectionId), ProfileMeta.parse(meta));
  }

  async delete(connectionId: string): Promise<void> {
    if (this.vault.has(profileMetaKey(connectionId))) await this.vault.delete(profileMetaKey(connectionId));
  }
}
