import { z } from 'zod';
import { Loopback, OAuthFacts, ParamLookup, ResponseIssuer } from './oauth-facts.ts';

/**
 * What Sophon knows about a service: how to sign in, where its API lives (the broker's
 * host allowlist), how a credential is attached to a request, and a cheap call that
 * proves a credential works. Built-in services and custom connectors
 * ($SOPHON_HOME/connectors/*.json) share this schema.
 */

export const ServiceId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes, starting with a letter or digit');
export type ServiceId = z.infer<typeof ServiceId>;

const HttpsOrLoopbackUrl = z.url({ protocol: /^https?$/ });

export const Category = z.enum(['email', 'calendar', 'storage', 'docs', 'developer', 'chat', 'project', 'automation', 'telephony', 'ai', 'other']);
export type Category = z.infer<typeof Category>;

/**
 * Where a credential goes on a request. `value` is a template: {token} (access token,
 * API key or bearer token), {username}, {password}, {basic} (base64 of user:password),
 * {account} (an account id some providers want beside the token).
 */
export const AttachRule = z.object({
  in: z.enum(['header', 'query']),
  name: z.string().min(1),
  value: z.string().min(1),
});
export type AttachRule = z.infer<typeof AttachRule>;
export const Attach = z.array(AttachRule).min(1);

export const RedirectKind = z.enum(['deeplink', 'loopback', 'paste']);
export type RedirectKind = z.infer<typeof RedirectKind>;

