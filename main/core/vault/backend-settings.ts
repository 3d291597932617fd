import { userInfo } from 'node:os';
import { z } from 'zod';

/**
 * `Sophon.Credentials` in appsettings.json: which vault backend holds the records, and a
 * section per remote backend. Sections are strict so that a misspelt field is an error
 * naming it, not a silently ignored setting. Secrets never live here: tokens come from the
 * environment, token files or each cloud's own credential chain.
 */
export const VAULT_BACKENDS = ['Local', 'HashiCorpVault', 'AwsSecretsManager', 'AzureKeyVault'] as const;
export const VaultBackendName = z.enum(VAULT_BACKENDS, {
  error: (issue) => `${JSON.stringify(issue.input)} is not a vault backend — use one of ${VAULT_BACKENDS.join(', ')}`,
});
export type VaultBackendName = z.infer<typeof VaultBackendName>;
export type RemoteBackendName = Exclude<VaultBackendName, 'Local'>;

const missing = (what: string) => ({ error: (issue: { input: unknown }) => (issue.input === undefined ? `missing — ${what}` : `must be ${what}`) });

/** http only for loopback (a stand-in or a local dev server); everything else https. */
function secureUrl(what: string) {
  return z.string(missing(what)).refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' || (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname));
    } catch {
      return false;
    }
  }, `must be an https URL (${what}); plain http only for 127.0.0.1/localhost`);
}

const CacheSeconds = z.number().int().min(0).max(3_600).default(300);
const Prefix = (example: string) => z.string(missing(`where your records live, e.g. ${example}`)).min(1).max(200);

/** HashiCorp Vault, KV version 2 over HTTP (https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2). */
export const HashiCorpVaultSettings = z.strictObject({
  Address: secureUrl('the Vault address, e.g. https://vault.example.com:8200'),
  /** Where the KV v2 engine is mounted. */
  Mount: z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'must be a mount path such as secret or teams/kv').default('secret'),
  /** Vault Enterprise / HCP namespace, sent as X-Vault-Namespace. */
  Namespace: z.string().min(1).optional(),
  Prefix: Prefix('sophon/{user}/').regex(/^[A-Za-z0-9._{}-]+(\/[A-Za-z0-9._{}-]+)*\/?$/, 'must be path segments of letters, digits, . _ - and {user}').default('sophon/{user}/'),
  Auth: z
    .discriminatedUnion(
      'Method',
      [
        /** VAULT_TOKEN, else the token file (`vault login` writes ~/.vault-token). */
        z.strictObject({ Method: z.literal('Token'), TokenFile: z.string().min(1).optional() }),
        /** AppRole login; the secret id is read from a file (never from settings). */
        z.strictObject({ Method: z.literal('AppRole'), RoleId: z.string(missing('the AppRole role_id')).min(1), SecretIdFile: z.string(missing('a file holding the AppRole secret_id')).min(1), Mount: z.string().min(1).default('approle') }),
      ],
      { error: () => 'Method must be Token or AppRole' },
    )
    .default({ Method: 'Token' }),
  /** PEM CA bundle for a Vault behind a private CA (VAULT_CACERT is used when this is not set). */
  CaFile: z.string().min(1).optional(),
  TimeoutSeconds: z.number().min(1).max(120).default(15),
  CacheSeconds,
});
export type HashiCorpVaultSettings = z.infer<typeof HashiCorpVaultSettings>;

/** AWS Secrets Manager with the default AWS credential chain. */
export const AwsSecretsManagerSettings = z.strictObject({
  Region: z.string(missing('the AWS region of your secrets, e.g. eu-west-1')).regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as eu-west-1'),
  Prefix: Prefix('sophon/{user}/').regex(/^[A-Za-z0-9/_+=.@{}-]+$/, 'may hold only letters, digits, / _ + = . @ - and {user}').default('sophon/{user}/'),
  /** A customer managed KMS key for new secrets (default: aws/secretsmanager). */
  KmsKeyId: z.string().min(1).optional(),
  /** A named profile from ~/.aws/config; default: AWS_PROFILE or the default chain. */
  Profile: z.string().min(1).optional(),
  /** VPC endpoint or another Secrets Manager-compatible endpoint. */
  Endpoint: secureUrl('the Secrets Manager endpoint').optional(),
  /** Where `sophon doctor` asks who it is (sts:GetCallerIdentity). */
  StsEndpoint: secureUrl('the STS endpoint').optional(),
  CacheSeconds,
});
export type AwsSecretsManagerSettings = z.infer<typeof AwsSecretsManagerSettings>;

