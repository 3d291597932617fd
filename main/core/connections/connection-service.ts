import { randomBytes } from 'node:crypto';
import type { AuditLog, AuditActor } from '../audit/audit-log.ts';
import type { Catalog } from '../catalog/catalog.ts';
import { resolveBaseUrl } from '../catalog/catalog.ts';
import { attachRules, authMethod, type AuthMethod, type AuthMethodType, type ServiceDefinition } from '../catalog/schema.ts';
import { SophonError, firstLine } from '../errors.ts';
import type { Clock, HttpFetch } from '../ports.ts';
import type { ICredentialVault } from '../vault/types.ts';
import { readOrigin } from '../vault/vault-leases.ts';
import { attachCredential, materialFromSecret, type CredentialMaterial } from './attach.ts';
import { errorReason } from './error-reason.ts';
import { Connection, Label, connectionKey, secretKey, type ConnectionState, type StoredSecret, type TestResult } from './model.ts';

export interface RequestContext {
  readonly actor: AuditActor;
  readonly skill?: string;
  readonly tool?: string;
}

export type SecretInput =
  | { readonly type: 'api_key'; readonly key: string }
  | { readonly type: 'bearer'; readonly token: string }
  | { readonly type: 'basic'; readonly username: string; readonly password: string };

export interface AddConnectionInput {
  readonly service: string;
  readonly label?: string;
  readonly secret: SecretInput;
  readonly params?: Readonly<Record<string, string>>;
}

export interface ConnectionChange {
  readonly type: 'added' | 'updated' | 'removed';
  readonly connection: Connection;
}

/** How a connection's current credential is obtained; OAuth connections refresh first. */
export type CredentialSource = (connection: Connection, ctx: RequestContext) => Promise<CredentialMaterial>;

/** A test for connections that are not tested with an HTTP call (a mailbox: IMAP and SMTP logins). */
export type ConnectionTester = (connection: Connection, ctx: RequestContext) => Promise<{ connection: Connection; result: TestResult }>;
/** A provider's own proof of a credential (Copilot: the token exchange); recorded like a test call. A SophonError it throws is a failed test. */
export type ServiceProbe = (connection: Connection, ctx: RequestContext) => Promise<{ ok: boolean; message: string; status?: number }>;

/**
 * Connections: metadata under connection/<id>, the credential under secret/<id>, written
 * together in one vault batch. Every credential read, write and delete is audited.
 */
export class ConnectionService {
  private readonly listeners = new Set<(change: ConnectionChange) => void>();
  private readonly sources = new Map<AuthMethodType, CredentialSource>();
  private readonly serviceSources = new Map<string, CredentialSource>();
  private readonly testers = new Map<AuthMethodType, ConnectionTester>();
  private readonly probes = new Map<string, ServiceProbe>();

  constructor(
    private readonly vault: ICredentialVault,
    private readonly catalog: Catalog,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly fetch: HttpFetch,
  ) {}

