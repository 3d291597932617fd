import type { Broker } from '../broker/broker.ts';
import { MailServer, authMethod, type ServiceDefinition } from '../catalog/schema.ts';
import type { RequestContext } from '../connections/connection-service.ts';
import type { Connection, StoredSecret, TestPart, TestResult } from '../connections/model.ts';
import { SophonError } from '../errors.ts';
import type { SophonCore } from '../sophon-core.ts';
import { loadCaFiles } from '../tls-cas.ts';
import { defaultPort, describeServer, resolveEndpoints, SIDE_NAME, type MailEndpoints, type MailSide } from './endpoints.ts';
import { MailFailureError, withImap, withSmtp, type MailLogin, type MailTransportOptions } from './mail-clients.ts';
import type { MailFailure } from './mail-errors.ts';
import { mailSettings, type MailSettings } from './mail-settings.ts';
import { MailTools } from './mail-tools.ts';

export interface MailServerInput {
  readonly host?: string;
  readonly port?: number;
  readonly tls?: MailServer['tls'];
}

export interface MailAddInput {
  readonly service: string;
  readonly label?: string;
  readonly address: string;
  /** Defaults to the address. */
  readonly username?: string;
  readonly password: string;
  readonly imap?: MailServerInput;
  readonly smtp?: MailServerInput;
  /** Log in on both sides before storing (default); false stores without trying. */
  readonly test?: boolean;
}

export interface MailUpdateInput {
  readonly ref: string;
  readonly password?: string;
  readonly username?: string;
  readonly imap?: MailServerInput;
  readonly smtp?: MailServerInput;
  readonly test?: boolean;
}

/** What mail.add and mail.update did: stored (`connection`), or not, with what each side answered and what to do. */
export interface MailChange {
  readonly connection?: Connection;
  readonly result?: TestResult;
  readonly problem?: string;
}

export interface SideOutcome {
  readonly ok: boolean;
  readonly message: string;
  readonly failure?: MailFailure;
}

export interface MailTestOutcome {
  readonly imap: SideOutcome;
  readonly smtp: SideOutcome;
}

const ADDRESS = /^[^\s@<>"]+@[^\s@<>"]+$/;

function cleanPassword(value: string): string {
  const password = value.replace(/\r?\n$/, '');
  if (password.length === 0) throw new SophonError('EMPTY_SECRET', 'the password is empty — type it at the prompt or pipe it on stdin');
  if (/[\r\n\0]/.test(password)) throw new SophonError('INVALID_INPUT', 'the password contains a line break — paste exactly one line');
  return password;
}

/**
 * Mailboxes: connecting one (both logins tried before anything is stored), testing it, and the
 * owner-side mail tools. A refused login on either side turns the connection to needs re-auth
 * with the server's answer as the reason; network and certificate failures leave it as it is.
 * The password is read from the vault inside this process and never leaves it.
 */
export class MailService {
  readonly settings: MailSettings;
  readonly tools: MailTools;
  private ca: Promise<string[] | undefined> | undefined;

  constructor(
    readonly core: SophonCore,
    readonly broker: Broker,
  ) {
    this.settings = mailSettings(core.settings);
    this.tools = new MailTools(this, broker);
    core.connections.setTester('smtp_imap', (connection, ctx) => this.test(connection, ctx));
    // The HTTP proxy has nothing to attach a mailbox password to: say so instead of failing oddly.
    core.connections.setCredentialSource('smtp_imap', async (connection) => {
      throw new SophonError('BROKER_DENIED', `${connection.service}:${connection.label} is a mailbox: use the mail tools (search, read, send), not the HTTP proxy`);
    });
  }

  async transportOptions(): Promise<MailTransportOptions> {
    this.ca ??= loadCaFiles(this.settings.CaFiles, this.core.paths.configDir, 'Sophon.Mail.CaFiles');
    const ca = await this.ca;
    return { timeoutMs: this.settings.TimeoutSeconds * 1000, ...(ca ? { ca } : {}) };
  }

  endpoints(connection: Connection): MailEndpoints {
    return resolveEndpoints(this.core.catalog.require(connection.service), connection.mail, this.core.settings);
  }

