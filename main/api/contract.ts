import { z } from 'zod';

/**
 * The one contract between the core's hosts and everything that talks to them: the
 * desktop window (IPC via preload), the headless dashboard (WebSocket) and the CLI
 * (local socket). Requests are `domain.verb`, events `domain.changed`. Outputs are view
 * models: no schema here has a field that could hold a secret going out (the one exception
 * is a minted broker token, see MintedTokenView). Secrets only
 * ever travel inward (a pasted API key), and only in the fields named `secret`.
 * Imports zod only: the renderer and preload use this file too.
 */

export const ApiError = z.object({ code: z.string(), message: z.string() });
export type ApiError = z.infer<typeof ApiError>;
export type ApiResult<T> = { readonly ok: true; readonly data: T } | { readonly ok: false; readonly error: ApiError };

export const AuthMethodType = z.enum(['oauth2', 'device', 'api_key', 'bearer', 'basic', 'smtp_imap', 'cli_reader']);
export type AuthMethodType = z.infer<typeof AuthMethodType>;
export const ConnectionState = z.enum(['active', 'expiring', 'needs_reauth', 'error']);
export type ConnectionState = z.infer<typeof ConnectionState>;
export const RedirectKind = z.enum(['deeplink', 'loopback', 'paste']);
export type RedirectKind = z.infer<typeof RedirectKind>;

const Ref = z.string().min(1).max(200);
const Empty = z.object({}).strict();

/** implicit: TLS from the start; starttls: required upgrade; plain: only to 127.0.0.1/localhost. */
export const MailTlsMode = z.enum(['implicit', 'starttls', 'plain']);
export type MailTlsMode = z.infer<typeof MailTlsMode>;
export const MailServerView = z.object({ host: z.string(), port: z.number(), tls: MailTlsMode });
export type MailServerView = z.infer<typeof MailServerView>;

export const AuthMethodView = z.object({
  type: AuthMethodType,
  label: z.string().optional(),
  usernameLabel: z.string().optional(),
  passwordLabel: z.string().optional(),
  pattern: z.string().optional(),
  help: z.string().optional(),
  redirects: z.array(RedirectKind).optional(),
  clientConfigured: z.boolean().optional(),
  clientRegistrationUrl: z.string().optional(),
  /** Whether the provider's token endpoint wants the OAuth client's secret: confidential (always), either (unless PKCE / a public client), public (never). */
  clientKind: z.enum(['public', 'either', 'confidential']).optional(),
  /** The redirect URIs to add to the OAuth client registration before the first sign-in, exactly as the provider compares them. */
  redirectUris: z.array(z.object({ kind: RedirectKind, uri: z.string() })).optional(),
  /** The loopback redirect Sophon sends, for reading (e.g. "http://127.0.0.1:{any free port}/oauth/callback"). */
  loopbackRedirect: z.string().optional(),
  /** How `connect remove` ends the grant: at the provider, or (manual) by the person at revocationUrl. */
  revocation: z.enum(['provider', 'manual']).optional(),
  revocationUrl: z.string().optional(),
  /** The provider's own page for the facts this method follows. */
  docs: z.string().optional(),
  scopes: z.array(z.string()).optional(),
  cli: z.string().optional(),
  /** smtp_imap: the preset's servers (absent: asked for) and a line to read first; `docs` is where the servers are documented. */
  imap: MailServerView.optional(),
  smtp: MailServerView.optional(),
  note: z.string().optional(),
});
export type AuthMethodView = z.infer<typeof AuthMethodView>;

export const ServiceSummary = z.object({
  id: z.string(),
  name: z.string(),
  category: z.string(),
  description: z.string().optional(),
  /** One short line of what it gives an agent (the catalog's card). */
  summary: z.string().optional(),
  /** Words people search by besides the name. */
  keywords: z.array(z.string()).default([]),
  /** A Simple Icons slug the window has bundled; absent: a monogram. */
  icon: z.string().optional(),
  /** Plain-words setup steps for the service's page. */
  setup: z.array(z.string()).optional(),
  docsUrl: z.string().optional(),
  /** Order of prominence (0 first): what search breaks ties with. */
  rank: z.number().default(0),
  baseUrl: z.string(),
  custom: z.boolean(),
  auth: z.array(AuthMethodView),
  params: z.array(z.object({ name: z.string(), label: z.string(), pattern: z.string().optional(), example: z.string().optional() })),
  hasTest: z.boolean(),
  provider: z.string().optional(),
});
export type ServiceSummary = z.infer<typeof ServiceSummary>;