export const TestCall = z.object({
  method: z.enum(['GET', 'POST', 'HEAD']).default('GET'),
  /** Another of the service's hosts (api.additionalBaseUrls) when its identity call lives there. */
  baseUrl: HttpsOrLoopbackUrl.optional(),
  /** Relative to the API base URL (or `baseUrl`). */
  path: z.string().startsWith('/'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  expect: z
    .object({
      status: z.array(z.number().int().min(100).max(599)).min(1).default([200]),
      /** A JSON field that must hold a value, e.g. Slack's {"ok": true}. Dot path. */
      json: z.object({ path: z.string().min(1), equals: z.union([z.string(), z.number(), z.boolean()]) }).optional(),
    })
    .default({ status: [200] }),
});
export type TestCall = z.infer<typeof TestCall>;

const ClientFields = {
  /** Where a person creates the OAuth client this method needs (shown when it is missing). */
  clientRegistrationUrl: z.url(),
  /** A public client id the provider publishes for desktop tools, if any. */
  defaultClientId: z.string().optional(),
  clientSecret: z.enum(['none', 'optional', 'required']).default('none'),
  tokenEndpointAuth: z.enum(['none', 'client_secret_basic', 'client_secret_post']).default('none'),
  scopes: z.array(z.string()).default([]),
  ...OAuthFacts,
  /** Where an OAuth token of this method is sent when it differs from the service's (Atlassian: api.atlassian.com/ex/…). May hold {param} placeholders. */
  baseUrl: z.string().min(1).optional(),
  /** The test call for this method, when the service's does not fit its tokens. */
  test: TestCall.optional(),
  /** Params learnt after sign-in (Atlassian's cloudId). */
  lookup: ParamLookup.optional(),
};

export const OAuth2Method = z
  .object({
    type: z.literal('oauth2'),
    /** Endpoints come from this issuer's discovery document when set. */
    issuer: z.url().optional(),
    /** The issuer its authorization responses and id_tokens name (RFC 9207), or 'none'. Unset: discovery's, else the authorization endpoint's origin. */
    responseIssuer: ResponseIssuer.optional(),
    authorizationEndpoint: z.url().optional(),
    tokenEndpoint: z.url().optional(),
    revocationEndpoint: z.url().optional(),
    /** The ways back this provider accepts, in order of preference. */
    redirects: z.array(RedirectKind).min(1).default(['deeplink', 'loopback', 'paste']),
    loopback: Loopback,
    extraAuthParams: z.record(z.string(), z.string()).default({}),
    attach: Attach.optional(),
    ...ClientFields,
  })
  .refine((m) => m.issuer !== undefined || (m.authorizationEndpoint !== undefined && m.tokenEndpoint !== undefined), {
    message: 'needs an issuer (for discovery) or both authorizationEndpoint and tokenEndpoint',
  });

export const DeviceMethod = z
  .object({
    type: z.literal('device'),
    issuer: z.url().optional(),
    deviceAuthorizationEndpoint: z.url().optional(),
    tokenEndpoint: z.url().optional(),
    revocationEndpoint: z.url().optional(),
    attach: Attach.optional(),
    ...ClientFields,
  })
  .refine((m) => m.issuer !== undefined || (m.deviceAuthorizationEndpoint !== undefined && m.tokenEndpoint !== undefined), {
    message: 'needs an issuer (for discovery) or both deviceAuthorizationEndpoint and tokenEndpoint',
  });

const SecretFormat = {
  /** A regular expression a pasted secret must match (a typo check, not a security boundary). */
  pattern: z.string().optional(),
  /** Where a person creates this secret. */
  help: z.url().optional(),
  /** Where the provider documents this credential's format. */
  docs: z.url().optional(),
  attach: Attach.optional(),
  /** The test call for this kind of credential, when the service's does not fit it. */
  test: TestCall.optional(),
};

export const ApiKeyMethod = z.object({ type: z.literal('api_key'), label: z.string().default('API key'), ...SecretFormat });
export const BearerMethod = z.object({ type: z.literal('bearer'), label: z.string().default('Token'), ...SecretFormat });
export const BasicMethod = z.object({
  type: z.literal('basic'),
  usernameLabel: z.string().default('Username'),
  passwordLabel: z.string().default('Password'),
  ...SecretFormat,
});

/** implicit: TLS from the first byte (993, 465); starttls: required upgrade (143, 587); plain: only to this machine. */
export const MailTls = z.enum(['implicit', 'starttls', 'plain']);
export type MailTls = z.infer<typeof MailTls>;
export const MailServer = z.object({
  host: z.string().min(1).max(253).regex(/^[A-Za-z0-9.:[\]-]+$/, 'a host name or IP address'),
  port: z.number().int().min(1).max(65535),
  tls: MailTls,
});
export type MailServer = z.infer<typeof MailServer>;
/**
 * A mailbox over IMAP (reading) and SMTP (sending) with one login. A preset names its servers;
 * the generic entry leaves them out and they are asked for when connecting.
 */
export const SmtpImapMethod = z.object({
  type: z.literal('smtp_imap'),
  imap: MailServer.optional(),
  smtp: MailServer.optional(),
  /** Where an app password is made (shown at the password prompt). */
  help: z.url().optional(),
  /** The provider's own page these servers, ports and TLS modes come from. */
  docs: z.url().optional(),
  /** One line to read before connecting ("turn on IMAP in the settings first"). */
  note: z.string().max(400).optional(),
});

export const CliReaderMethod = z.object({
  type: z.literal('cli_reader'),
  cli: z.enum(['claude-code', 'codex', 'gh']),
  attach: Attach.optional(),
});

export const AuthMethod = z.discriminatedUnion('type', [OAuth2Method, DeviceMethod, ApiKeyMethod, BearerMethod, BasicMethod, SmtpImapMethod, CliReaderMethod]);
export type AuthMethod = z.infer<typeof AuthMethod>;
export type AuthMethodType = AuthMethod['type'];
export const AUTH_METHOD_TYPES = ['oauth2', 'device', 'api_key', 'bearer', 'basic', 'smtp_imap', 'cli_reader'] as const satisfies readonly AuthMethodType[];


export const ServiceParam = z.object({
  name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*$/),
  label: z.string(),
  pattern: z.string().optional(),
  example: z.string().optional(),
});

/** A POSIX environment variable name, as SDKs read them. */
export const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/, 'an environment variable name: upper-case letters, digits and underscores');

/**
 * One variable `sophon run` sets for a granted connection of this service, the name its SDKs
 * and CLIs read. `value` is a template: {baseUrl} (this connection's address on the broker
 * proxy, standing in for the service's API base) and {token} (the run's broker token). A
 * variable without a value is cleared instead: the SDK's other key variables, so a real key
 * from the parent's environment never reaches the child, nor takes precedence.
 */
