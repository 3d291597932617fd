import { z } from 'zod';

/** Facts about a profile that are not secret (plan, ChatGPT account, Copilot API), kept beside its connection. */
export const ProfileMeta = z.object({
  plan: z.string().optional(),
  accountId: z.string().optional(),
  email: z.string().optional(),
  apiBase: z.string().optional(),
});
export type ProfileMeta = z.infer<typeof ProfileMeta>;

export const profileMetaKey = (connectionId: string) => `provider-profile/${connectionId}`;