export const TestResultView = z.object({
  at: z.string(),
  ok: z.boolean(),
  status: z.number().optional(),
  message: z.string(),
  durationMs: z.number(),
  /** Tests with several sides (a mailbox: IMAP and SMTP), each on its own. */
  parts: z.array(z.object({ name: z.string(), ok: z.boolean(), message: z.string() })).optional(),
  /** false: nothing was called, because no live check exists for this sign-in (`message` says why). */
  live: z.boolean().optional(),
});
export type TestResultView = z.infer<typeof TestResultView>;

/** The vault refused the audit anchor (where the trail ends, kept out of reach of the audit files) since `since`. */
export const AnchorFailureView = z.object({ since: z.string(), failures: z.number(), message: z.string() });
export type AnchorFailureView = z.infer<typeof AnchorFailureView>;

export const ConnectionView = z.object({
  id: z.string(),
  service: z.string(),
  label: z.string(),
  authMethod: AuthMethodType,
  state: ConnectionState,
  stateReason: z.string().optional(),
  scopes: z.array(z.string()),
  expiresAt: z.number().optional(),
  /** Sophon renews the access token itself (so its expiry is no deadline for the person). */
  refreshable: z.boolean().optional(),
  createdAt: z.string(),
  lastUsedAt: z.string().optional(),
  lastRefreshAt: z.string().optional(),
  lastTest: TestResultView.optional(),
  params: z.record(z.string(), z.string()),
  account: z.string().optional(),
  /** A mailbox's own servers, when it has them (else the service's). */
  mail: z.object({ imap: MailServerView.optional(), smtp: MailServerView.optional() }).optional(),
  /** `connect status`: which vault backend holds it, and the age of the cached copy while that backend is failing. */
  vault: z.object({ backend: z.string(), cachedForSeconds: z.number().optional(), reason: z.string().optional(), anchorFailure: AnchorFailureView.optional() }).optional(),
});
export type ConnectionView = z.infer<typeof ConnectionView>;

/** A secret longer than this is almost always the wrong file piped in: say so, not zod's wording. */
const tooLong = (what: string, kib: number) => `the ${what} is longer than ${kib} KiB — is this the right file? nothing was stored`;

export const SecretInput = z.discriminatedUnion('type', [
  z.object({ type: z.literal('api_key'), key: z.string().max(8192, tooLong('key', 8)) }),
  z.object({ type: z.literal('bearer'), token: z.string().max(8192, tooLong('token', 8)) }),
  z.object({ type: z.literal('basic'), username: z.string().max(512, 'the user name is longer than 512 characters — check it'), password: z.string().max(8192, tooLong('password', 8)) }),
]);
export type SecretInput = z.infer<typeof SecretInput>;

export const AuditEntryView = z.object({
  seq: z.number(),
  ts: z.string(),
  actor: z.string(),
  action: z.string(),
  connection: z.string().optional(),
  service: z.string().optional(),
  skill: z.string().optional(),
  tool: z.string().optional(),
  outcome: z.string().optional(),
  reason: z.string().optional(),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});
export type AuditEntryView = z.infer<typeof AuditEntryView>;

export const VaultHealthView = z.object({
  backend: z.string(),
  path: z.string(),
  protector: z.string(),
  strength: z.enum(['strong', 'weak']),
  protectorDescription: z.string(),
  records: z.number(),
  owner: z.object({ name: z.string(), pid: z.number(), since: z.string() }),
  permissionProblems: z.array(z.object({ path: z.string(), mode: z.string(), expected: z.string() })),
  connectorProblems: z.array(z.object({ file: z.string(), message: z.string() })),
  home: z.string(),
  remote: z.object({ cachedRecords: z.number(), oldestCachedMs: z.number().optional(), lastError: z.object({ at: z.string(), message: z.string() }).optional() }).optional(),
  /** Where the audit trail's end is recorded in the vault (the anchor): how often, and whether the last write failed. */
  audit: z.object({ anchorEveryMs: z.number().optional(), anchorFailure: AnchorFailureView.optional() }).optional(),
});
export type VaultHealthView = z.infer<typeof VaultHealthView>;

