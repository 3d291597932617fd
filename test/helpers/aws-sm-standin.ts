import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { sendJson, standinServer, type StandinServer } from './standin-server.ts';

/**
 * An AWS Secrets Manager stand-in written from the API reference
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/): the AWS JSON 1.1
 * protocol (POST /, `X-Amz-Target: secretsmanager.<Operation>`, errors as
 * `{"__type", "Message"}` with HTTP 400), versions and staging labels (AWSCURRENT,
 * AWSPREVIOUS, custom labels; `UpdateSecretVersionStage` refuses to move a label that is
 * on another version than `RemoveFromVersionId`), `ListSecrets` name filters (case-sensitive
 * prefix), the quota of versions per secret (below), and STS `GetCallerIdentity` (Query protocol, XML). Every request's SigV4
 * signature is recomputed with @smithy/signature-v4 from the caller's secret key and
 * compared; IAM is a list of allowed actions and a resource prefix per access key.
 */
export interface AwsIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly arn: string;
  /** Allowed actions ("secretsmanager:*" or exact names). */
  readonly actions: readonly string[];
  /** Secret names this identity may touch: a prefix. */
  readonly resourcePrefix: string;
}

interface Version {
  readonly id: string;
  readonly value: string;
  readonly created: number;
  stages: string[];
}

interface Secret {
  readonly arn: string;
  readonly name: string;
  readonly kmsKeyId?: string;
  readonly versions: Map<string, Version>;
  deletedAt?: number;
  changed: number;
}

export interface AwsSmStandin extends StandinServer {
  readonly region: string;
  readonly account: string;
  addIdentity(identity: Omit<AwsIdentity, 'arn'> & { arn?: string }): AwsIdentity;
  readonly counters: { requests: number; badSignatures: number; byOperation: Record<string, number>; denied: number; stageConflicts: number };
  names(): string[];
  current(name: string): string | undefined;
  versionCount(name: string): number;
  kmsKeyOf(name: string): string | undefined;
  /** Lowers the quota of versions per secret (100, as AWS has it), so that a test reaches it in a few writes. */
  limitVersions(max: number): void;
}

const MAX_SECRET = 65_536;
const DAY_MS = 24 * 60 * 60_000;
/**
 * "Secrets Manager removes unlabeled versions when there are more than 100, but it does not
 * remove versions created less than 24 hours ago. If you update the secret value more than
 * once every 10 minutes, you create more versions than Secrets Manager removes, and you will
 * reach the quota for secret versions"
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html); the
 * answer is LimitExceededException ("The request failed because it would exceed one of the
 * Secrets Manager quotas", API reference). AWS does not publish the message's wording; this
 * one names the quota the way the service's messages name theirs.
 */
const VERSIONS_PER_SECRET = 100;
const VERSION_QUOTA_MESSAGE = 'You have exceeded the maximum number of versions allowed for this secret. Versions created less than 24 hours ago are not removed.';