/** Azure Key Vault with @azure/identity's DefaultAzureCredential. */
export const AzureKeyVaultSettings = z.strictObject({
  VaultUri: secureUrl('the Key Vault URI, e.g. https://my-vault.vault.azure.net/'),
  Prefix: Prefix('sophon-{user}-').regex(/^[A-Za-z0-9{}-]+$/, 'may hold only letters, digits, - and {user} (Key Vault secret names)').default('sophon-{user}-'),
  /** Tenant to authenticate in (otherwise AZURE_TENANT_ID or the credential's default). */
  TenantId: z.string().min(1).optional(),
  /** Client id of a user-assigned managed identity or workload identity. */
  ClientId: z.string().min(1).optional(),
  /** Sovereign clouds: e.g. https://login.microsoftonline.us. */
  AuthorityHost: secureUrl('the Microsoft Entra authority host').optional(),
  /** Azure Stack / private clouds whose authority Entra's instance discovery does not know. */
  DisableInstanceDiscovery: z.boolean().optional(),
  /** A Key Vault reached under a host that is not below its token resource (private endpoints behind other names). */
  DisableChallengeResourceVerification: z.boolean().optional(),
  /** PEM CA bundle for a TLS-inspecting proxy or a private endpoint with a private CA. */
  CaFile: z.string().min(1).optional(),
  CacheSeconds,
});
export type AzureKeyVaultSettings = z.infer<typeof AzureKeyVaultSettings>;

export const CredentialsSettings = z
  .looseObject({
    Vault: VaultBackendName.default('Local'),
    HashiCorpVault: HashiCorpVaultSettings.optional(),
    AwsSecretsManager: AwsSecretsManagerSettings.optional(),
    AzureKeyVault: AzureKeyVaultSettings.optional(),
  })
  .superRefine((value, ctx) => {
    if (value.Vault !== 'Local' && value[value.Vault] === undefined) {
      ctx.addIssue({ code: 'custom', path: [value.Vault], message: `missing — "Vault": "${value.Vault}" needs a "${value.Vault}" section next to it (see the README, Team vault backends)` });
    }
  });
export type CredentialsSettings = z.infer<typeof CredentialsSettings>;

export type RemoteBackendSettings =
  | { readonly backend: 'HashiCorpVault'; readonly settings: HashiCorpVaultSettings }
  | { readonly backend: 'AwsSecretsManager'; readonly settings: AwsSecretsManagerSettings }
  | { readonly backend: 'AzureKeyVault'; readonly settings: AzureKeyVaultSettings };

/** The remote backend a Credentials section names, or undefined for Local. */
export function remoteBackend(credentials: CredentialsSettings, name: VaultBackendName = credentials.Vault): RemoteBackendSettings | undefined {
  switch (name) {
    case 'Local':
      return undefined;
    case 'HashiCorpVault':
      return credentials.HashiCorpVault ? { backend: name, settings: credentials.HashiCorpVault } : undefined;
    case 'AwsSecretsManager':
      return credentials.AwsSecretsManager ? { backend: name, settings: credentials.AwsSecretsManager } : undefined;
    case 'AzureKeyVault':
      return credentials.AzureKeyVault ? { backend: name, settings: credentials.AzureKeyVault } : undefined;
  }
}

export const BACKEND_TITLES: Readonly<Record<VaultBackendName, string>> = {
  Local: 'the local vault (vault.enc)',
  HashiCorpVault: 'HashiCorp Vault',
  AwsSecretsManager: 'AWS Secrets Manager',
  AzureKeyVault: 'Azure Key Vault',
};

/**
 * How often, at most, the owner records where its audit trail ends (the audit anchor,
 * `machine/<id>/internal/audit-anchor`) in a remote store while audit lines keep coming;
 * stopping the owner or a one-shot command writes it once more. Each anchor is a write to
 * one secret, so the product's own limits on writes and versions per secret set the pace:
 * - AWS Secrets Manager: "avoid calling PutSecretValue … at a sustained rate of more than
 *   once every 10 minutes"; versions younger than 24 hours are never removed, so a faster
 *   pace runs into the quota of versions per secret (LimitExceededException)
 *   (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html).
 * - Azure Key Vault: every set adds a version, and single versions cannot be deleted, only
 *   the whole secret (https://github.com/Azure/azure-sdk-for-net/issues/20934): 10 minutes
 *   keeps that to 144 a busy day instead of 1,440.
 * - HashiCorp Vault KV v2: a write is cheap and the engine keeps only `max_versions` (10 by
 *   default) per secret (https://developer.hashicorp.com/vault/docs/secrets/kv/kv-v2): once a minute.
 */
export const REMOTE_ANCHOR_EVERY_MS: Readonly<Record<RemoteBackendName, number>> = {
  HashiCorpVault: 60_000,
  AwsSecretsManager: 10 * 60_000,
  AzureKeyVault: 10 * 60_000,
};

/** The OS user name, made safe for every backend's names: what `{user}` in a Prefix stands for. */
export function currentUser(): string {
  let name = 'user';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (some containers): fall back to USER
    name = process.env['USER'] ?? process.env['USERNAME'] ?? name;
  }
  return name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'user';
}

/** The prefix with `{user}` filled in and the separator each backend uses at its end. */
export function expandPrefix(template: string, user: string, separator: '/' | '-'): string {
  const filled = template.replaceAll('{user}', user);
  return filled.endsWith(separator) ? filled : `${filled}${separator}`;
}