export const SignInStarted = z.discriminatedUnion('kind', [
  z.object({ attemptId: z.string(), kind: z.literal('browser'), authorizationUrl: z.string(), redirect: RedirectKind, expiresAt: z.number() }),
  z.object({
    attemptId: z.string(),
    kind: z.literal('device'),
    userCode: z.string(),
    verificationUri: z.string(),
    verificationUriComplete: z.string().optional(),
    expiresAt: z.number(),
    interval: z.number(),
  }),
]);
export type SignInStarted = z.infer<typeof SignInStarted>;

export const SignInStatus = z.enum(['waiting', 'polling', 'slow_down', 'completed', 'failed', 'expired', 'cancelled']);
export type SignInStatus = z.infer<typeof SignInStatus>;

// ---- model providers and subscriptions (issue 5) ----

export const ProfileSource = z.enum(['cli-sync', 'oauth', 'token', 'api-key']);
export type ProfileSource = z.infer<typeof ProfileSource>;
export const ProfileState = z.enum(['usable', 'expiring', 'expired', 'missing', 'needs_reauth', 'error']);
export type ProfileState = z.infer<typeof ProfileState>;
const ProviderId = z.string().min(1).max(64);
const ProfileId = z.string().min(1).max(200);
const AgentName = z.string().min(1).max(64);

/** One auth profile (`provider:name`). `location` is where a CLI sign-in is read from (a path), never a token. */
export const ProfileView = z.object({
  id: z.string(),
  provider: z.string(),
  name: z.string(),
  service: z.string(),
  source: ProfileSource,
  state: ProfileState,
  reason: z.string().optional(),
  expiresAt: z.number().optional(),
  refreshable: z.boolean(),
  connectionId: z.string().optional(),
  cli: z.enum(['claude-code', 'codex', 'gh']).optional(),
  account: z.string().optional(),
  plan: z.string().optional(),
  billing: z.enum(['subscription', 'per-token']),
  /** USD per million tokens: 0 for a subscription; absent for per-token billing (see the provider's price list). */
  cost: z.object({ input: z.number(), output: z.number(), cacheRead: z.number(), cacheWrite: z.number() }).optional(),
  location: z.string().optional(),
});
export type ProfileView = z.infer<typeof ProfileView>;

export const ModelsStatusView = z.object({
  providers: z.array(z.object({ id: z.string(), services: z.array(z.string()), billing: z.enum(['subscription', 'per-token', 'mixed']), order: z.array(z.string()) })),
  profiles: z.array(ProfileView),
  /** What `sophon models status --check` exits with: 0 all usable, 1 expired or missing, 2 expiring within 24 h. */
  check: z.object({ exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]), problems: z.array(z.string()) }),
  /** The reminder that each provider's terms decide whether a plan may be used programmatically. */
  notice: z.string(),
});
export type ModelsStatusView = z.infer<typeof ModelsStatusView>;

/** Whether Claude Code, Codex and gh are installed and signed in (the "Sign in with Claude Code" card). */
export const CliStatusView = z.object({
  cli: z.enum(['claude-code', 'codex', 'gh']),
  name: z.string(),
  provider: z.string(),
  service: z.string(),
  installed: z.boolean(),
  signedIn: z.boolean(),
  state: z.union([ProfileState, z.literal('not_signed_in')]),
  message: z.string(),
  loginCommand: z.string(),
  location: z.string().optional(),
  expiresAt: z.number().optional(),
  plan: z.string().optional(),
  account: z.string().optional(),
  profile: z.string().optional(),
});
export type CliStatusView = z.infer<typeof CliStatusView>;

export const AuthOrderView = z.object({
  provider: z.string(),
  agent: z.string().optional(),
  scope: z.enum(['agent', 'provider', 'default']),
  explicit: z.array(z.string()),
  effective: z.array(z.string()),
});
export type AuthOrderView = z.infer<typeof AuthOrderView>;