  /** IMAP: login and STATUS INBOX (counts only). SMTP: EHLO and AUTH (nothing sent). Both at once, each reported on its own. */
  async probe(endpoints: MailEndpoints, login: MailLogin): Promise<MailTestOutcome> {
    const options = await this.transportOptions();
    const side = async (name: MailSide, work: () => Promise<string>): Promise<SideOutcome> => {
      try {
        return { ok: true, message: `${SIDE_NAME[name]} ok — ${await work()}` };
      } catch (error) {
        if (error instanceof MailFailureError) return { ok: false, message: error.failure.message, failure: error.failure };
        if (error instanceof SophonError) return { ok: false, message: `${SIDE_NAME[name]}: ${error.message}` };
        throw error;
      }
    };
    const [imap, smtp] = await Promise.all([
      side('imap', () =>
        withImap(endpoints.imap, login, options, async (client) => {
          const status = await client.status('INBOX', { messages: true, unseen: true });
          if (!status) throw new SophonError('MAIL_REFUSED', `${describeServer(endpoints.imap)} logged in but would not report on INBOX`);
          return `INBOX has ${status.messages ?? 0} message${status.messages === 1 ? '' : 's'}, ${status.unseen ?? 0} unread (${describeServer(endpoints.imap)})`;
        }),
      ),
      side('smtp', () =>
        withSmtp(endpoints.smtp, login, options, async (transport) => {
          await transport.verify();
          return `${describeServer(endpoints.smtp)} accepted the login`;
        }),
      ),
    ]);
    return { imap, smtp };
  }

  /**
   * Connects a mailbox: checks the input, logs in on both sides, then stores it. When a login
   * fails nothing is stored and the answer has no connection: `result` says what each side
   * answered and `problem` what to do.
   */
  async add(input: MailAddInput, ctx: RequestContext): Promise<MailChange> {
    const service = this.mailService(input.service);
    const address = input.address.trim();
    if (!ADDRESS.test(address)) throw new SophonError('INVALID_INPUT', `"${address.slice(0, 100)}" is not an email address — give it as name@example.com`);
    const username = (input.username ?? '').trim() || address;
    const password = cleanPassword(input.password);
    const mail = ownServers(service, input);
    const endpoints = resolveEndpoints(service, mail, this.core.settings);
    const draft = await this.core.connections.prepare(service, input.label, 'smtp_imap', { account: address, ...(mail ? { mail } : {}) });
    return this.storeIfAccepted(input.test, service, endpoints, { username, password }, 'stored', async (tested) => {
      const connection = { ...draft, ...tested };
      await this.core.connections.store(connection, { type: 'smtp_imap', username, password }, ctx);
      return connection;
    });
  }

  /** A new password (re-auth), username or servers for a mailbox; tried first unless `test` is false. */
  async update(input: MailUpdateInput, ctx: RequestContext): Promise<MailChange> {
    const current = await this.core.connections.resolve(input.ref);
    if (current.authMethod !== 'smtp_imap') throw new SophonError('INVALID_INPUT', `${current.service}:${current.label} is not a mailbox — use \`sophon connect reauth\` for it`);
    const service = this.mailService(current.service);
    const stored = await this.core.connections.readSecret(current.id, ctx, 'mail.update');
    if (stored.type !== 'smtp_imap') throw new SophonError('INTERNAL', `${current.id} holds a ${stored.type} credential, not a mailbox login`);
    const username = input.username?.trim() || stored.username;
    const password = input.password !== undefined ? cleanPassword(input.password) : stored.password;
    const given = ownServers(service, input);
    const mail = given ? { ...current.mail, ...given } : current.mail;
    const endpoints = resolveEndpoints(service, mail, this.core.settings);
    return this.storeIfAccepted(input.test, service, endpoints, { username, password }, 'changed', async (tested) => {
      const { stateReason: _reason, ...rest } = current;
      const connection: Connection = { ...rest, state: 'active', ...(mail ? { mail } : {}), ...tested };
      const secret: StoredSecret = { type: 'smtp_imap', username, password };
      await this.core.connections.store(connection, secret, ctx, 'credential.replace');
      return connection;
    });
  }

  /** Logs in on both sides first (unless `test` is false); stores only when both accepted. */
  private async storeIfAccepted(
    test: boolean | undefined,
    service: ServiceDefinition,
    endpoints: MailEndpoints,
    login: MailLogin,
    what: 'stored' | 'changed',
    store: (tested: Partial<Pick<Connection, 'lastTest' | 'lastUsedAt'>>) => Promise<Connection>,
  ): Promise<MailChange> {
    if (test === false) return { connection: await store({}) };
    const started = this.core.ports.clock.now();
    const outcome = await this.probe(endpoints, login);
    const result = this.testResult(outcome, started);
    if (!result.ok) return { result, problem: `nothing was ${what} — ${this.fixHint(service, outcome)}` };
    return { connection: await store({ lastTest: result, lastUsedAt: result.at }), result };
  }

