import { randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import type { Catalog } from '../catalog/catalog.ts';
import type { RedirectKind, ServiceDefinition } from '../catalog/schema.ts';
import { labelNeeded, type ConnectionService, type RequestContext } from '../connections/connection-service.ts';
import type { Connection, StoredSecret } from '../connections/model.ts';
import { SophonError, firstLine, toSophonError } from '../errors.ts';
import type { Clock, HttpFetch, RedirectListener, RedirectReceiver, TimerHandle } from '../ports.ts';
import type { DeviceMethod, OAuth2Method } from './methods.ts';
import { DEEP_LINK_REDIRECT, loopbackPorts } from '../catalog/redirects.ts';
import { NO_ISSUER, isTransient, processTokenResponse, type OAuthContext, type OAuthServers } from './oauth-server.ts';
import { lookupParams, lookupTarget } from './param-lookup.ts';
import { oauthErrorCode, toOAuthError } from './oauth-errors.ts';
import { tokenSecret, identityFromTokens } from './token-response.ts';

export { DEEP_LINK_REDIRECT };
export const ATTEMPT_TTL_MS = 10 * 60_000;

export interface SignInRequest {
  readonly service: string;
  readonly label?: string;
  readonly method: 'oauth2' | 'device';
  readonly redirect?: RedirectKind;
  readonly scopes?: readonly string[];
  readonly params?: Readonly<Record<string, string>>;
  /** Re-consent for an existing connection: its credential is replaced on success. */
  readonly reauthOf?: string;
}

export type SignInStarted =
  | { readonly attemptId: string; readonly kind: 'browser'; readonly authorizationUrl: string; readonly redirect: RedirectKind; readonly expiresAt: number }
  | {
      readonly attemptId: string;
      readonly kind: 'device';
      readonly userCode: string;
      readonly verificationUri: string;
      readonly verificationUriComplete?: string;
      readonly expiresAt: number;
      readonly interval: number;
    };

export type SignInStatus = 'waiting' | 'polling' | 'slow_down' | 'completed' | 'failed' | 'expired' | 'cancelled';

export interface SignInEvent {
  readonly attemptId: string;
  readonly status: SignInStatus;
  readonly message: string;
  readonly service: string;
  readonly userCode?: string;
  readonly verificationUri?: string;
  readonly verificationUriComplete?: string;
  readonly authorizationUrl?: string;
  readonly expiresAt?: number;
  readonly interval?: number;
  readonly connection?: Connection;
  readonly errorCode?: string;
}

interface Attempt {
  readonly id: string;
  readonly service: ServiceDefinition;
  readonly method: OAuth2Method | DeviceMethod;
  readonly oauth: OAuthContext;
  readonly request: SignInRequest;
  readonly scopes: readonly string[];
  readonly ctx: RequestContext;
  readonly expiresAt: number;
  readonly result: Promise<Connection>;
  resolve(connection: Connection): void;
  reject(error: SophonError): void;
  settled: boolean;
  timer?: TimerHandle;
  // browser
  state?: string;
  verifier?: string;
  redirectUri?: string;
  listener?: RedirectListener;
  exchanging?: boolean;
  // device
  deviceCode?: string;
  interval?: number;
}

export interface SignInManagerOptions {
  readonly connections: ConnectionService;
  readonly catalog: Catalog;
  readonly servers: OAuthServers;
  readonly clock: Clock;
  /** The loopback listener; absent on hosts that cannot listen. */
  readonly receiver?: RedirectReceiver;
  /** Whether this host receives sophon:// deep links (the desktop app). */
  readonly deepLinks: boolean;
  /** For provider calls a sign-in needs after the token exchange (a definition's `lookup`). */
  readonly fetch: HttpFetch;
}

/**
 * OAuth sign-ins in progress: authorization code + PKCE (RFC 7636) with a deep-link,
 * loopback or pasted return (RFC 8252), the `iss` response check (RFC 9207), and the
 * device authorization grant (RFC 8628). Each attempt is single-use and expires after
 * 10 minutes; a response that matches no pending attempt changes nothing.
 */
export class SignInManager {
  private readonly attempts = new Map<string, Attempt>();
  private readonly byState = new Map<string, Attempt>();
  private readonly listeners = new Set<(event: SignInEvent) => void>();
  private disposed = false;

  constructor(private readonly options: SignInManagerOptions) {}

  onEvent(listener: (event: SignInEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(request: SignInRequest, ctx: RequestContext): Promise<SignInStarted> {
    if (this.disposed) throw new SophonError('OAUTH_CANCELLED', 'the app is shutting down — start the sign-in again after it restarts');
    const { connections, catalog, servers, clock } = this.options;
    const service = catalog.require(request.service);
    const existing = request.reauthOf ? await connections.get(request.reauthOf) : undefined;
    if (request.reauthOf && !existing) throw new SophonError('CONNECTION_NOT_FOUND', `no connection "${request.reauthOf}" — run \`sophon connect list\``);
    const method = service.auth.find((m): m is OAuth2Method | DeviceMethod => m.type === request.method);
    if (!method) {
      const offered = service.auth.map((m) => m.type).join(', ');
      throw new SophonError('UNSUPPORTED_AUTH_METHOD', `${service.name} does not offer ${request.method === 'device' ? 'the device flow' : 'OAuth sign-in'} — it offers: ${offered}`);
    }
    if (!existing) await this.checkLabelFree(service, request.label);
    if (method.lookup) lookupTarget(service, method.lookup, { ...(existing?.params ?? {}), ...(request.params ?? {}) });
    const context = await servers.context(service, method);
    const scopes = [...new Set([...(existing?.scopes ?? []), ...(request.scopes ?? method.scopes)])];
    let resolve!: (c: Connection) => void;
    let reject!: (e: SophonError) => void;
    const result = new Promise<Connection>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    result.catch(() => undefined);
    const attempt: Attempt = {
      id: `signin-${randomBytes(9).toString('base64url')}`,
      service,
      method,
      oauth: context,
      request,
      scopes,
      ctx,
      expiresAt: clock.now() + ATTEMPT_TTL_MS,
      result,
      resolve,
      reject,
      settled: false,
    };
    if (method.type === 'device') return this.startDevice(attempt, method);
    return this.startBrowser(attempt, method);
  }

  private async startBrowser(attempt: Attempt, method: OAuth2Method): Promise<SignInStarted> {
    const { as, clientId } = attempt.oauth;
    if (!as.authorization_endpoint) throw new SophonError('OAUTH_PROTOCOL', `${attempt.service.name} has no authorization endpoint — fix the connector or appsettings.json`);
    const redirect = this.chooseRedirect(attempt.service, method, attempt.request.redirect);
    attempt.state = oauth.generateRandomState();
    attempt.verifier = oauth.generateRandomCodeVerifier();
    if (redirect === 'deeplink') {
      attempt.redirectUri = DEEP_LINK_REDIRECT;
    } else {
      const receiver = this.options.receiver;
      if (!receiver) throw new SophonError('NOT_SUPPORTED', 'this host cannot listen for a loopback redirect — use the desktop app or `sophon serve`');
      const ports = loopbackPorts(method.loopback);
      try {
        attempt.listener = await receiver.listen({ host: method.loopback.host, path: method.loopback.path, ports }, async (url) => {
          try {
            const connection = await this.handleRedirect(url, attempt.ctx);
            return { ok: true, message: `${attempt.service.name} is connected as "${connection.label}".` };
          } catch (error) {
            return { ok: false, message: toSophonError(error).message };
          }
        });
      } catch (error) {
        // A provider that compares the port cannot be sent elsewhere: say which setting moves it.
        if (method.loopback.match !== 'exact' || !method.loopback.register) throw error;
        throw new SophonError(
          'OAUTH_PROTOCOL',
          `${attempt.service.name} returns only to the registered port ${ports.join(' or ')}, which another program holds (another sign-in?) — finish or cancel that one, or set Sophon.Services.${attempt.service.id}.loopbackPort to a free port and register http://${method.loopback.host}:PORT${method.loopback.path} at the provider`,
          { cause: error },
        );
      }
      attempt.redirectUri = attempt.listener.redirectUri;
    }
    const url = new URL(as.authorization_endpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', clientId);
    url.searchParams.set('redirect_uri', attempt.redirectUri);
    if (attempt.scopes.length > 0) url.searchParams.set('scope', attempt.scopes.join(method.scopeSeparator));
    url.searchParams.set('state', attempt.state);
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(attempt.verifier));
    url.searchParams.set('code_challenge_method', 'S256');
    for (const [name, value] of Object.entries(method.extraAuthParams)) url.searchParams.set(name, value);
    this.track(attempt);
    this.byState.set(attempt.state, attempt);
    const started: SignInStarted = { attemptId: attempt.id, kind: 'browser', authorizationUrl: url.href, redirect, expiresAt: attempt.expiresAt };
    this.emit(attempt, { status: 'waiting', message: `waiting for you to sign in to ${attempt.service.name} in the browser`, authorizationUrl: url.href, expiresAt: attempt.expiresAt });
    return started;
  }

  private chooseRedirect(service: ServiceDefinition, method: OAuth2Method, requested: RedirectKind | undefined): RedirectKind {
    const available = method.redirects.filter((kind) => (kind === 'deeplink' ? this.options.deepLinks : this.options.receiver !== undefined));
    if (requested) {
      if (!method.redirects.includes(requested)) throw new SophonError('NOT_SUPPORTED', `${service.name} does not accept a ${requested} redirect — it accepts: ${method.redirects.join(', ')}`);
      if (!available.includes(requested)) throw new SophonError('NOT_SUPPORTED', `this host cannot receive a ${requested} redirect — use ${available.join(' or ') || 'the desktop app'}`);
      return requested;
    }
    const chosen = available[0];
    if (!chosen) throw new SophonError('NOT_SUPPORTED', `${service.name} accepts only ${method.redirects.join(', ')} redirects, which this host cannot receive — use the desktop app`);
    return chosen;
  }

  /**
   * A redirect came back (loopback hit, deep link, or a URL the person pasted). Finds its
   * attempt by `state`, checks `iss` and errors, exchanges the code once.
   */
  async complete(redirectUrl: string, ctx: RequestContext, attemptId?: string): Promise<Connection> {
    let url: URL;
    try {
      url = new URL(redirectUrl.trim());
    } catch {
      throw new SophonError('INVALID_INPUT', 'that is not a URL — paste the whole address the browser was sent to (it contains code= and state=)');
    }
    if (attemptId) {
      const attempt = this.attempts.get(attemptId);
      if (attempt && attempt.redirectUri && !sameRedirectTarget(url, attempt.redirectUri)) {
        throw new SophonError('OAUTH_STATE_MISMATCH', `that URL is not this sign-in's redirect (expected ${attempt.redirectUri}) — paste the address the browser was sent to after you approved`);
      }
    }
    return this.handleRedirect(url, ctx);
  }

  private async handleRedirect(url: URL, _ctx: RequestContext): Promise<Connection> {
    const state = url.searchParams.get('state');
    const attempt = state ? this.byState.get(state) : undefined;
    if (!attempt || attempt.settled || attempt.exchanging) {
      throw new SophonError('OAUTH_STATE_MISMATCH', 'this sign-in response matches no pending sign-in (unknown, expired or already used) — nothing was changed; start the sign-in again');
    }
    if (!sameRedirectTarget(url, attempt.redirectUri as string)) {
      throw new SophonError('OAUTH_STATE_MISMATCH', `this response did not come back to ${attempt.redirectUri} — nothing was changed; start the sign-in again`);
    }
    const { as, client, clientAuth, http } = attempt.oauth;
    let params: URLSearchParams;
    try {
      params = oauth.validateAuthResponse(as, client, url, attempt.state as string);
    } catch (error) {
      if (error instanceof oauth.AuthorizationResponseError) {
        // A genuine answer from the right server for this attempt: the person declined, or the server refused.
        const code = error.error === 'access_denied' ? 'OAUTH_ACCESS_DENIED' : 'OAUTH_ERROR_RESPONSE';
        const failure = new SophonError(code, `${attempt.service.name} refused the sign-in (${error.error}${error.error_description ? `: ${firstLine(error.error_description)}` : ''}) — nothing was changed; start it again if that was a mistake`);
        await this.fail(attempt, failure);
        throw failure;
      }
      const issuerProblem = error instanceof oauth.OperationProcessingError && /iss/i.test(error.message);
      const named = url.searchParams.get('iss');
      const expected = as.issuer === NO_ISSUER ? `${attempt.service.name}, which names no issuer` : as.issuer;
      throw new SophonError(
        issuerProblem ? 'OAUTH_ISSUER_MISMATCH' : 'OAUTH_PROTOCOL',
        issuerProblem
          ? `this sign-in response did not come from ${expected} (its "iss" is ${named === null ? 'missing' : `"${named}"`}) — refused, nothing was changed`
          : `this sign-in response is malformed (${firstLine((error as Error).message)}) — refused, nothing was changed`,
        { cause: error },
      );
    }
    attempt.exchanging = true;
    this.byState.delete(attempt.state as string);
    try {
      const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, attempt.redirectUri as string, attempt.verifier as string, http);
      const tokens = await processTokenResponse(attempt.oauth, response, 'authorization_code');
      const connection = await this.finish(attempt, tokens);
      return connection;
    } catch (error) {
      const failure = toOAuthError(error, `exchanging the ${attempt.service.name} authorization code`, 'start the sign-in again', 'OAUTH_PROTOCOL');
      await this.fail(attempt, failure);
      throw failure;
    }
  }

  private async startDevice(attempt: Attempt, method: DeviceMethod): Promise<SignInStarted> {
    const { as, client, clientAuth, http } = attempt.oauth;
    if (!as.device_authorization_endpoint) throw new SophonError('NOT_SUPPORTED', `${attempt.service.name} has no device authorization endpoint — use the browser sign-in`);
    let device: oauth.DeviceAuthorizationResponse;
    try {
      const parameters: Record<string, string> = attempt.scopes.length > 0 ? { scope: attempt.scopes.join(method.scopeSeparator) } : {};
      const response = await oauth.deviceAuthorizationRequest(as, client, clientAuth, parameters, http);
      device = await oauth.processDeviceAuthorizationResponse(as, client, response);
    } catch (error) {
      throw toOAuthError(error, `starting the ${attempt.service.name} device sign-in`, `check the client id (sophon connect configure ${attempt.service.id}) and that device flow is enabled for it`);
    }
    const now = this.options.clock.now();
    const expiresAt = Math.min(attempt.expiresAt, now + device.expires_in * 1000);
    const bounded: Attempt = { ...attempt, expiresAt };
    bounded.deviceCode = device.device_code;
    bounded.interval = device.interval ?? 5;
    this.track(bounded);
    const started: SignInStarted = {
      attemptId: bounded.id,
      kind: 'device',
      userCode: device.user_code,
      verificationUri: device.verification_uri,
      ...(device.verification_uri_complete ? { verificationUriComplete: device.verification_uri_complete } : {}),
      expiresAt,
      interval: bounded.interval,
    };
    this.emit(bounded, {
      status: 'polling',
      message: `enter the code ${device.user_code} at ${device.verification_uri}`,
      userCode: device.user_code,
      verificationUri: device.verification_uri,
      ...(device.verification_uri_complete ? { verificationUriComplete: device.verification_uri_complete } : {}),
      expiresAt,
      interval: bounded.interval,
    });
    this.schedulePoll(bounded);
    return started;
  }

  private schedulePoll(attempt: Attempt): void {
    if (attempt.settled) return;
    const delay = (attempt.interval ?? 5) * 1000;
    attempt.timer = this.options.clock.setTimeout(() => void this.poll(attempt), Math.min(delay, Math.max(0, attempt.expiresAt - this.options.clock.now())));
    attempt.timer.unref?.();
  }

  private async poll(attempt: Attempt): Promise<void> {
    if (attempt.settled) return;
    if (this.options.clock.now() >= attempt.expiresAt) {
      await this.fail(attempt, new SophonError('OAUTH_EXPIRED', `the ${attempt.service.name} code expired before it was approved — start the sign-in again`), 'expired');
      return;
    }
    const { as, client, clientAuth, http } = attempt.oauth;
    try {
      const response = await oauth.deviceCodeGrantRequest(as, client, clientAuth, attempt.deviceCode as string, http);
      const tokens = await processTokenResponse(attempt.oauth, response, 'device_code');
      if (attempt.settled) return;
      await this.finish(attempt, tokens);
    } catch (error) {
      if (attempt.settled) return;
      const raw = oauthErrorCode(error);
      // Providers that spell RFC 8628's codes their own way (Microsoft: authorization_declined).
      const code = raw !== undefined ? (attempt.method.errorAliases[raw] ?? raw) : undefined;
      switch (code) {
        case 'authorization_pending':
          this.schedulePoll(attempt);
          return;
        case 'slow_down':
          // RFC 8628 §3.5: add 5 seconds to the interval for this and all later requests.
          attempt.interval = (attempt.interval ?? 5) + 5;
          this.emit(attempt, { status: 'slow_down', message: `the server asked to poll more slowly: every ${attempt.interval} s`, interval: attempt.interval });
          this.schedulePoll(attempt);
          return;
        case 'access_denied':
          await this.fail(attempt, new SophonError('OAUTH_ACCESS_DENIED', `the ${attempt.service.name} sign-in was declined — start it again if that was a mistake`));
          return;
        case 'expired_token':
          await this.fail(attempt, new SophonError('OAUTH_EXPIRED', `the ${attempt.service.name} code expired before it was approved — start the sign-in again`), 'expired');
          return;
        default:
          if (isTransient(error)) {
            this.schedulePoll(attempt);
            return;
          }
          await this.fail(attempt, toOAuthError(error, `the ${attempt.service.name} device sign-in`, 'start it again; if it keeps failing, check the client id and that device flow is enabled'));
      }
    }
  }

  /** Stores the tokens: a new connection, or the re-authorised one. */
  private async finish(attempt: Attempt, tokens: oauth.TokenEndpointResponse): Promise<Connection> {
    const { connections, clock } = this.options;
    const secret = tokenSecret(tokens, clock.now());
    // Some providers answer with commas (GitHub, Slack) where RFC 6749 §3.3 has spaces.
    const scopes = tokens.scope ? tokens.scope.split(/[\s,]+/).filter(Boolean) : [...attempt.scopes];
    const known = { ...(attempt.request.reauthOf ? (await connections.get(attempt.request.reauthOf))?.params : {}), ...(attempt.request.params ?? {}) };
    const learnt = attempt.method.lookup ? await lookupParams(attempt.service, attempt.method.lookup, secret.accessToken, known, this.options.fetch) : {};
    const account = identityFromTokens(tokens);
    const now = new Date(clock.now()).toISOString();
    let connection: Connection;
    if (attempt.request.reauthOf) {
      const current = await connections.get(attempt.request.reauthOf);
      if (!current) throw new SophonError('CONNECTION_NOT_FOUND', `the connection being re-authorised was removed meanwhile — add it again`);
      const { stateReason: _r, expiresAt: _e, ...rest } = current;
      connection = {
        ...rest,
        state: 'active',
        scopes,
        authMethod: attempt.method.type,
        clientId: attempt.oauth.clientId,
        lastRefreshAt: now,
        params: { ...rest.params, ...learnt },
        refreshable: secret.refreshToken !== undefined,
        ...(secret.expiresAt !== undefined ? { expiresAt: secret.expiresAt } : {}),
        ...(account ? { account } : {}),
      };
      await connections.store(connection, secret, attempt.ctx, 'credential.replace');
    } else {
      connection = await connections.prepare(attempt.service, attempt.request.label, attempt.method.type, {
        scopes,
        clientId: attempt.oauth.clientId,
        params: { ...(attempt.request.params ?? {}), ...learnt },
        refreshable: secret.refreshToken !== undefined,
        ...(secret.expiresAt !== undefined ? { expiresAt: secret.expiresAt } : {}),
        ...(account ? { account } : {}),
      });
      await connections.store(connection, secret as StoredSecret, attempt.ctx);
    }
    this.settle(attempt);
    attempt.resolve(connection);
    this.emit(attempt, { status: 'completed', message: `${attempt.service.name} connected as "${connection.label}"`, connection });
    return connection;
  }

  wait(attemptId: string): Promise<Connection> {
    const attempt = this.attempts.get(attemptId);
    if (!attempt) return Promise.reject(new SophonError('OAUTH_STATE_MISMATCH', `no sign-in "${attemptId}" is pending — it finished, expired or was cancelled; start it again`));
    return attempt.result;
  }

  cancel(attemptId: string): boolean {
    const attempt = this.attempts.get(attemptId);
    if (!attempt || attempt.settled) return false;
    void this.fail(attempt, new SophonError('OAUTH_CANCELLED', 'the sign-in was cancelled'), 'cancelled');
    return true;
  }

  /** Pending attempts, for the window. */
  pending(): Array<{ attemptId: string; service: string; expiresAt: number }> {
    return [...this.attempts.values()].filter((a) => !a.settled).map((a) => ({ attemptId: a.id, service: a.service.id, expiresAt: a.expiresAt }));
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const attempt of [...this.attempts.values()]) if (!attempt.settled) await this.fail(attempt, new SophonError('OAUTH_CANCELLED', 'the app is shutting down — start the sign-in again'), 'cancelled');
    this.listeners.clear();
  }

  private async checkLabelFree(service: ServiceDefinition, label: string | undefined): Promise<void> {
    const existing = (await this.options.connections.list()).filter((c) => c.service === service.id);
    if (label === undefined && existing.length > 0) throw new SophonError('DUPLICATE_LABEL', labelNeeded(service.id, existing));
    if (label !== undefined && existing.some((c) => c.label.toLowerCase() === label.toLowerCase())) {
      throw new SophonError('DUPLICATE_LABEL', `${service.id} already has a connection labelled "${label}" — choose another --label, or reconnect it with \`sophon connect reauth\``);
    }
  }

  private track(attempt: Attempt): void {
    this.attempts.set(attempt.id, attempt);
    const ttl = attempt.expiresAt - this.options.clock.now();
    const expiry = this.options.clock.setTimeout(() => {
      if (!attempt.settled) void this.fail(attempt, new SophonError('OAUTH_EXPIRED', `the ${attempt.service.name} sign-in was not completed within 10 minutes — start it again`), 'expired');
    }, ttl);
    expiry.unref?.();
    (attempt as { expiryTimer?: TimerHandle }).expiryTimer = expiry;
  }

  private settle(attempt: Attempt): void {
    attempt.settled = true;
    if (attempt.state) this.byState.delete(attempt.state);
    if (attempt.timer) this.options.clock.clearTimeout(attempt.timer);
    const expiry = (attempt as { expiryTimer?: TimerHandle }).expiryTimer;
    if (expiry) this.options.clock.clearTimeout(expiry);
    void attempt.listener?.dispose();
    // Keep the settled attempt briefly so a late wait() still learns the outcome.
    const keep = this.options.clock.setTimeout(() => this.attempts.delete(attempt.id), 60_000);
    keep.unref?.();
  }

  private async fail(attempt: Attempt, error: SophonError, status: SignInStatus = 'failed'): Promise<void> {
    if (attempt.settled) return;
    this.settle(attempt);
    attempt.reject(error);
    this.emit(attempt, { status, message: error.message, errorCode: error.code });
  }

  private emit(attempt: Attempt, event: Omit<SignInEvent, 'attemptId' | 'service'>): void {
    const full: SignInEvent = { attemptId: attempt.id, service: attempt.service.id, ...event };
    for (const listener of this.listeners) listener(full);
  }
}

/** Same scheme, host, port and path as the redirect_uri we sent (RFC 6749 §3.1.2: exact match). */
function sameRedirectTarget(url: URL, redirectUri: string): boolean {
  const expected = new URL(redirectUri);
  return url.protocol === expected.protocol && url.host === expected.host && url.pathname === expected.pathname;
}