  onChange(listener: (change: ConnectionChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Lets the OAuth lifecycle (and provider readers) supply fresh credentials for their methods. */
  setCredentialSource(method: AuthMethodType, source: CredentialSource): void {
    this.sources.set(method, source);
  }

  /** A service whose credential is not what the vault holds (Copilot exchanges a GitHub token); wins over the method's source. */
  setServiceCredentialSource(serviceId: string, source: CredentialSource): void {
    this.serviceSources.set(serviceId, source);
  }

  /** Lets a method with its own way of proving a credential (mail) answer `test`. */
  setTester(method: AuthMethodType, tester: ConnectionTester): void {
    this.testers.set(method, tester);
  }

  /** The check of a service whose definition says `liveTest: {by: 'provider'}`. */
  setServiceProbe(serviceId: string, probe: ServiceProbe): void {
    this.probes.set(serviceId, probe);
  }

  async list(): Promise<Connection[]> {
    const out: Connection[] = [];
    for (const key of this.vault.list('connection/')) {
      const value = await this.vault.get<Connection>(key);
      if (value) out.push(value);
    }
    return out.sort((a, b) => a.service.localeCompare(b.service) || a.label.localeCompare(b.label));
  }

  async get(id: string): Promise<Connection | undefined> {
    return this.vault.get<Connection>(connectionKey(id));
  }

  /** Accepts an id, `service:label`, or a service with exactly one connection. */
  async resolve(ref: string): Promise<Connection> {
    const byId = await this.get(ref);
    if (byId) return byId;
    const all = await this.list();
    const colon = ref.indexOf(':');
    if (colon > 0) {
      const service = ref.slice(0, colon);
      const label = ref.slice(colon + 1);
      const found = all.find((c) => c.service === service && c.label.toLowerCase() === label.toLowerCase());
      if (found) return found;
      throw new SophonError('CONNECTION_NOT_FOUND', `no ${service} connection labelled "${label}" — run \`sophon connect list\` to see labels`);
    }
    const ofService = all.filter((c) => c.service === ref);
    if (ofService.length === 1) return ofService[0] as Connection;
    if (ofService.length > 1) {
      throw new SophonError('AMBIGUOUS_CONNECTION', `${ref} has ${ofService.length} connections (${ofService.map((c) => c.label).join(', ')}) — name one, e.g. ${ref}:${ofService[0]?.label}`);
    }
    throw new SophonError('CONNECTION_NOT_FOUND', `no connection "${ref}" — run \`sophon connect list\`, or \`sophon connect add ${ref}\``);
  }

  /** Adds an API key, bearer token or basic credential. */
  async add(input: AddConnectionInput, ctx: RequestContext): Promise<{ connection: Connection; warnings: string[] }> {
    const service = this.catalog.require(input.service);
    const method = authMethod(service, input.secret.type);
    if (!method) {
      const offered = service.auth.map((m) => m.type).join(', ');
      throw new SophonError('UNSUPPORTED_AUTH_METHOD', `${service.name} does not take a ${input.secret.type.replace('_', ' ')} — it supports: ${offered}`);
    }
    const warnings: string[] = [];
    const secret = normaliseSecret(input.secret);
    const pattern = 'pattern' in method ? method.pattern : undefined;
    const checked = secret.type === 'basic' ? secret.password : secret.type === 'api_key' ? secret.key : secret.token;
    if (pattern && !new RegExp(pattern).test(checked)) {
      warnings.push(`this does not look like a ${service.name} ${'label' in method ? method.label : 'credential'} (expected /${pattern}/) — stored anyway; run \`sophon connect test\``);
    }
    const params = this.checkParams(service, input.params ?? {});
    const connection = await this.prepare(service, input.label, method.type, { params, scopes: [] });
    await this.store(connection, secret, ctx);
    return { connection, warnings };
  }

  /** Creates the metadata for a new connection, checking the label is free. */
  async prepare(
    service: ServiceDefinition,
    label: string | undefined,
    method: AuthMethodType,
    extra: { params?: Record<string, string>; scopes?: string[]; expiresAt?: number; account?: string; clientId?: string; refreshable?: boolean; mail?: Connection['mail'] },
  ): Promise<Connection> {
    const all = await this.list();
    const existing = all.filter((c) => c.service === service.id);
    // A model provider's connections are its auth profiles (`provider:label`), so a label is unique across its services.
    const siblings = service.provider ? all.filter((c) => c.service !== service.id && this.catalog.get(c.service)?.provider === service.provider) : [];
    const defaultFree = existing.length === 0 && !siblings.some((c) => c.label.toLowerCase() === 'default');
    const chosen = label ?? (defaultFree ? 'default' : undefined);
    if (chosen === undefined) throw new SophonError('DUPLICATE_LABEL', labelNeeded(service.id, existing.length > 0 ? existing : siblings));
    const parsedLabel = Label.safeParse(chosen);
    if (!parsedLabel.success) {
      throw new SophonError('INVALID_INPUT', `label "${chosen}" is not allowed (${parsedLabel.error.issues[0]?.message}) — use up to 64 characters without colons`);
    }
    if (existing.some((c) => c.label.toLowerCase() === chosen.toLowerCase())) {
      throw new SophonError('DUPLICATE_LABEL', `${service.id} already has a connection labelled "${chosen}" — choose another --label, or remove the old one first`);
    }
    const sibling = siblings.find((c) => c.label.toLowerCase() === chosen.toLowerCase());
    if (sibling) {
      throw new SophonError('DUPLICATE_LABEL', `the ${service.provider} profile "${service.provider}:${chosen}" is already taken by ${sibling.service} — choose another --label`);
    }
    return Connection.parse({
      id: `${service.id}-${randomBytes(5).toString('hex')}`,
      service: service.id,
      label: chosen,
      authMethod: method,
      state: 'active',
      scopes: extra.scopes ?? [],
      ...(extra.expiresAt !== undefined ? { expiresAt: extra.expiresAt } : {}),
      ...(extra.account !== undefined ? { account: extra.account } : {}),
      ...(extra.clientId !== undefined ? { clientId: extra.clientId } : {}),
      ...(extra.refreshable !== undefined ? { refreshable: extra.refreshable } : {}),
      ...(extra.mail !== undefined ? { mail: extra.mail } : {}),
      createdAt: new Date(this.clock.now()).toISOString(),
      params: extra.params ?? {},
    });
  }

  /** Writes metadata and credential in one durable batch, then audits and notifies. */
  async store(connection: Connection, secret: StoredSecret, ctx: RequestContext, action: 'credential.write' | 'credential.replace' | 'credential.refresh' = 'credential.write'): Promise<void> {
    const existed = this.vault.has(connectionKey(connection.id));
    await this.vault.batch([
      { type: 'put', key: secretKey(connection.id), value: secret },
      { type: 'put', key: connectionKey(connection.id), value: Connection.parse(connection) },
    ]);
    this.audit.append({ actor: ctx.actor, action, connection: connection.id, service: connection.service, ...(ctx.skill ? { skill: ctx.skill } : {}), outcome: 'ok' });
    this.emit({ type: existed ? 'updated' : 'added', connection });
  }

  /** Updates metadata only (state, expiry, last test). */
  async update(id: string, patch: Partial<Omit<Connection, 'id' | 'service'>>): Promise<Connection> {
    const current = await this.get(id);
    if (!current) throw new SophonError('CONNECTION_NOT_FOUND', `no connection "${id}" — run \`sophon connect list\``);
    const next = Connection.parse({ ...current, ...patch });
    await this.vault.put(connectionKey(id), next);
    this.emit({ type: 'updated', connection: next });
    return next;
  }

  async setState(id: string, state: ConnectionState, reason?: string): Promise<Connection> {
    const current = await this.get(id);
    if (!current) throw new SophonError('CONNECTION_NOT_FOUND', `no connection "${id}"`);
    if (current.state === state && current.stateReason === reason) return current;
    const { stateReason: _old, ...rest } = current;
    return this.update(id, { ...rest, state, ...(reason !== undefined ? { stateReason: reason } : {}) });
  }

  /** Reads a credential: the one audited path to secret material. */
  async readSecret(id: string, ctx: RequestContext, purpose: string): Promise<StoredSecret> {
    const secret = await this.vault.get<StoredSecret>(secretKey(id));
    const connection = await this.get(id);
    // Which store served it, and whether it was the cached copy because the store was failing.
    const origin = readOrigin(this.vault, secretKey(id));
    this.audit.append({
      actor: ctx.actor,
      action: 'credential.read',
      connection: id,
      ...(connection ? { service: connection.service } : {}),
      ...(ctx.skill ? { skill: ctx.skill } : {}),
      ...(ctx.tool ? { tool: ctx.tool } : {}),
      outcome: secret ? 'ok' : 'error',
      detail: { purpose, backend: origin.backend, ...(origin.cachedForMs !== undefined ? { cachedForSeconds: Math.round(origin.cachedForMs / 1000) } : {}) },
    });
    if (!secret) throw new SophonError('NEEDS_REAUTH', `connection ${id} has no stored credential — reconnect it with \`sophon connect reauth ${id}\``);
    return secret;
  }

  /** The credential to attach to a request now (OAuth methods refresh first). */
  async credential(connection: Connection, ctx: RequestContext, purpose: string): Promise<CredentialMaterial> {
    const source = this.serviceSources.get(connection.service) ?? this.sources.get(connection.authMethod);
    if (source) return source(connection, ctx);
    return materialFromSecret(await this.readSecret(connection.id, ctx, purpose));
  }

  async remove(id: string, ctx: RequestContext): Promise<Connection> {
    const connection = await this.get(id);
    if (!connection) throw new SophonError('CONNECTION_NOT_FOUND', `no connection "${id}" — run \`sophon connect list\``);
    await this.vault.batch([
      { type: 'delete', key: connectionKey(id) },
      { type: 'delete', key: secretKey(id) },
    ]);
    this.audit.append({ actor: ctx.actor, action: 'credential.delete', connection: id, service: connection.service, outcome: 'ok' });
    this.emit({ type: 'removed', connection });
    return connection;
  }

  /** Runs the service's declared test call with the stored credential. */
  async test(id: string, ctx: RequestContext): Promise<{ connection: Connection; result: TestResult }> {
    const connection = await this.get(id);
    if (!connection) throw new SophonError('CONNECTION_NOT_FOUND', `no connection "${id}" — run \`sophon connect list\``);
    const tester = this.testers.get(connection.authMethod);
    if (tester) return tester(connection, ctx);
    const service = this.catalog.require(connection.service);
    const started = this.clock.now();
    /** `live` false: nothing was called, so the state stays as it was. */
    const finish = async (ok: boolean, message: string, status?: number, live = true): Promise<{ connection: Connection; result: TestResult }> => {
      const result: TestResult = { at: new Date(this.clock.now()).toISOString(), ok, message, durationMs: Math.max(0, this.clock.now() - started), ...(status !== undefined ? { status } : {}), ...(live ? {} : { live: false }) };
      const state: ConnectionState = !live ? connection.state : ok ? (connection.state === 'error' ? 'active' : connection.state) : status === 401 || status === 403 ? 'error' : connection.state;
      try {
        const updated = await this.update(id, { lastTest: result, state, lastUsedAt: result.at, ...(ok && state === 'active' ? { stateReason: undefined } : !ok && state === 'error' ? { stateReason: message } : {}) });
        return { connection: updated, result };
      } catch (error) {
        // A remote vault that is briefly unreachable, or at a quota of its own: the test still happened; say it was not recorded.
        if (!(error instanceof SophonError && (error.code === 'VAULT_UNAVAILABLE' || error.code === 'VAULT_QUOTA'))) throw error;
        return { connection, result: { ...result, message: `${message} (not recorded: ${firstLine(error.message)})` } };
      }
    };
    const method = service.auth.find((m) => m.type === connection.authMethod) as AuthMethod | undefined;
    if (!method) return finish(false, `${service.name} no longer offers ${connection.authMethod}`);
    // An auth method may name its own test (its tokens may only work on another host).
    const test = ('test' in method && method.test) || service.test;
    if (!test) return this.testWithoutCall(connection, service, ctx, finish);
    let material: CredentialMaterial;
    try {
      material = await this.credential(connection, ctx, 'test');
    } catch (error) {
      if (error instanceof SophonError && error.code === 'NEEDS_REAUTH') return { connection: (await this.get(id)) ?? connection, result: { at: new Date(this.clock.now()).toISOString(), ok: false, message: error.message, durationMs: 0 } };
      throw error;
    }
    const base = test.baseUrl?.replace(/\/+$/, '') ?? resolveBaseUrl(service, connection.params, method);
    const url = new URL(base + test.path);
    const attached = attachCredential(attachRules(service, method), material);
    for (const [name, value] of attached.query) url.searchParams.set(name, value);
    let response: Response;
    try {
      response = await this.fetch(url, {
        method: test.method,
        headers: { accept: 'application/json', 'user-agent': 'SophonDesktop/0.1', ...service.api.headers, ...test.headers, ...attached.headers },
        ...(test.body !== undefined ? { body: test.body } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      return finish(false, `could not reach ${url.host} (${firstLine(cause)}) — check the network or the base URL in appsettings.json`);
    }
    const expect = test.expect;
    if (!expect.status.includes(response.status)) {
      const said = await errorReason(response, material);
      const hint = response.status === 401 || response.status === 403 ? ' — the credential was rejected; check it or add it again' : '';
      return finish(false, `${service.name} answered HTTP ${response.status}${said ? ` (${said})` : ''}${hint}`, response.status);
    }
    if (expect.json) {
      let body: unknown;
      try {
        body = await response.json();
      } catch {
        return finish(false, `${service.name} answered HTTP ${response.status} without JSON`, response.status);
      }
      const value = expect.json.path.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), body);
      if (value !== expect.json.equals) return finish(false, `${service.name} answered but ${expect.json.path} was not ${String(expect.json.equals)}`, response.status);
    } else {
      await response.body?.cancel();
    }
    return finish(true, `${service.name} accepted the credential (HTTP ${response.status})`, response.status);
  }

  /** A service with no test call: its provider's own check, or a plain "not checked live" with the definition's reason. */
  private async testWithoutCall(
    connection: Connection,
    service: ServiceDefinition,
    ctx: RequestContext,
    finish: (ok: boolean, message: string, status?: number, live?: boolean) => Promise<{ connection: Connection; result: TestResult }>,
  ): Promise<{ connection: Connection; result: TestResult }> {
    const expected = (error: unknown): error is SophonError => error instanceof SophonError && error.code !== 'INTERNAL';
    const probe = service.liveTest?.by === 'provider' ? this.probes.get(service.id) : undefined;
    if (probe) {
      try {
        const found = await probe(connection, ctx);
        return await finish(found.ok, found.message, found.status);
      } catch (error) {
        if (!expected(error)) throw error;
        return finish(false, error.message);
      }
    }
    const why = service.liveTest?.by === 'none' ? service.liveTest.reason : service.liveTest?.by === 'provider' ? `its check (${service.liveTest.what}) is not available in this process` : 'its definition names no test call';
    try {
      await this.credential(connection, ctx, 'test');
    } catch (error) {
      if (!expected(error)) throw error;
      return finish(false, `not called (no live check exists for this sign-in), and the credential could not be read: ${error.message}`, undefined, false);
    }
    return finish(true, `not called (no live check exists for this sign-in): ${why}; the stored credential is readable`, undefined, false);
  }

  private checkParams(service: ServiceDefinition, params: Readonly<Record<string, string>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const param of service.params) {
      const value = params[param.name];
      if (value === undefined) {
        throw new SophonError('INVALID_INPUT', `${service.name} needs ${param.label} — pass --param ${param.name}=${param.example ?? 'VALUE'}`);
      }
      if (param.pattern && !new RegExp(param.pattern).test(value)) {
        throw new SophonError('INVALID_INPUT', `${param.label} "${value}" is not valid (expected /${param.pattern}/) — e.g. ${param.example ?? ''}`);
      }
      out[param.name] = value;
    }
    for (const name of Object.keys(params)) {
      if (!service.params.some((p) => p.name === name)) throw new SophonError('INVALID_INPUT', `${service.name} has no parameter "${name}" — drop --param ${name}`);
    }
    return out;
  }

  private emit(change: ConnectionChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

function normaliseSecret(input: SecretInput): SecretInput {
  const clean = (value: string, what: string): string => {
    const trimmed = value.replace(/\r?\n$/, '');
    if (trimmed.length === 0) throw new SophonError('EMPTY_SECRET', `the ${what} is empty — paste it at the prompt or pipe it on stdin`);
    if (/[\s\0]/.test(trimmed)) throw new SophonError('INVALID_INPUT', `the ${what} contains spaces or line breaks — paste exactly one value`);
    return trimmed;
  };
  switch (input.type) {
    case 'api_key':
      return { type: 'api_key', key: clean(input.key, 'API key') };
    case 'bearer':
      return { type: 'bearer', token: clean(input.token, 'token') };
    case 'basic':
      if (input.username.trim() === '') throw new SophonError('INVALID_INPUT', 'the username is empty — pass --username NAME');
      return { type: 'basic', username: input.username.trim(), password: clean(input.password, 'password') };
  }
}

/** No --label, and the default is taken: name every existing label, not one picked at random. */
export function labelNeeded(serviceId: string, existing: readonly Pick<Connection, 'service' | 'label'>[]): string {
  const labels = existing.map((c) => (c.service === serviceId ? c.label : `${c.service}:${c.label}`)).sort();
  const has = labels.length === 1 ? `a connection (${labels[0]})` : `${labels.length} connections (${labels.join(', ')})`;
  return `${serviceId} already has ${has} — name this one with --label NAME, or reconnect an existing one with \`sophon connect reauth\``;
}
