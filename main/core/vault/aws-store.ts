import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { firstLine } from '../errors.ts';
import type { AwsSecretsManagerSettings } from './backend-settings.ts';
import { decodeName, encodeName } from './record-layout.ts';
import { StoreError, type SecretStore, type StoreRecord } from './secret-store.ts';

/**
 * AWS Secrets Manager through the official client and the default AWS credential chain
 * (environment, shared config and SSO profiles, web identity, ECS/EC2 roles).
 *
 * Secrets Manager has no conditional PutSecretValue, but a staging label can only be moved
 * from the version it is on: a write adds a new version under a label of our own, then
 * moves AWSCURRENT to it with `RemoveFromVersionId` = the version it was based on
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecretVersionStage.html).
 * If someone else moved AWSCURRENT meanwhile, the move fails and readers never saw the
 * new version. A new record is CreateSecret, which fails if the name exists.
 */
export interface AwsStoreOptions {
  readonly settings: AwsSecretsManagerSettings;
  /** With `{user}` filled in, ending in `/`. */
  readonly prefix: string;
}

/** SecretString holds at most 65,536 bytes. */
const MAX_RECORD = 65_536;
const PENDING_LABEL = 'SophonPending';

interface AwsError {
  readonly name?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: unknown;
  readonly code?: string;
}

export class AwsStore implements SecretStore {
  readonly backend = 'AwsSecretsManager' as const;
  readonly concurrency = 'cas' as const;
  readonly maxRecordBytes = MAX_RECORD;
  readonly location: string;
  private readonly client: SecretsManagerClient;
  private account: string | undefined;