export async function startAwsSmStandin(options: { region?: string } = {}): Promise<AwsSmStandin> {
  const region = options.region ?? 'eu-west-1';
  const account = '123456789012';
  const identities = new Map<string, AwsIdentity>();
  const secrets = new Map<string, Secret>();
  const counters = { requests: 0, badSignatures: 0, byOperation: {} as Record<string, number>, denied: 0, stageConflicts: 0 };
  let versionsPerSecret = VERSIONS_PER_SECRET;

  const fail = (res: ServerResponse, type: string, message: string, status = 400) =>
    sendJson(res, status, { __type: type, Message: message }, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID(), 'x-amzn-errortype': type });
  const ok = (res: ServerResponse, body: unknown) => sendJson(res, 200, body, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });

  /** Recomputes the request's signature from the identity's secret key; undefined when it matches. */
  async function verify(req: IncomingMessage, body: Buffer, service: string): Promise<{ identity: AwsIdentity } | { error: [string, string] }> {
    const auth = String(req.headers.authorization ?? '');
    const parsed = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([a-f0-9]{64})$/.exec(auth);
    if (!parsed) return { error: ['IncompleteSignatureException', 'Authorization header requires Credential, SignedHeaders and Signature.'] };
    const [, keyId, day, scopeRegion, scopeService, signedList, signature] = parsed as unknown as string[];
    const identity = identities.get(keyId as string);
    if (!identity) return { error: ['UnrecognizedClientException', 'The security token included in the request is invalid.'] };
    if (scopeRegion !== region || scopeService !== service) return { error: ['InvalidSignatureException', `Credential should be scoped to a valid region and service (${region}/${service}).`] };
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const when = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
    if (!when || amzDate.slice(0, 8) !== day) return { error: ['IncompleteSignatureException', 'X-Amz-Date is missing or does not match the credential scope.'] };
    const signedAt = Date.UTC(+when[1]!, +when[2]! - 1, +when[3]!, +when[4]!, +when[5]!, +when[6]!);
    if (Math.abs(Date.now() - signedAt) > 5 * 60_000) return { error: ['InvalidSignatureException', 'Signature expired: the request time is more than 5 minutes from the server time.'] };
    if (identity.sessionToken !== undefined && req.headers['x-amz-security-token'] !== identity.sessionToken) return { error: ['UnrecognizedClientException', 'The security token included in the request is invalid.'] };
    const names = (signedList as string).split(';');
    if (!names.includes('host') || !names.includes('x-amz-date')) return { error: ['InvalidSignatureException', 'host and x-amz-date must be signed.'] };
    const headers: Record<string, string> = {};
    for (const name of names) headers[name] = String(req.headers[name] ?? '');
    const url = new URL(req.url ?? '/', 'http://aws.invalid');
    const [hostname, port] = String(req.headers.host ?? '').split(':');
    const signer = new SignatureV4({
      credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey, ...(identity.sessionToken ? { sessionToken: identity.sessionToken } : {}) },
      region,
      service,
      sha256: Sha256,
    });
    const signed = await signer.sign(
      { method: req.method ?? 'POST', protocol: 'http:', hostname: hostname ?? '', ...(port ? { port: Number(port) } : {}), path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body },
      { signingDate: new Date(signedAt), signableHeaders: new Set(names), unsignableHeaders: new Set() },
    );
    const expected = /Signature=([a-f0-9]{64})/.exec(String(signed.headers['authorization']))?.[1] ?? '';
    const a = Buffer.from(expected);
    const b = Buffer.from(signature as string);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return { error: ['InvalidSignatureException', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.'] };
    return { identity };
  }

  const denied = (res: ServerResponse, identity: AwsIdentity, action: string, resource: string) => {
    counters.denied++;
    fail(res, 'AccessDeniedException', `User: ${identity.arn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`);
  };
  const allows = (identity: AwsIdentity, action: string, name?: string) =>
    (identity.actions.includes('secretsmanager:*') || identity.actions.includes(action)) && (name === undefined || name.startsWith(identity.resourcePrefix));

  const find = (id: unknown): Secret | undefined => {
    const text = String(id ?? '');
    return secrets.get(text) ?? [...secrets.values()].find((s) => s.arn === text);
  };
  const nameOk = (name: string) => /^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name);
  const currentOf = (secret: Secret) => [...secret.versions.values()].find((v) => v.stages.includes('AWSCURRENT'));
  const moveStage = (secret: Secret, stage: string, to: Version) => {
    for (const v of secret.versions.values()) if (v !== to) v.stages = v.stages.filter((s) => s !== stage);
    if (!to.stages.includes(stage)) to.stages.push(stage);
  };
  const makeCurrent = (secret: Secret, version: Version) => {
    const previous = currentOf(secret);
    moveStage(secret, 'AWSCURRENT', version);
    if (previous && previous !== version) moveStage(secret, 'AWSPREVIOUS', previous);
  };

  const server = await standinServer(async ({ req, body }, res) => {
    counters.requests++;
    const contentType = String(req.headers['content-type'] ?? '');
    if (contentType.startsWith('application/x-www-form-urlencoded')) {
      // STS, Query protocol
      const check = await verify(req, body, 'sts');
      if ('error' in check) {
        counters.badSignatures++;
        res.writeHead(403, { 'content-type': 'text/xml' }).end(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${check.error[0]}</Code><Message>${check.error[1]}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`);
        return;
      }
      const form = new URLSearchParams(body.toString('utf8'));
      if (form.get('Action') !== 'GetCallerIdentity') {
        res.writeHead(400, { 'content-type': 'text/xml' }).end('<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${check.identity.arn}</Arn><UserId>AIDA${check.identity.accessKeyId.slice(4)}</UserId><Account>${account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`);
      return;
    }
    if (req.method !== 'POST' || contentType !== 'application/x-amz-json-1.1') return fail(res, 'SerializationException', 'expected POST with Content-Type application/x-amz-json-1.1');
    const target = /^secretsmanager\.([A-Za-z]+)$/.exec(String(req.headers['x-amz-target'] ?? ''))?.[1];
    if (!target) return fail(res, 'UnknownOperationException', 'X-Amz-Target is missing or not secretsmanager.*');
    const check = await verify(req, body, 'secretsmanager');
    if ('error' in check) {
      counters.badSignatures++;
      return fail(res, check.error[0], check.error[1]);
    }
    const { identity } = check;
    counters.byOperation[target] = (counters.byOperation[target] ?? 0) + 1;
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      return fail(res, 'SerializationException', 'the request body is not JSON');
    }
    const action = `secretsmanager:${target}`;
    const notFound = () => fail(res, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    const markedDeleted = () => fail(res, 'InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");

    switch (target) {
      case 'CreateSecret': {
        const name = String(input['Name'] ?? '');
        if (!nameOk(name)) return fail(res, 'InvalidParameterException', 'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!');
        if (!allows(identity, action, name)) return denied(res, identity, action, name);
        const value = input['SecretString'];
        if (typeof value !== 'string') return fail(res, 'InvalidParameterException', 'You must provide either SecretString or SecretBinary.');
        if (Buffer.byteLength(value) > MAX_SECRET) return fail(res, 'InvalidParameterException', 'Secret string must be at most 65536 bytes.');
        const existing = secrets.get(name);
        if (existing?.deletedAt !== undefined) return fail(res, 'InvalidRequestException', "You can't create this secret because a secret with this name is already scheduled for deletion.");
        if (existing) return fail(res, 'ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
        const id = String(input['ClientRequestToken'] ?? randomUUID());
        const kmsKeyId = typeof input['KmsKeyId'] === 'string' ? input['KmsKeyId'] : undefined;
        const secret: Secret = { arn: `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${randomBytes(3).toString('hex')}`, name, versions: new Map(), changed: Date.now(), ...(kmsKeyId ? { kmsKeyId } : {}) };
        secret.versions.set(id, { id, value, created: Date.now(), stages: ['AWSCURRENT'] });
        secrets.set(name, secret);
        return ok(res, { ARN: secret.arn, Name: name, VersionId: id });
      }
      case 'GetSecretValue': {
        const secret = find(input['SecretId']);
        if (!allows(identity, action, secret?.name ?? String(input['SecretId'] ?? ''))) return denied(res, identity, action, String(input['SecretId']));
        if (!secret) return notFound();
        if (secret.deletedAt !== undefined) return markedDeleted();
        const stage = String(input['VersionStage'] ?? 'AWSCURRENT');
        const version = input['VersionId'] ? secret.versions.get(String(input['VersionId'])) : [...secret.versions.values()].find((v) => v.stages.includes(stage));
        if (!version) return fail(res, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret value for staging label: " + stage);
        return ok(res, { ARN: secret.arn, Name: secret.name, VersionId: version.id, SecretString: version.value, VersionStages: version.stages, CreatedDate: version.created / 1000 });
      }
      case 'PutSecretValue': {
        const secret = find(input['SecretId']);
        if (!allows(identity, action, secret?.name ?? String(input['SecretId'] ?? ''))) return denied(res, identity, action, String(input['SecretId']));
        if (!secret) return notFound();
        if (secret.deletedAt !== undefined) return markedDeleted();
        const value = input['SecretString'];
        if (typeof value !== 'string') return fail(res, 'InvalidParameterException', 'You must provide either SecretString or SecretBinary.');
        if (Buffer.byteLength(value) > MAX_SECRET) return fail(res, 'InvalidParameterException', 'Secret string must be at most 65536 bytes.');
        const id = String(input['ClientRequestToken'] ?? randomUUID());
        const same = secret.versions.get(id);
        if (same) {
          if (same.value !== value) return fail(res, 'ResourceExistsException', 'You can’t modify an existing version, you can only create a new version.');
          return ok(res, { ARN: secret.arn, Name: secret.name, VersionId: id, VersionStages: same.stages });
        }
        // Old unlabelled versions go first; versions younger than 24 hours are never removed, and past the quota the write is refused.
        for (const [vid, v] of secret.versions) if (secret.versions.size >= versionsPerSecret && v.stages.length === 0 && Date.now() - v.created >= DAY_MS) secret.versions.delete(vid);
        if (secret.versions.size >= versionsPerSecret) return fail(res, 'LimitExceededException', VERSION_QUOTA_MESSAGE);
        const stages = Array.isArray(input['VersionStages']) ? (input['VersionStages'] as string[]) : ['AWSCURRENT'];
        const version: Version = { id, value, created: Date.now(), stages: [] };
        secret.versions.set(id, version);
        for (const stage of stages) {
          if (stage === 'AWSCURRENT') makeCurrent(secret, version);
          else moveStage(secret, stage, version);
        }
        secret.changed = Date.now();
        return ok(res, { ARN: secret.arn, Name: secret.name, VersionId: id, VersionStages: version.stages });
      }
      case 'UpdateSecretVersionStage': {
        const secret = find(input['SecretId']);
        if (!allows(identity, action, secret?.name ?? String(input['SecretId'] ?? ''))) return denied(res, identity, action, String(input['SecretId']));
        if (!secret) return notFound();
        if (secret.deletedAt !== undefined) return markedDeleted();
        const stage = String(input['VersionStage'] ?? '');
        const moveTo = input['MoveToVersionId'] === undefined ? undefined : secret.versions.get(String(input['MoveToVersionId']));
        const removeFrom = input['RemoveFromVersionId'] === undefined ? undefined : String(input['RemoveFromVersionId']);
        if (input['MoveToVersionId'] !== undefined && !moveTo) return fail(res, 'ResourceNotFoundException', 'The version you specified in MoveToVersionId does not exist.');
        const holder = [...secret.versions.values()].find((v) => v.stages.includes(stage));
        if (moveTo && holder && holder !== moveTo && removeFrom !== holder.id) {
          counters.stageConflicts++;
          return fail(res, 'InvalidParameterException', `The staging label ${stage} is currently attached to version ${holder.id}. You must specify that version in RemoveFromVersionId to move the label.`);
        }
        if (!moveTo) {
          if (!holder || removeFrom !== holder.id) return fail(res, 'InvalidParameterException', `The staging label ${stage} is not attached to version ${removeFrom}.`);
          holder.stages = holder.stages.filter((s) => s !== stage);
        } else if (stage === 'AWSCURRENT') makeCurrent(secret, moveTo);
        else moveStage(secret, stage, moveTo);
        secret.changed = Date.now();
        return ok(res, { ARN: secret.arn, Name: secret.name });
      }
      case 'DescribeSecret': {
        const secret = find(input['SecretId']);
        if (!allows(identity, action, secret?.name ?? String(input['SecretId'] ?? ''))) return denied(res, identity, action, String(input['SecretId']));
        if (!secret) return notFound();
        return ok(res, {
          ARN: secret.arn,
          Name: secret.name,
          ...(secret.kmsKeyId ? { KmsKeyId: secret.kmsKeyId } : {}),
          LastChangedDate: secret.changed / 1000,
          ...(secret.deletedAt !== undefined ? { DeletedDate: secret.deletedAt / 1000 } : {}),
          VersionIdsToStages: Object.fromEntries([...secret.versions.values()].filter((v) => v.stages.length > 0).map((v) => [v.id, v.stages])),
        });
      }
      case 'DeleteSecret': {
        const secret = find(input['SecretId']);
        if (!allows(identity, action, secret?.name ?? String(input['SecretId'] ?? ''))) return denied(res, identity, action, String(input['SecretId']));
        if (!secret) return notFound();
        if (input['ForceDeleteWithoutRecovery'] === true && input['RecoveryWindowInDays'] !== undefined) return fail(res, 'InvalidParameterException', "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
        const force = input['ForceDeleteWithoutRecovery'] === true;
        if (force) secrets.delete(secret.name);
        else secret.deletedAt = Date.now();
        return ok(res, { ARN: secret.arn, Name: secret.name, DeletionDate: (force ? Date.now() : Date.now() + 30 * 86_400_000) / 1000 });
      }
      case 'ListSecrets': {
        // ListSecrets takes no resource-level permission: Resource "*".
        if (!allows(identity, action)) return denied(res, identity, action, '*');
        const max = Math.min(Number(input['MaxResults'] ?? 100), 100);
        const filters = (input['Filters'] as Array<{ Key: string; Values: string[] }> | undefined) ?? [];
        const start = Number(input['NextToken'] ?? 0);
        const matching = [...secrets.values()]
          .filter((s) => (input['IncludePlannedDeletion'] === true ? true : s.deletedAt === undefined))
          .filter((s) => filters.every((f) => f.Key !== 'name' || f.Values.some((v) => (v.startsWith('!') ? !s.name.startsWith(v.slice(1)) : s.name.startsWith(v)))))
          .sort((a, b) => a.name.localeCompare(b.name));
        const page = matching.slice(start, start + max);
        return ok(res, {
          SecretList: page.map((s) => ({ ARN: s.arn, Name: s.name, LastChangedDate: s.changed / 1000, ...(s.deletedAt !== undefined ? { DeletedDate: s.deletedAt / 1000 } : {}) })),
          ...(start + max < matching.length ? { NextToken: String(start + max) } : {}),
        });
      }
      default:
        return fail(res, 'UnknownOperationException', `${target} is not implemented by this stand-in`);
    }
  });

  return {
    ...server,
    region,
    account,
    counters,
    addIdentity(identity) {
      const full: AwsIdentity = { ...identity, arn: identity.arn ?? `arn:aws:iam::${account}:user/${identity.accessKeyId.toLowerCase()}` };
      identities.set(full.accessKeyId, full);
      return full;
    },
    names: () => [...secrets.keys()].sort(),
    current: (name) => {
      const secret = secrets.get(name);
      return secret ? currentOf(secret)?.value : undefined;
    },
    versionCount: (name) => secrets.get(name)?.versions.size ?? 0,
    kmsKeyOf: (name) => secrets.get(name)?.kmsKeyId,
    limitVersions: (max) => {
      versionsPerSecret = max;
    },
  };
}

export function awsKeys(): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64') };
}