export const ProfileResultView = z.object({ profile: ProfileView, warnings: z.array(z.string()), notice: z.string() });
export type ProfileResultView = z.infer<typeof ProfileResultView>;

export const SettingsView = z.object({
  theme: z.enum(['system', 'light', 'dark']),
});
export type SettingsView = z.infer<typeof SettingsView>;

export const SkillStatus = z.enum(['approved', 'pending', 'changed', 'invalid']);
export type SkillStatus = z.infer<typeof SkillStatus>;

export const SkillView = z.object({
  id: z.string(),
  name: z.string().optional(),
  description: z.string().optional(),
  file: z.string(),
  status: SkillStatus,
  /** What the manifest asks for now: one entry per service or labelled connection (refs, never a secret). */
  grants: z.array(z.object({ ref: z.string(), methods: z.array(z.string()), paths: z.array(z.string()), send: z.boolean().optional() })),
  /** null: any tool name. */
  tools: z.array(z.string()).nullable(),
  /** SHA-256 of what the manifest asks for; pass it to skills.approve to approve exactly what was shown. */
  grantHash: z.string().optional(),
  approvedAt: z.string().optional(),
  problem: z.string().optional(),
  /** What it asks for beyond the approval (status "changed"). */
  excess: z.array(z.string()).optional(),
  /** What was approved (status "approved" or "changed"), to show beside what it asks for now. */
  approved: z.object({ grants: z.array(z.object({ ref: z.string(), methods: z.array(z.string()), paths: z.array(z.string()) })), tools: z.array(z.string()).nullable() }).optional(),
});
export type SkillView = z.infer<typeof SkillView>;

export const BrokerTokenView = z.object({
  id: z.string(),
  skill: z.string(),
  tool: z.string(),
  connections: z.array(z.object({ id: z.string(), service: z.string(), label: z.string() })),
  mintedAt: z.number(),
  expiresAt: z.number(),
});
export type BrokerTokenView = z.infer<typeof BrokerTokenView>;

export const BrokerStatusView = z.object({
  running: z.boolean(),
  proxyUrl: z.string().optional(),
  defaultTtlSeconds: z.number(),
  maxTtlSeconds: z.number(),
  /** Live broker tokens: ids and what they cover, never the tokens. */
  live: z.array(BrokerTokenView),
});
export type BrokerStatusView = z.infer<typeof BrokerStatusView>;

/**
 * The one outward field that is a bearer secret: a broker token, minutes-lived and bound
 * to one skill, tool call and grant. Only the CLI and agent runtimes mint (never the window).
 */
export const MintedTokenView = z.object({
  id: z.string(),
  token: z.string(),
  skill: z.string(),
  tool: z.string(),
  connections: z.array(z.object({ id: z.string(), service: z.string(), label: z.string(), state: z.string() })),
  expiresAt: z.number(),
  proxyUrl: z.string().optional(),
});
export type MintedTokenView = z.infer<typeof MintedTokenView>;

const SkillRef = z.string().min(1).max(64);

// ---- mail (issue 13) ----

const MailServerInput = z
  .object({ host: z.string().min(1).max(253).optional(), port: z.number().int().min(1).max(65535).optional(), tls: MailTlsMode.optional() })
  .strict();
const MailAddress = z.object({ name: z.string().optional(), address: z.string().optional() });

export const MailMessageView = z.object({
  /** mailbox:uidvalidity:uid — pass it to mail.read. */
  id: z.string(),
  date: z.string().optional(),
  from: z.array(MailAddress),
  to: z.array(MailAddress),
  cc: z.array(MailAddress),
  subject: z.string().optional(),
  messageId: z.string().optional(),
  unread: z.boolean(),
  flagged: z.boolean(),
  size: z.number().optional(),
  hasAttachments: z.boolean(),
});
export type MailMessageView = z.infer<typeof MailMessageView>;

const MailAttachmentView = z.object({ part: z.string(), filename: z.string().optional(), contentType: z.string(), size: z.number().optional() });

