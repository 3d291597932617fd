import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { awsKeys, startAwsSmStandin, type AwsSmStandin } from './aws-sm-standin.ts';
import { startAzureKvStandin, type AzureKvStandin, type KvRole } from './azure-kv-standin.ts';
import { startKv2Standin, type Kv2Standin } from './kv2-standin.ts';
import type { StandinServer } from './standin-server.ts';
import { makeTestCa } from './test-ca.ts';
import { currentUser } from '../../main/core/index.ts';

export const BACKENDS = ['Local', 'HashiCorpVault', 'AwsSecretsManager', 'AzureKeyVault'] as const;
export type BackendName = (typeof BACKENDS)[number];
export const REMOTE_BACKENDS = BACKENDS.filter((b) => b !== 'Local');

/** The OS user the `{user}` in a Prefix stands for (whoever runs the tests). */
export const TEST_USER = currentUser();

/**
 * One backend as a person would set it up: its stand-in running, its section for
 * appsettings.json, and the credentials in the environment (or files) its official
 * client's chain reads. Every environment also switches off what would leave loopback
 * (EC2 instance metadata, managed identity probes).
 */
export interface BackendFixture {
  readonly name: BackendName;
  /** `Sophon.Credentials.<name>`, undefined for Local. */
  readonly section: Record<string, unknown> | undefined;
  /** Environment for a `sophon` process (and for this test process's SDK clients). */
  readonly env: Record<string, string>;
  readonly server?: StandinServer;
  /** Names of what the remote store holds (all users). */
  storeNames(): string[];
  /** An identity that may only read (for permission errors): its environment. */
  readOnlyEnv(): Record<string, string>;
  readonly kv2?: Kv2Standin;
  readonly aws?: AwsSmStandin;
  readonly azure?: AzureKvStandin;
  dispose(): Promise<void>;
}

const SAFE_ENV = { AWS_EC2_METADATA_DISABLED: 'true', AZURE_TOKEN_CREDENTIALS: 'EnvironmentCredential' };

export async function startBackend(name: BackendName, dir: string): Promise<BackendFixture> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const base = { ...SAFE_ENV, AWS_CONFIG_FILE: join(dir, 'aws-config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws-credentials') };
  switch (name) {
    case 'Local':
      return { name, section: undefined, env: { ...base, SOPHON_VAULT_PASSPHRASE: 'a long test passphrase' }, storeNames: () => [], readOnlyEnv: () => ({}), dispose: async () => undefined };
    case 'HashiCorpVault': {
      const kv2 = await startKv2Standin({ namespace: 'team-a' });
      kv2.definePolicy('sophon-alice', [
        { path: `secret/data/sophon/${TEST_USER}/*`, capabilities: ['create', 'read', 'update'] },
        { path: `secret/metadata/sophon/${TEST_USER}/*`, capabilities: ['list', 'delete'] },
      ]);
      kv2.definePolicy('sophon-alice-read', [
        { path: `secret/data/sophon/${TEST_USER}/*`, capabilities: ['read'] },
        { path: `secret/metadata/sophon/${TEST_USER}/*`, capabilities: ['list'] },
      ]);
      // `vault login` writes ~/.vault-token; the token file is what a person has.
      const home = join(dir, 'vault-home');
      await mkdir(home, { recursive: true });
      await writeFile(join(home, '.vault-token'), kv2.issueToken({ policies: ['sophon-alice'], displayName: 'oidc-alice' }), { mode: 0o600 });
      return {
        name,
        kv2,
        server: kv2,
        section: { Address: kv2.address, Mount: 'secret', Namespace: 'team-a', Prefix: 'sophon/{user}/', Auth: { Method: 'Token', TokenFile: join(home, '.vault-token') } },
        env: base,
        storeNames: () => kv2.keys(),
        readOnlyEnv: () => ({ VAULT_TOKEN: kv2.issueToken({ policies: ['sophon-alice-read'], displayName: 'oidc-alice-readonly' }) }),
        dispose: () => kv2.dispose(),
      };
    }
    case 'AwsSecretsManager': {
      const aws = await startAwsSmStandin();
      const keys = awsKeys();
      aws.addIdentity({ ...keys, actions: ['secretsmanager:*'], resourcePrefix: `sophon/${TEST_USER}/`, arn: `arn:aws:iam::${aws.account}:user/alice` });
      // A named profile in the shared credentials file, as `aws configure --profile team` writes it.
      await writeFile(join(dir, 'aws-credentials'), `[team]\naws_access_key_id = ${keys.accessKeyId}\naws_secret_access_key = ${keys.secretAccessKey}\n`, { mode: 0o600 });
      await writeFile(join(dir, 'aws-config'), `[profile team]\nregion = ${aws.region}\n`, { mode: 0o600 });
      return {
        name,
        aws,
        server: aws,
        section: { Region: aws.region, Prefix: 'sophon/{user}/', Endpoint: aws.url, StsEndpoint: aws.url, KmsKeyId: 'alias/sophon-team' },
        env: { ...base, AWS_PROFILE: 'team' },
        storeNames: () => aws.names(),
        readOnlyEnv: () => {
          const ro = awsKeys();
          aws.addIdentity({ ...ro, actions: ['secretsmanager:GetSecretValue', 'secretsmanager:ListSecrets', 'secretsmanager:DescribeSecret'], resourcePrefix: `sophon/${TEST_USER}/`, arn: `arn:aws:iam::${aws.account}:user/alice-readonly` });
          return { AWS_PROFILE: '', AWS_ACCESS_KEY_ID: ro.accessKeyId, AWS_SECRET_ACCESS_KEY: ro.secretAccessKey };
        },
        dispose: () => aws.dispose(),
      };
    }
    case 'AzureKeyVault': {
      await mkdir(join(dir, 'ca'), { recursive: true });
      const ca = await makeTestCa(join(dir, 'ca'));
      const azure = await startAzureKvStandin(ca);
      const app = azure.addApp(['Key Vault Secrets Officer']);
      const appEnv = (a: { tenantId: string; clientId: string; clientSecret: string }) => ({ AZURE_TENANT_ID: a.tenantId, AZURE_CLIENT_ID: a.clientId, AZURE_CLIENT_SECRET: a.clientSecret });
      return {
        name,
        azure,
        server: azure,
        section: {
          VaultUri: `${azure.vaultUri}/`,
          Prefix: 'sophon-{user}-',
          // The stand-in is its own authority: no Entra instance discovery, and its host is not under vault.azure.net.
          AuthorityHost: azure.vaultUri,
          DisableInstanceDiscovery: true,
          DisableChallengeResourceVerification: true,
          CaFile: ca.caFile,
        },
        env: { ...base, ...appEnv(app) },
        storeNames: () => azure.names(),
        readOnlyEnv: () => appEnv(azure.addApp(['Key Vault Secrets User' as KvRole])),
        dispose: () => azure.dispose(),
      };
    }
  }
}

/** `Sophon.Credentials` naming `use`, with the sections of every fixture given (so migration can go between them). */
export function credentialsFor(use: BackendName, ...fixtures: BackendFixture[]): Record<string, unknown> {
  const out: Record<string, unknown> = { Vault: use };
  for (const f of fixtures) if (f.section) out[f.name] = f.section;
  return out;
}

/** Sets this process's environment for a backend's SDK clients (they read process.env); returns an undo. */
export function useProcessEnv(vars: Record<string, string>): () => void {
  const before = new Map(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === '') delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const [k, v] of before) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