export const EnvVar = z
  .object({
    name: EnvName,
    value: z.string().max(512).optional(),
  })
  .strict()
  .refine((v) => v.value === undefined || /^(?:[^{}]|\{(?:baseUrl|token)\})*$/.test(v.value), { message: 'value may use only the placeholders {baseUrl} and {token}' });
export type EnvVar = z.infer<typeof EnvVar>;

/** A place an SDK of this service puts its key: the broker accepts its own token there as well as in Authorization. */
export const TokenPlace = z.object({
  in: z.enum(['header', 'query']),
  name: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, dashes and underscores'),
});
export type TokenPlace = z.infer<typeof TokenPlace>;

export const ServiceDefinition = z.object({
  id: ServiceId,
  name: z.string().min(1),
  category: Category,
  description: z.string().optional(),
  /** One short line of what the service gives an agent, for the catalog ("Read and search your mail"). */
  summary: z.string().max(80).optional(),
  /** Words people search by that are not in the name ("mail", "claude"). */
  keywords: z.array(z.string().min(1)).default([]),
  /** The brand mark: a Simple Icons slug (https://simpleicons.org, CC0). Absent: a monogram. */
  icon: z.string().regex(/^[a-z0-9]+$/).optional(),
  /** How to set it up, in plain words, one step each; the technical part stays in `description`. */
  setup: z.array(z.string().min(1)).optional(),
  docsUrl: z.url().optional(),
  auth: z.array(AuthMethod).min(1),
  api: z.object({
    /** May hold {param} placeholders declared in `params` (e.g. an Atlassian site). */
    baseUrl: z.string().min(1),
    /** More hosts the broker may reach for this service. */
    additionalBaseUrls: z.array(HttpsOrLoopbackUrl).default([]),
    /** Headers every API call needs (e.g. a version header). */
    headers: z.record(z.string(), z.string()).default({}),
  }),
  /** Default way to attach the credential; an auth method may override it. */
  attach: Attach.default([{ in: 'header', name: 'Authorization', value: 'Bearer {token}' }]),
  params: z.array(ServiceParam).default([]),
  test: TestCall.optional(),
  /**
   * When no `test` call fits. `provider`: the provider code proves the credential its own way
   * (Copilot: a fresh token exchange); `none`: no cheap read-only check exists, and `reason`
   * says why, which `connect test` shows instead of "ok".
   */
  liveTest: z
    .discriminatedUnion('by', [z.object({ by: z.literal('provider'), what: z.string().min(1) }), z.object({ by: z.literal('none'), reason: z.string().min(1) })])
    .optional(),
  broker: z
    .object({
      allowSetCookie: z.boolean().default(false),
      /** Where this service's SDKs send their key besides `Authorization: Bearer` (x-api-key, x-goog-api-key, a query parameter). */
      tokenIn: z.array(TokenPlace).max(8).default([]),
    })
    .default({ allowSetCookie: false, tokenIn: [] }),
  /** Environment variables `sophon run` sets for a granted connection (see EnvVar); the page naming them in `envSource`. */
  env: z.array(EnvVar).max(32).default([]),
  envSource: z.url().optional(),
  /** Model provider this service signs in to, for `sophon models`. */
  provider: z.string().optional(),
});
export type ServiceDefinition = z.infer<typeof ServiceDefinition>;
/** What an author writes: defaults not yet applied. */
export type ServiceDefinitionInput = z.input<typeof ServiceDefinition>;

export function authMethod<T extends AuthMethodType>(service: ServiceDefinition, type: T): Extract<AuthMethod, { type: T }> | undefined {
  return service.auth.find((m): m is Extract<AuthMethod, { type: T }> => m.type === type);
}

/** The attach rules for a credential obtained by `method`. */
export function attachRules(service: ServiceDefinition, method: AuthMethod): AttachRule[] {
  return ('attach' in method && method.attach) || service.attach;
}

/** Formats zod issues as "path: problem" pieces, joined for one line. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}