export const MailReadView = z.object({
  message: MailMessageView.extend({
    replyTo: z.array(MailAddress),
    inReplyTo: z.string().optional(),
    text: z.string(),
    textFormat: z.enum(['plain', 'html', 'none']),
    textTruncated: z.boolean(),
    attachments: z.array(MailAttachmentView),
  }).optional(),
  attachment: MailAttachmentView.extend({ contentBase64: z.string() }).optional(),
});
export type MailReadView = z.infer<typeof MailReadView>;

/** No `connection`: nothing was stored (or changed); `result` has what each side answered, `problem` what to do. */
const MailConnectionResult = z.object({ connection: ConnectionView.optional(), result: TestResultView.optional(), problem: z.string().optional() });
/** Mail tools act for a skill: the broker token of its tool call, and the mailbox (id, service:label, or service). */
const MailCall = { token: z.string().min(1).max(128), connection: Ref };

// ---- agents: `sophon mcp` and `sophon run` (issue 12) ----

/** A tool of `sophon mcp`, as an MCP client lists it: the input schema is JSON Schema. */
export const AgentToolView = z.object({
  name: z.string(),
  description: z.string(),
  inputSchema: z.record(z.string(), z.unknown()),
  annotations: z
    .object({ title: z.string().optional(), readOnlyHint: z.boolean().optional(), destructiveHint: z.boolean().optional(), idempotentHint: z.boolean().optional(), openWorldHint: z.boolean().optional() })
    .optional(),
});
export type AgentToolView = z.infer<typeof AgentToolView>;

/**
 * What a tool answered. Its text holds what a service returned through the broker proxy,
 * which took every credential value out of it; never a secret of Sophon's.
 */
export const AgentToolResult = z.object({ isError: z.boolean(), text: z.string() });
export type AgentToolResult = z.infer<typeof AgentToolResult>;

/** A `sophon run` child's token and environment (the token is the MintedTokenView exception again). */
export const RunView = z.object({
  token: MintedTokenView,
  env: z.record(z.string(), z.string()),
  unset: z.array(z.string()),
  warnings: z.array(z.string()),
  /** Renew the token (broker.renew) at least this often while the child runs. */
  renewSeconds: z.number(),
});
export type RunView = z.infer<typeof RunView>;

function request<I extends z.ZodType, O extends z.ZodType>(input: I, output: O) {
  return { input, output } as const;
}

