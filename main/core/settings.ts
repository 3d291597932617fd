import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { SophonError } from './errors.ts';
import { describeIssues } from './catalog/schema.ts';
import { CredentialsSettings } from './vault/backend-settings.ts';

/** Per-service overrides: where the API lives, the user's own OAuth client, enterprise hosts. */
export const ServiceOverride = z.looseObject({
  baseUrl: z.string().optional(),
  clientId: z.string().optional(),
  scopes: z.array(z.string()).optional(),
  issuer: z.string().optional(),
  authorizationEndpoint: z.string().optional(),
  tokenEndpoint: z.string().optional(),
  revocationEndpoint: z.string().optional(),
  deviceAuthorizationEndpoint: z.string().optional(),
  /** GitHub Enterprise and similar: the host that replaces the public one. */
  host: z.string().optional(),
  /** The issuer the provider names in its authorization responses ("none" when it names none), when it changes before Sophon's catalog does. */
  responseIssuer: z.string().optional(),
  /** The fixed port Sophon listens on for a provider that compares the redirect's port (register that exact URI). */
  loopbackPort: z.number().int().min(1024).max(65535).optional(),
  /**
   * Moves whole origins, e.g. {"https://accounts.google.com": "https://sso-proxy.example"}: every endpoint,
   * API and revocation URL of the service on that origin moves, paths kept. The issuer a provider names
   * in its responses does not move (it is an identifier, not a location).
   */
  origins: z.record(z.string(), z.string()).optional(),
});
export type ServiceOverride = z.infer<typeof ServiceOverride>;

export const Settings = z.looseObject({
  Sophon: z
    .looseObject({
      Credentials: CredentialsSettings.default({ Vault: 'Local' }),
      Services: z.record(z.string(), ServiceOverride).default({}),
      Lifecycle: z
        .looseObject({
          RefreshMarginSeconds: z.number().min(0).max(86_400).optional(),
          JitterSeconds: z.number().min(0).max(3_600).optional(),
          MaxRefreshesInFlight: z.number().int().min(1).max(256).optional(),
        })
        .optional(),
    })
    .default({ Credentials: { Vault: 'Local' }, Services: {} }),
});
export type Settings = z.infer<typeof Settings>;

export const DEFAULT_SETTINGS: Settings = Settings.parse({});

/** Reads appsettings.json; absent means defaults. Never holds a secret. */
export async function loadSettings(file: string): Promise<Settings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_SETTINGS;
    throw new SophonError('SETTINGS_INVALID', `cannot read ${file} (${(error as Error).message}) — check its permissions`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SophonError('SETTINGS_INVALID', `${file} is not valid JSON (${(error as Error).message}) — fix or remove the file`, { cause: error });
  }
  const parsed = Settings.safeParse(json);
  if (!parsed.success) {
    throw new SophonError('SETTINGS_INVALID', `${file}: ${describeIssues(parsed.error)} — fix the file and retry`);
  }
  return parsed.data;
}

export function serviceOverride(settings: Settings, serviceId: string): ServiceOverride {
  return settings.Sophon.Services[serviceId] ?? {};
}