  constructor(private readonly options: AwsStoreOptions) {
    const { settings, prefix } = options;
    this.location = `${settings.Region}${settings.Endpoint ? ` (${settings.Endpoint})` : ''} ${prefix}`;
    // The SDK warns on every start that its 2027 releases will need Node 22; Sophon pins its own SDK version and supports Node 20.
    process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
    this.client = new SecretsManagerClient({
      region: settings.Region,
      ...(settings.Endpoint ? { endpoint: settings.Endpoint } : {}),
      ...(settings.Profile ? { profile: settings.Profile } : {}),
      // One retry of the SDK's own: a longer outage is the vault's cache's business.
      maxAttempts: 2,
    });
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.send('ListSecrets', () => this.client.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [this.options.prefix] }], MaxResults: 100, ...(NextToken ? { NextToken } : {}) })));
      for (const secret of page.SecretList ?? []) {
        // The name filter is a case-sensitive prefix match; check it again rather than trust it.
        if (!secret.Name?.startsWith(this.options.prefix) || secret.DeletedDate) continue;
        const key = decodeName(secret.Name.slice(this.options.prefix.length), 'aws');
        if (key !== undefined) out.push(key);
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }

  async read(recordKey: string): Promise<StoreRecord | undefined> {
    try {
      const answer = await this.send('GetSecretValue', () => this.client.send(new GetSecretValueCommand({ SecretId: this.name(recordKey) })));
      if (answer.SecretString === undefined || !answer.VersionId) return undefined;
      return { value: answer.SecretString, version: answer.VersionId };
    } catch (error) {
      if (error instanceof StoreError && error.kind === 'not-found') return undefined;
      throw error;
    }
  }

  async write(recordKey: string, value: string, expected: string | undefined): Promise<string> {
    const SecretId = this.name(recordKey);
    const version = randomUUID();
    if (expected === undefined) {
      await this.send(
        'CreateSecret',
        () =>
          this.client.send(
            new CreateSecretCommand({
              Name: SecretId,
              SecretString: value,
              ClientRequestToken: version,
              Description: 'Sophon Desktop record (connection metadata and credential); written by sophon',
              ...(this.options.settings.KmsKeyId ? { KmsKeyId: this.options.settings.KmsKeyId } : {}),
            }),
          ),
        SecretId,
      );
      return version;
    }
    await this.send('PutSecretValue', () => this.client.send(new PutSecretValueCommand({ SecretId, SecretString: value, ClientRequestToken: version, VersionStages: [PENDING_LABEL] })), SecretId);
    try {
      await this.send('UpdateSecretVersionStage', () => this.client.send(new UpdateSecretVersionStageCommand({ SecretId, VersionStage: 'AWSCURRENT', MoveToVersionId: version, RemoveFromVersionId: expected })));
    } catch (error) {
      if (error instanceof StoreError && (error.kind === 'invalid' || error.kind === 'conflict' || error.kind === 'not-found')) {
        // The move fails when AWSCURRENT is no longer on `expected`: someone else wrote first.
        const described = await this.send('DescribeSecret', () => this.client.send(new DescribeSecretCommand({ SecretId }))).catch(() => undefined);
        const current = Object.entries(described?.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
        if (!described || current !== expected) throw new StoreError('conflict', `${SecretId} changed since it was read (AWSCURRENT is on another version)`);
      }
      throw error;
    }
    return version;
  }

  async remove(recordKey: string): Promise<void> {
    try {
      // Without recovery: a removed credential should be gone, and the name free for reuse.
      await this.send('DeleteSecret', () => this.client.send(new DeleteSecretCommand({ SecretId: this.name(recordKey), ForceDeleteWithoutRecovery: true })));
    } catch (error) {
      if (!(error instanceof StoreError && error.kind === 'not-found')) throw error;
    }
  }

  async whoami(): Promise<string> {
    const { settings } = this.options;
    const sts = new STSClient({ region: settings.Region, ...(settings.StsEndpoint ? { endpoint: settings.StsEndpoint } : {}), ...(settings.Profile ? { profile: settings.Profile } : {}), maxAttempts: 2 });
    try {
      const who = await this.send('sts:GetCallerIdentity', () => sts.send(new GetCallerIdentityCommand({})));
      this.account = who.Account;
      return `${who.Arn ?? 'unknown ARN'} (account ${who.Account ?? '?'})`;
    } finally {
      sts.destroy();
    }
  }

  async dispose(): Promise<void> {
    this.client.destroy();
  }

  private name(recordKey: string): string {
    return `${this.options.prefix}${encodeName(recordKey, 'aws')}`;
  }

  private resource(): string {
    return `arn:aws:secretsmanager:${this.options.settings.Region}:${this.account ?? '<account>'}:secret:${this.options.prefix}*`;
  }

  /** Runs one call and sorts its failure: what to retry, what to report, what permission is missing. */
  private async send<T>(action: string, call: () => Promise<T>, secretId?: string): Promise<T> {
    try {
      return await call();
    } catch (raw) {
      throw this.classify(raw as AwsError, action, secretId);
    }
  }

  private classify(error: AwsError, action: string, secretId: string | undefined): StoreError {
    const name = error.name ?? error.code ?? 'Error';
    const message = firstLine(error.message ?? name);
    const status = error.$metadata?.httpStatusCode;
    const iamAction = action.includes(':') ? action : `secretsmanager:${action}`;
    const kms = this.options.settings.KmsKeyId;
    switch (name) {
      case 'ResourceNotFoundException':
        return new StoreError('not-found', message, { cause: error });
      case 'ResourceExistsException':
        return new StoreError('conflict', `a secret of that name appeared meanwhile (${message})`, { cause: error });
      case 'AccessDeniedException':
      case 'AccessDenied': {
        this.account ??= /arn:aws[a-z-]*:[a-z]+::(\d{12}):/.exec(message)?.[1];
        const principal = /User: (\S+) is not authorized/.exec(message)?.[1];
        const resource = action === 'ListSecrets' ? '"*" (ListSecrets has no resource-level permission)' : action.startsWith('sts:') ? '"*"' : this.resource();
        return new StoreError('permission', `denied ${iamAction}${principal ? ` to ${principal}` : ''} — its IAM policy needs "${iamAction}" on ${resource}`, { cause: error });
      }
      case 'DecryptionFailure':
      case 'EncryptionFailure':
        return new StoreError('permission', `KMS refused to ${name === 'DecryptionFailure' ? 'decrypt' : 'encrypt'} the secret — the identity needs kms:Decrypt and kms:GenerateDataKey on ${kms ?? 'the secrets\' KMS key'} (AWS: ${message})`, { cause: error });
      case 'CredentialsProviderError':
        return new StoreError('auth', `no AWS credentials found (${message}) — sign in with \`aws sso login\` or \`aws configure\`, set AWS_PROFILE (or "Profile" in the settings), or run where an IAM role is attached`, { cause: error });
      case 'UnrecognizedClientException':
      case 'InvalidClientTokenId':
      case 'InvalidSignatureException':
      case 'SignatureDoesNotMatch':
      case 'ExpiredTokenException':
      case 'ExpiredToken':
        return new StoreError('auth', `AWS did not accept the credentials (${name}: ${message}) — refresh them (\`aws sso login\`) or check the profile`, { cause: error });
      case 'ThrottlingException':
      case 'Throttling':
      case 'TooManyRequestsException':
      case 'InternalServiceError':
      case 'InternalFailure':
      case 'ServiceUnavailable':
      case 'RequestTimeout':
      case 'RequestTimeoutException':
      case 'TimeoutError':
        return new StoreError('transient', `${name}: ${message}`, { cause: error });
      case 'InvalidRequestException':
        // Deleting is asynchronous: the name is briefly "scheduled for deletion" after a remove.
        if (/scheduled for deletion|marked for deletion/i.test(message)) return new StoreError('transient', message, { cause: error });
        return new StoreError('invalid', message, { cause: error });
      case 'InvalidParameterException':
        return new StoreError('invalid', message, { cause: error });
      case 'LimitExceededException':
        return limitExceeded(message, secretId ?? `a secret under ${this.options.prefix}`, error);
      default:
        if (status === undefined || status >= 500 || status === 429 || /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|socket hang up|ENOTFOUND/.test(`${error.code ?? ''} ${message}`)) {
          return new StoreError('transient', `${name}: ${message}`, { cause: error });
        }
        return new StoreError('invalid', `${name}: ${message}`, { cause: error });
    }
  }
}

/**
 * LimitExceededException is AWS's answer to any exceeded quota ("The request failed because
 * it would exceed one of the Secrets Manager quotas"); which one is only in its message.
 * The one a busy record meets is the versions per secret: Secrets Manager removes old
 * unlabelled versions past 100 but never one younger than 24 hours, so more than about one
 * write every 10 minutes to one secret, sustained, runs into it
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html).
 */
function limitExceeded(message: string, secretId: string, cause: AwsError): StoreError {
  if (/version/i.test(message)) {
    return new StoreError(
      'quota',
      `Secrets Manager keeps too many versions of ${secretId} (every version younger than 24 hours counts) — wait for older versions to age out, or find what writes it that often (\`sophon audit\`)`,
      { cause },
    );
  }
  if (/size|length|bytes|too large|65,?536/i.test(message)) {
    return new StoreError('too-large', `${secretId} would be larger than the 65,536 bytes Secrets Manager holds per secret (AWS: ${message})`, { cause });
  }
  return new StoreError('quota', `a Secrets Manager quota was exceeded writing ${secretId} (AWS: ${message}) — see the quotas at https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html, or wait and retry`, { cause });
}