/** Every request a client may make, with its input and output. */
export const Requests = {
  'catalog.list': request(Empty, z.array(ServiceSummary)),
  'catalog.get': request(z.object({ id: z.string().min(1).max(64) }).strict(), ServiceSummary),
  'connections.list': request(Empty, z.array(ConnectionView)),
  'connections.add': request(
    z.object({ service: z.string().min(1).max(64), label: z.string().max(64).optional(), secret: SecretInput, params: z.record(z.string(), z.string().max(256)).optional() }).strict(),
    z.object({ connection: ConnectionView, warnings: z.array(z.string()) }),
  ),
  'connections.test': request(z.object({ ref: Ref }).strict(), z.object({ connection: ConnectionView, result: TestResultView })),
  'connections.status': request(z.object({ ref: Ref }).strict(), ConnectionView),
  'connections.remove': request(
    z.object({ ref: Ref }).strict(),
    // revocationNote: what the person should do when the provider could not be asked or did not confirm.
    z.object({ connection: ConnectionView, revoked: z.enum(['revoked', 'not_supported', 'failed']), revocationNote: z.string().optional() }),
  ),
  'connections.reauth': request(
    z.object({ ref: Ref, scopes: z.array(z.string().max(256)).optional(), redirect: RedirectKind.optional(), device: z.boolean().optional() }).strict(),
    SignInStarted,
  ),
  'signin.start': request(
    z
      .object({
        service: z.string().min(1).max(64),
        label: z.string().max(64).optional(),
        method: z.enum(['oauth2', 'device']),
        redirect: RedirectKind.optional(),
        scopes: z.array(z.string().max(256)).optional(),
        params: z.record(z.string(), z.string().max(256)).optional(),
      })
      .strict(),
    SignInStarted,
  ),
  /** Hands the core the URL the provider redirected to (a pasted URL or a deep link). */
  'signin.complete': request(z.object({ attemptId: z.string().optional(), redirectUrl: z.string().max(8192) }).strict(), ConnectionView),
  /** Resolves when the attempt ends; progress arrives as `signin.changed` events. */
  'signin.wait': request(z.object({ attemptId: z.string() }).strict(), ConnectionView),
  'signin.cancel': request(z.object({ attemptId: z.string() }).strict(), z.object({ cancelled: z.boolean() })),
  'oauth.configure': request(
    z.object({ service: z.string().min(1).max(64), clientId: z.string().min(1).max(512), clientSecret: z.string().max(4096).optional() }).strict(),
    z.object({ service: z.string(), clientId: z.string(), hasSecret: z.boolean() }),
  ),
  'models.status': request(z.object({ agent: AgentName.optional() }).strict(), ModelsStatusView),
  'models.cliStatus': request(Empty, z.array(CliStatusView)),
  /** A token pasted for a provider (a `claude setup-token` token, a GitHub token, an API key): stdin or a hidden field, never argv. */
  'models.pasteToken': request(
    z.object({ provider: ProviderId, profile: z.string().min(1).max(64).optional(), secret: z.string().max(16384, tooLong('token', 16)), expiresInSeconds: z.number().int().min(1).max(10 * 366 * 86_400).optional() }).strict(),
    ProfileResultView,
  ),
  /** Links a CLI sign-in (Claude Code, Codex, gh) as a profile, read in place. */
  'models.sync': request(z.object({ provider: ProviderId, profile: z.string().min(1).max(64).optional() }).strict(), ProfileResultView),
  'models.test': request(
    z.object({ profile: ProfileId }).strict(),
    z.object({ profile: ProfileView, ok: z.boolean(), message: z.string(), code: z.string().optional(), status: z.number().optional() }),
  ),
  /** Which profile a provider's credential would come from now, and which were skipped. */
  'models.resolve': request(
    z.object({ provider: ProviderId, agent: AgentName.optional() }).strict(),
    z.object({ profile: ProfileView, skipped: z.array(z.object({ id: z.string(), reason: z.string() })) }),
  ),
  'models.orderGet': request(z.object({ provider: ProviderId, agent: AgentName.optional() }).strict(), AuthOrderView),
  'models.orderSet': request(
    z.object({ provider: ProviderId, agent: AgentName.optional(), profiles: z.array(ProfileId).min(1).max(32) }).strict(),
    z.object({ order: AuthOrderView, warnings: z.array(z.string()) }),
  ),
  'models.orderClear': request(z.object({ provider: ProviderId, agent: AgentName.optional() }).strict(), AuthOrderView),
  'audit.list': request(
    z
      .object({
        since: z.number().optional(),
        skill: z.string().optional(),
        connection: z.string().optional(),
        action: z.string().optional(),
        /** "ok", or "failed" for every other outcome (error, denied, refused…). */
        outcome: z.enum(['ok', 'failed']).optional(),
        limit: z.number().int().min(1).max(1000).default(100),
        offset: z.number().int().min(0).default(0),
      })
      .strict(),
    z.object({ entries: z.array(AuditEntryView), total: z.number(), complete: z.boolean().optional() }),
  ),
  'audit.verify': request(Empty, z.object({ ok: z.boolean(), lines: z.number(), problems: z.array(z.object({ line: z.number(), problem: z.string() })) })),
  'vault.health': request(Empty, VaultHealthView),
  'settings.get': request(Empty, SettingsView),
  'settings.set': request(SettingsView.partial().strict(), SettingsView),
  'skills.list': request(Empty, z.array(SkillView)),
  /** Validates a manifest (its parsed JSON) and copies it to skills/<id>.json; it still needs approval. */
  'skills.add': request(z.object({ manifest: z.unknown() }).strict(), SkillView),
  'skills.approve': request(z.object({ id: SkillRef, grantHash: z.string().regex(/^[a-f0-9]{64}$/).optional() }).strict(), SkillView),
  'skills.revoke': request(z.object({ id: SkillRef }).strict(), z.object({ skill: SkillView, revoked: z.number() })),
  'skills.remove': request(z.object({ id: SkillRef }).strict(), z.object({ skill: SkillView, revoked: z.number() })),
  'broker.mint': request(
    z.object({ skill: SkillRef, tool: z.string().min(1).max(128), connections: z.array(Ref).max(16).optional(), ttlSeconds: z.number().int().min(1).optional(), agent: AgentName.optional() }).strict(),
    MintedTokenView,
  ),
  /** Pushes a live token's expiry out again (a `sophon run` child's, while it runs). */
  'broker.renew': request(z.object({ id: z.string().min(1).max(64) }).strict(), z.object({ id: z.string(), expiresAt: z.number() })),
  /** The tools `sophon mcp --skill S` offers. */
  'agents.tools': request(z.object({ skill: SkillRef }).strict(), z.object({ tools: z.array(AgentToolView) })),
  /** Runs one tool call inside the owner; its broker tokens are minted for `tool#callId` and revoked when it ends. */
  'agents.call': request(
    z.object({ skill: SkillRef, agent: AgentName.optional(), tool: z.string().min(1).max(64), callId: z.string().min(1).max(64), arguments: z.unknown().optional() }).strict(),
    AgentToolResult,
  ),
  /** `sophon run`: a token for the child, bound to this connection (revoked when it closes), and the child's variables. */
  'agents.run': request(
    z.object({ skill: SkillRef, tool: z.string().min(1).max(128), agent: AgentName.optional(), connections: z.array(Ref).max(16).optional() }).strict(),
    RunView,
  ),
  /** One token by id (btk_…), or every token: the kill switch. */
  'broker.revoke': request(z.union([z.object({ id: z.string().min(1).max(64) }).strict(), z.object({ all: z.literal(true) }).strict()]), z.object({ revoked: z.number() })),
  'broker.status': request(Empty, BrokerStatusView),
  /** Connects a mailbox; `secret` is the password. Both logins are tried first unless `test` is false. */
  'mail.add': request(
    z
      .object({
        service: z.string().min(1).max(64),
        label: z.string().max(64).optional(),
        address: z.string().min(3).max(320),
        username: z.string().max(512).optional(),
        secret: z.string().max(8192),
        imap: MailServerInput.optional(),
        smtp: MailServerInput.optional(),
        test: z.boolean().optional(),
      })
      .strict(),
    MailConnectionResult,
  ),
  /** A new password (re-auth), username or servers for a mailbox. */
  'mail.update': request(
    z.object({ ref: Ref, secret: z.string().max(8192).optional(), username: z.string().max(512).optional(), imap: MailServerInput.optional(), smtp: MailServerInput.optional(), test: z.boolean().optional() }).strict(),
    MailConnectionResult,
  ),
  /** Newest matches first, at most Sophon.Mail.MaxSearchResults; headers and ids, no bodies. */
  'mail.search': request(
    z
      .object({
        ...MailCall,
        mailbox: z.string().min(1).max(256).optional(),
        from: z.string().max(256).optional(),
        to: z.string().max(256).optional(),
        subject: z.string().max(256).optional(),
        since: z.string().max(40).optional(),
        before: z.string().max(40).optional(),
        unread: z.boolean().optional(),
        limit: z.number().int().min(1).max(1000).optional(),
      })
      .strict(),
    z.object({ mailbox: z.string(), total: z.number(), truncated: z.boolean(), messages: z.array(MailMessageView) }),
  ),
  /** One message's text with its attachments listed; with `attachment` (a part), that attachment's bytes. */
  'mail.read': request(z.object({ ...MailCall, id: z.string().min(1).max(600), attachment: z.string().min(1).max(64).optional() }).strict(), MailReadView),
  'mail.send': request(
    z
      .object({
        ...MailCall,
        to: z.array(z.string().min(3).max(320)).min(1).max(100),
        cc: z.array(z.string().min(3).max(320)).max(100).optional(),
        subject: z.string().max(998),
        text: z.string().max(1024 * 1024),
        inReplyTo: z.string().max(998).optional(),
      })
      .strict(),
    z.object({ messageId: z.string(), accepted: z.number(), rejected: z.array(z.string()) }),
  ),
} as const;