  /** `connect test` for a mailbox: both logins with the stored password; the outcome moves the connection's state. */
  async test(connection: Connection, ctx: RequestContext): Promise<{ connection: Connection; result: TestResult }> {
    const started = this.core.ports.clock.now();
    const login = await this.login(connection, ctx, 'test');
    const outcome = await this.probe(this.endpoints(connection), login);
    const result = this.testResult(outcome, started);
    const updated = await this.core.connections.update(connection.id, { lastTest: result, lastUsedAt: result.at });
    return { connection: await this.settle(updated, [outcome.imap.failure, outcome.smtp.failure], result.ok), result };
  }

  /** The stored login, read through the audited path. */
  async login(connection: Connection, ctx: RequestContext, purpose: string): Promise<MailLogin> {
    const secret = await this.core.connections.readSecret(connection.id, ctx, purpose);
    if (secret.type !== 'smtp_imap') throw new SophonError('INTERNAL', `${connection.id} holds a ${secret.type} credential, not a mailbox login`);
    return { username: secret.username, password: secret.password };
  }

  /**
   * After a mail operation: a refused login turns the connection to needs re-auth with the
   * server's answer; a full success clears an earlier needs re-auth or error.
   */
  async settle(connection: Connection, failures: ReadonlyArray<MailFailure | undefined>, ok: boolean): Promise<Connection> {
    const refused = failures.filter((f): f is MailFailure => f?.kind === 'auth');
    if (refused.length > 0) return this.core.connections.setState(connection.id, 'needs_reauth', refused.map((f) => f.message).join('; '));
    if (ok && connection.state !== 'active') return this.core.connections.update(connection.id, { state: 'active', stateReason: undefined });
    return connection;
  }

  private mailService(id: string): ServiceDefinition {
    const service = this.core.catalog.require(id);
    if (!authMethod(service, 'smtp_imap')) {
      throw new SophonError('UNSUPPORTED_AUTH_METHOD', `${service.name} is not a mailbox service — pick one from \`sophon catalog\` (category email), e.g. \`sophon connect add mail\``);
    }
    return service;
  }

  private testResult(outcome: MailTestOutcome, started: number): TestResult {
    const now = this.core.ports.clock.now();
    const parts: TestPart[] = [
      { name: 'IMAP', ok: outcome.imap.ok, message: outcome.imap.message },
      { name: 'SMTP', ok: outcome.smtp.ok, message: outcome.smtp.message },
    ];
    return { at: new Date(now).toISOString(), ok: outcome.imap.ok && outcome.smtp.ok, message: `${outcome.imap.message}; ${outcome.smtp.message}`, durationMs: Math.max(0, now - started), parts };
  }

  private fixHint(service: ServiceDefinition, outcome: MailTestOutcome): string {
    const kinds = new Set([outcome.imap.failure?.kind, outcome.smtp.failure?.kind]);
    const help = authMethod(service, 'smtp_imap')?.help;
    if (kinds.has('auth')) return `check the username and password${help ? ` (make an app password at ${help})` : ''} and try again`;
    if (kinds.has('certificate')) return 'if you trust the certificate\'s issuer, add its CA file to Sophon.Mail.CaFiles in appsettings.json; otherwise check the host name';
    return 'check the host, port and TLS mode named above and try again';
  }
}

/** The servers given when connecting, completed with the preset's (or the usual port) so they stand on their own. */
function ownServers(service: ServiceDefinition, input: { imap?: MailServerInput; smtp?: MailServerInput }): Connection['mail'] | undefined {
  const preset = authMethod(service, 'smtp_imap');
  const one = (side: MailSide): MailServer | undefined => {
    const given = input[side];
    if (!given || (given.host === undefined && given.port === undefined && given.tls === undefined)) return undefined;
    const host = given.host?.trim() || preset?.[side]?.host;
    const tls = given.tls ?? preset?.[side]?.tls;
    if (!host || !tls) {
      throw new SophonError('INVALID_INPUT', `the ${SIDE_NAME[side]} server needs a host and a TLS mode — pass --${side}-host HOST --${side}-tls implicit|starttls`);
    }
    const port = given.port ?? (given.tls === undefined && given.host === undefined ? preset?.[side]?.port : undefined) ?? defaultPort(side, tls);
    const parsed = MailServer.safeParse({ host, port, tls });
    if (!parsed.success) throw new SophonError('INVALID_INPUT', `the ${SIDE_NAME[side]} server ${host.slice(0, 100)}:${port} is not valid (${parsed.error.issues[0]?.message}) — give a host name or IP address and a port from 1 to 65535`);
    return parsed.data;
  };
  const imap = one('imap');
  const smtp = one('smtp');
  return imap || smtp ? { ...(imap ? { imap } : {}), ...(smtp ? { smtp } : {}) } : undefined;
}