export type RequestName = keyof typeof Requests;
export type RequestInput<N extends RequestName> = z.input<(typeof Requests)[N]['input']>;
export type RequestOutput<N extends RequestName> = z.output<(typeof Requests)[N]['output']>;

/** Every event a host pushes to its clients. */
export const Events = {
  'connections.changed': z.object({ type: z.enum(['added', 'updated', 'removed']), connection: ConnectionView }),
  'signin.changed': z.object({
    attemptId: z.string(),
    status: SignInStatus,
    message: z.string(),
    service: z.string(),
    userCode: z.string().optional(),
    verificationUri: z.string().optional(),
    verificationUriComplete: z.string().optional(),
    authorizationUrl: z.string().optional(),
    expiresAt: z.number().optional(),
    interval: z.number().optional(),
    connection: ConnectionView.optional(),
    errorCode: z.string().optional(),
  }),
  'skills.changed': z.object({ id: z.string() }),
  /** How many broker tokens are live (the tray's kill switch shows it). */
  'broker.changed': z.object({ live: z.number() }),
  /** Desktop only: the person chose an item in the tray menu that the window carries out. */
  'tray.selected': z.object({ action: z.enum(['reconnect']), connectionId: z.string() }),
} as const;

export type EventName = keyof typeof Events;
export type EventPayload<N extends EventName> = z.output<(typeof Events)[N]>;

export const REQUEST_NAMES = Object.keys(Requests) as RequestName[];
export const EVENT_NAMES = Object.keys(Events) as EventName[];

/** The client surface: `sophon.connections.list()` for request `connections.list`. */
type DomainOf<N> = N extends `${infer Domain}.${string}` ? Domain : never;
export type RequestDomain = DomainOf<RequestName>;
export type DomainApi = {
  readonly [D in RequestDomain]: {
    readonly [N in RequestName as N extends `${D}.${infer Verb}` ? Verb : never]: Record<string, never> extends RequestInput<N>
      ? (input?: RequestInput<N>) => Promise<ApiResult<RequestOutput<N>>>
      : (input: RequestInput<N>) => Promise<ApiResult<RequestOutput<N>>>;
  };
};

export interface SophonBridge {
  readonly api: DomainApi;
  on<N extends EventName>(event: N, listener: (payload: EventPayload<N>) => void): () => void;
}

/** What the preload exposes as `window.sophon`: one method per request, grouped by domain, plus `on`. */
export type SophonWindowApi = DomainApi & Pick<SophonBridge, 'on'>;

/** Sends one request; every transport (IPC, WebSocket) implements this and nothing more. */
export type CallTransport = (method: RequestName, input: unknown) => Promise<ApiResult<unknown>>;

/**
 * Builds the domain-shaped client (`api.connections.list({})`) from the request names,
 * so preload and the WebSocket client expose exactly the contract and nothing else.
 */
export function createDomainApi(call: CallTransport): DomainApi {
  const api: Record<string, Record<string, (input?: unknown) => Promise<ApiResult<unknown>>>> = {};
  for (const name of REQUEST_NAMES) {
    const dot = name.indexOf('.');
    const domain = name.slice(0, dot);
    const verb = name.slice(dot + 1);
    (api[domain] ??= {})[verb] = (input?: unknown) => call(name, input ?? {});
  }
  return api as unknown as DomainApi;
}

/**
 * The WebSocket transport of the dashboard: the same messages as the local socket.
 * Client → {id, method, params} | {id, cancel: true}. Server → {id, result} | {id, event,
 * payload} (progress of that call) | {event, payload} (pushed to every client).
 */
export const WireClientMessage = z.union([
  z.object({ id: z.number().int().nonnegative(), cancel: z.literal(true) }).strict(),
  z.object({ id: z.number().int().nonnegative(), method: z.string().max(100), params: z.unknown().optional() }).strict(),
]);
export type WireClientMessage = z.infer<typeof WireClientMessage>;

export const WireServerMessage = z.union([
  z.object({ id: z.number(), result: z.union([z.object({ ok: z.literal(true), data: z.unknown() }), z.object({ ok: z.literal(false), error: ApiError })]) }),
  z.object({ id: z.number().optional(), event: z.enum(EVENT_NAMES as [EventName, ...EventName[]]), payload: z.unknown() }),
]);
export type WireServerMessage = z.infer<typeof WireServerMessage>;
