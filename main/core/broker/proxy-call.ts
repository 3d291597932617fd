import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { RequestContext } from '../connections/connection-service.ts';
import { SophonError, isSophonError } from '../errors.ts';
import type { Clock } from '../ports.ts';
import { brokerStatusFor, type Broker } from './broker.ts';
import type { LiveCredential, Route } from './connection-cache.ts';
import { upstreamRequestHeaders } from './proxy-headers.ts';
import { buildQuery, parseProxyTarget, upstreamPath, type ProxyTarget, type UpstreamBase } from './proxy-path.ts';
import { MidStreamError, Refusal, callUpstream, countedBody, type CallRecord, type ResponsePlan } from './upstream-call.ts';
import { ProfileRouter, type ProfileChoice } from './profile-route.ts';
import { findToken } from './proxy-token.ts';
import { bearer } from './runtime-key.ts';
import { pathAllowed } from './skill-manifest.ts';
import { MAX_FORM_BODY, isFormBody, overridesInForm, overridesInQuery, readFormBody } from './method-override.ts';
import type { TokenConnection, TokenRecord } from './token-store.ts';

export { buildQuery } from './proxy-path.ts';

export interface ProxyDeps {
  readonly broker: Broker;
  readonly agent: Dispatcher;
  readonly clock: Clock;
  readonly reauthHoldMs: number;
  /** Calls a token may have in flight; the count per token id lives in `inFlight`. */
  readonly maxCallsPerToken: number;
  readonly inFlight: Map<string, number>;
}

/**
 * Serves one `/proxy/<connection>/<path>` call. Never throws. With the connection's route
 * and credential cached (the usual case) it runs without a promise until the answer is
 * on its way; otherwise it loads them first (`loadThenForward`).
 */
export function proxyCall(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse): void {
  const call: CallRecord = {
    method: req.method ?? 'GET',
    started: performance.now(),
    skill: undefined,
    tool: undefined,
    token: undefined,
    connection: undefined,
    service: undefined,
    host: undefined,
    path: undefined,
    bytesIn: 0,
    bytesOut: 0,
    gone: false,
    onGone: undefined,
    counted: false,
    tokenHeaders: undefined,
    tokenQuery: undefined,
    profile: undefined,
    billing: undefined,
  };
  res.on('close', () => {
    if (call.counted) release(deps, call.token as string);
    if (res.writableFinished) return;
    call.gone = true;
    call.onGone?.gone();
  });
  try {
    const record = authenticate(deps, req, call);
    // The one peer the proxy knows: a token. One skill cannot take every upstream connection and all memory.
    const running = deps.inFlight.get(record.id) ?? 0;
    if (running >= deps.maxCallsPerToken) throw new Refusal(429, 'BROKER_BUSY', `this broker token already has ${running} calls in flight (Sophon.Broker.MaxCallsPerToken) — wait for some to finish, then retry`);
    deps.inFlight.set(record.id, running + 1);
    call.counted = true;
    // TRACE echoes the request (credential included) by design; CONNECT would tunnel past every check.
    if (call.method === 'TRACE' || call.method === 'TRACK' || call.method === 'CONNECT') throw new Refusal(405, 'BROKER_DENIED', `${call.method} is never forwarded by the broker`);
    const parsed = parseProxyTarget(req.url ?? '');
    if (!parsed.ok) throw new Refusal(400, 'INVALID_INPUT', `${parsed.reason} — call /proxy/<connection>/<path relative to the service's API base>`);
    const target = parsed.target;
    const provider = ProfileRouter.providerNamed(record, target.connection);
    let granted: TokenConnection;
    if (provider === undefined) granted = coveredConnection(record, target, call);
    else {
      const chosen = deps.broker.profiles.cached(record, provider);
      if (chosen === undefined) {
        void chooseThenForward(deps, req, res, call, record, target, provider);
        return;
      }
      granted = useProfile(call, chosen);
    }
    const cache = deps.broker.cache;
    const route = cache.cachedRoute(granted.connectionId);
    if (route === undefined) {
      void loadThenForward(deps, req, res, call, record, target, granted, undefined);
      return;
    }
    const base = checkTarget(route, record, granted, target, call);
    const credential = route.connection.state === 'needs_reauth' || needsFormCheck(granted, req) ? undefined : cache.cachedCredential(granted.connectionId);
    if (credential === undefined) {
      void loadThenForward(deps, req, res, call, record, target, granted, { route, base });
      return;
    }
    forward(deps, req, res, call, target, route, base, credential);
  } catch (error) {
    refuse(deps, req, res, call, error);
  }
}

/** A call naming a model provider: the profile its agent's auth order picks among the granted ones, then the slow path. */
async function chooseThenForward(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse, call: CallRecord, record: TokenRecord, target: ProxyTarget, provider: string): Promise<void> {
  try {
    const chosen = await deps.broker.profiles.choose(record, provider, { actor: 'skill', skill: record.skill, tool: record.tool });
    await loadThenForward(deps, req, res, call, record, target, useProfile(call, chosen), undefined);
  } catch (error) {
    refuse(deps, req, res, call, error);
  }
}

function useProfile(call: CallRecord, chosen: ProfileChoice): TokenConnection {
  const c = chosen.connection;
  call.connection = c.connectionId;
  call.service = c.service;
  call.profile = chosen.profile;
  call.billing = c.billing;
  return c;
}

/** The slow path: loads the route and the credential (refreshing, or waiting for re-auth), then forwards. */
async function loadThenForward(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse, call: CallRecord, record: TokenRecord, target: ProxyTarget, granted: TokenConnection, checked: { route: Route; base: UpstreamBase } | undefined): Promise<void> {
  try {
    const cache = deps.broker.cache;
    let route = checked?.route ?? (await cache.loadRoute(granted.connectionId));
    const base = checked?.base ?? checkTarget(route, record, granted, target, call);
    const form = needsFormCheck(granted, req) ? await checkedForm(record, granted, req) : undefined;
    let credential = route.connection.state === 'needs_reauth' ? undefined : cache.cachedCredential(granted.connectionId);
    if (!credential) {
      const live = await liveCredential(deps, route, { actor: 'skill', skill: record.skill, tool: record.tool }, call);
      route = live.route;
      credential = live.credential;
    }
    forward(deps, req, res, call, target, route, base, credential, form);
  } catch (error) {
    refuse(deps, req, res, call, error);
  }
}

/** The base URL the target names, once the token's grant covers the method and path. */
function checkTarget(route: Route, record: TokenRecord, granted: TokenConnection, target: ProxyTarget, call: CallRecord): UpstreamBase {
  const base = target.baseHost === undefined ? route.bases[0] : route.bases.find((b) => b.host === target.baseHost);
  if (!base) throw new Refusal(403, 'BROKER_DENIED', `~${target.baseHost} is not one of ${route.service.name}'s API hosts (${route.bases.map((b) => b.host).join(', ')})`);
  call.host = base.host;
  call.path = `${base.path}${target.path}`.slice(0, 300);
  checkGrant(record, granted, target, call);
  return base;
}

/** Sends the checked call upstream with the credential attached; the answer is audited or refused when it ends. */
function forward(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse, call: CallRecord, target: ProxyTarget, route: Route, base: UpstreamBase, credential: LiveCredential, form?: Buffer): void {
  const hasBody = bodyPresent(req);
  const headers = upstreamRequestHeaders(req.rawHeaders, credential.added, hasBody, call.tokenHeaders);
  const cache = deps.broker.cache;
  const plan: ResponsePlan = {
    serviceName: route.service.name,
    needles: credential.needles,
    allowSetCookie: route.service.broker.allowSetCookie,
    bases: route.bases,
    connectionSegment: target.connection,
    queryNames: route.queryNames,
    onUnauthorized() {
      cache.invalidate(route.connection.id, route.connection);
    },
  };
  callUpstream(
    deps.agent,
    { base, path: upstreamPath(base, target, buildQuery(target.query, call.tokenQuery === undefined ? route.queryNames : new Set([...route.queryNames, ...call.tokenQuery]), credential.query)), headers, body: form ? readBody(form, call) : hasBody ? countedBody(req, call) : null },
    res,
    plan,
    call,
    (error, status) => {
      if (error === undefined) audited(deps, call, status);
      else refuse(deps, req, res, call, error instanceof Refusal || error instanceof MidStreamError ? error : upstreamFailure(error, base, route));
    },
  );
}

/** A body already read (a checked form), sent on as it came. */
function readBody(body: Buffer, call: CallRecord): Readable {
  call.bytesIn = body.length;
  return Readable.from([body]);
}

function authenticate(deps: ProxyDeps, req: IncomingMessage, call: CallRecord): TokenRecord {
  const carried = findToken(req.headers, req.url ?? '', deps.broker.places);
  if (carried.conflict) throw new Refusal(400, 'BROKER_TOKEN_INVALID', 'the request carries two different broker tokens — send one (e.g. only `Authorization: Bearer <token>`)');
  // A Bearer value that is not shaped like a broker token is still what the skill presented: "not valid" says more than "none".
  const token = carried.token ?? bearer(req.headers.authorization);
  if (token === undefined) throw new Refusal(401, 'BROKER_TOKEN_INVALID', 'no broker token — send `Authorization: Bearer <token>` (or the key header the service\'s SDK uses) with a token from `sophon broker mint` or `sophon run`');
  call.tokenHeaders = carried.headers;
  call.tokenQuery = carried.query;
  const found = deps.broker.tokens.lookup(token);
  if (found.state === 'unknown') throw new Refusal(401, 'BROKER_TOKEN_INVALID', 'the broker token is not valid (unknown or revoked) — ask the agent runtime to mint a new one');
  const record = found.record;
  call.skill = record.skill;
  call.tool = record.tool;
  call.token = record.id;
  if (found.state === 'expired') throw new Refusal(401, 'BROKER_TOKEN_INVALID', `the broker token expired at ${new Date(record.expiresAt).toISOString()} — mint a new one for this tool call`);
  return record;
}

function coveredConnection(record: TokenRecord, target: ProxyTarget, call: CallRecord): TokenConnection {
  const granted = pickConnection(record, target.connection);
  if (!granted) {
    const covered = record.connections.map((c) => `${c.service}:${c.label}`);
    const several = record.connections.filter((c) => c.service === target.connection);
    if (several.length > 1) {
      throw new Refusal(400, 'AMBIGUOUS_CONNECTION', `"${target.connection}" is more than one connection of this token (${several.map((c) => `${c.service}:${c.label}`).join(', ')}) — name one as service:label or by id`);
    }
    throw new Refusal(403, 'BROKER_DENIED', `this token does not cover connection "${target.connection}" — it covers ${covered.join(', ')}; mint a token for the connection you need`);
  }
  call.connection = granted.connectionId;
  call.service = granted.service;
  if (granted.provider !== undefined) {
    call.profile = `${granted.provider}:${granted.label}`;
    call.billing = granted.billing;
  }
  return granted;
}

function checkGrant(record: TokenRecord, granted: TokenConnection, target: ProxyTarget, call: CallRecord): void {
  const ref = `${granted.service}:${granted.label}`;
  if (granted.methods && !granted.methods.has(call.method)) {
    throw new Refusal(403, 'BROKER_DENIED', `${call.method} is not granted to skill "${record.skill}" on ${ref} (allowed: ${[...granted.methods].join(', ')}) — change the manifest and approve it again`);
  }
  if (granted.methods) checkOverrides(record, granted, overridesInQuery(target.query), 'query');
  if (!granted.paths.some((prefix) => pathAllowed(target.canonicalPath, prefix))) {
    throw new Refusal(403, 'BROKER_DENIED', `${target.path.slice(0, 200)} is outside what skill "${record.skill}" may use on ${ref} (${granted.paths.join(' ')}) — change the manifest and approve it again`);
  }
}

/** A `_method` parameter asks frameworks for another method: it must be granted too. */
function checkOverrides(record: TokenRecord, granted: TokenConnection, overrides: readonly string[], where: string): void {
  for (const method of overrides) {
    if (granted.methods?.has(method)) continue;
    throw new Refusal(
      403,
      'BROKER_DENIED',
      `a _method=${method.slice(0, 20)} parameter in the ${where} would make frameworks that honour it (Rails, Laravel, Symfony) run ${method.slice(0, 20)}, which is not granted to skill "${record.skill}" on ${granted.service}:${granted.label} — drop the parameter, or change the manifest and approve it again`,
    );
  }
}

/** Form bodies under a method-restricted grant are read first, to look for `_method`. */
function needsFormCheck(granted: TokenConnection, req: IncomingMessage): boolean {
  return granted.methods !== null && isFormBody(req) && bodyPresent(req);
}

function bodyPresent(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

async function checkedForm(record: TokenRecord, granted: TokenConnection, req: IncomingMessage): Promise<Buffer> {
  const body = await readFormBody(req);
  if (body === undefined) throw new Refusal(413, 'BROKER_DENIED', `a form or JSON body over ${MAX_FORM_BODY} bytes cannot be checked for a _method override under skill "${record.skill}"'s method-restricted grant — send a smaller body, or grant the skill every method ("methods": ["*"])`);
  checkOverrides(record, granted, overridesInForm(req, body), 'form body');
  return body;
}

function release(deps: ProxyDeps, token: string): void {
  const left = (deps.inFlight.get(token) ?? 1) - 1;
  if (left <= 0) deps.inFlight.delete(token);
  else deps.inFlight.set(token, left);
}

/** The token's connection named by an id, service:label, or a service it holds once. */
export function pickConnection(record: TokenRecord, name: string): TokenConnection | undefined {
  const byId = record.connections.find((c) => c.connectionId === name);
  if (byId) return byId;
  const colon = name.indexOf(':');
  if (colon > 0) {
    const service = name.slice(0, colon);
    const label = name.slice(colon + 1).toLowerCase();
    return record.connections.find((c) => c.service === service && c.label.toLowerCase() === label);
  }
  const ofService = record.connections.filter((c) => c.service === name);
  return ofService.length === 1 ? ofService[0] : undefined;
}

function needsReauth(route: Route): SophonError {
  const c = route.connection;
  return new SophonError('NEEDS_REAUTH', `${c.service}:${c.label} needs the user to sign in again${c.stateReason ? ` (${c.stateReason})` : ''} — pause this tool call and ask them to reconnect it (\`sophon connect reauth ${c.id}\` or the Sophon window)`);
}

/** The connection's credential; a connection needing re-auth is refused at once, or after waiting up to ReauthHoldSeconds for the user. */
async function liveCredential(deps: ProxyDeps, first: Route, ctx: RequestContext, call: CallRecord): Promise<{ route: Route; credential: LiveCredential }> {
  const cache = deps.broker.cache;
  let route = first;
  for (let attempt = 0; ; attempt++) {
    try {
      if (route.connection.state === 'needs_reauth') throw needsReauth(route);
      const credential = cache.cachedCredential(route.connection.id) ?? (await cache.loadCredential(route, ctx));
      return { route, credential };
    } catch (error) {
      if (!(isSophonError(error) && error.code === 'NEEDS_REAUTH')) throw error;
      const reauth = route.connection.state === 'needs_reauth' ? error : needsReauth(route);
      if (attempt === 0) deps.broker.reauthNeeded(route.connection, ctx.skill);
      if (attempt > 0 || deps.reauthHoldMs === 0) throw reauthRefusal(route, reauth);
      if (!(await waitForReconnect(deps, route.connection.id, call))) throw reauthRefusal(route, reauth);
      route = cache.cachedRoute(route.connection.id) ?? (await cache.loadRoute(route.connection.id));
    }
  }
}

function reauthRefusal(route: Route, error: SophonError): Refusal {
  const c = route.connection;
  return new Refusal(424, 'NEEDS_REAUTH', error.message, { connection: c.id, service: c.service, label: c.label });
}

function waitForReconnect(deps: ProxyDeps, id: string, call: CallRecord): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      unsubscribe();
      deps.clock.clearTimeout(timer);
      call.onGone = undefined;
      resolve(ok);
    };
    const unsubscribe = deps.broker.core.connections.onChange((change) => {
      if (change.connection.id !== id) return;
      if (change.type === 'removed') done(false);
      else if (change.connection.state !== 'needs_reauth') done(true);
    });
    const timer = deps.clock.setTimeout(() => done(false), deps.reauthHoldMs);
    timer.unref?.();
    if (call.gone) done(false);
    else
      call.onGone = {
        gone() {
          done(false);
        },
      };
  });
}

function upstreamFailure(error: unknown, base: UpstreamBase, route: Route): Error {
  if (error instanceof Refusal || isSophonError(error)) return error;
  const e = error as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'AbortError') return new Refusal(499, 'NETWORK_ERROR', 'the client went away');
  const code = e.code ?? e.cause?.code ?? '';
  const message = (e.cause?.message ?? e.message ?? '').split('\n', 1)[0]?.slice(0, 200) ?? '';
  const detail = [code, message].filter(Boolean).join(': ') || 'unknown error';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new Refusal(504, 'NETWORK_ERROR', `${route.service.name} (${base.host}) did not answer in time (${detail}) — retry later`);
  }
  const tls = /CERT|SELF_SIGNED|TLS|SSL|ALTNAME|VERIFY|ISSUER/i.test(detail);
  const fix = tls ? 'the certificate is not trusted: check the base URL, or add its CA to Sophon.Broker.CaFiles' : 'check the network and the service\'s base URL in appsettings.json';
  return new Refusal(502, 'NETWORK_ERROR', `could not reach ${route.service.name} at ${base.host} (${detail}) — ${fix}`);
}

function audited(deps: ProxyDeps, call: CallRecord, status: number): void {
  // One shape for every call line; undefined fields are left out when it is written.
  deps.broker.auditSoon({
    actor: 'skill',
    action: 'broker.call',
    skill: call.skill,
    tool: call.tool,
    connection: call.connection,
    service: call.service,
    outcome: 'ok',
    detail: auditDetail(call, status),
  });
}

function auditDetail(call: CallRecord, status: number): Record<string, string | number> {
  const detail: Record<string, string | number> = {
    method: call.method,
    host: call.host as string,
    path: call.path as string,
    status,
    bytesIn: call.bytesIn,
    bytesOut: call.bytesOut,
    ms: Math.round((performance.now() - call.started) * 10) / 10,
    token: call.token as string,
  };
  // A model call names the auth profile it used; a subscription's tokens cost nothing each.
  if (call.profile !== undefined) {
    detail['profile'] = call.profile;
    if (call.billing !== undefined) detail['billing'] = call.billing;
    if (call.billing === 'subscription') detail['cost'] = 0;
  }
  return detail;
}

/** Answers a refusal or failure as JSON (or cuts a response already under way) and audits it. */
function refuse(deps: ProxyDeps, req: IncomingMessage, res: ServerResponse, call: CallRecord, error: unknown): void {
  let refusal: Refusal;
  if (error instanceof Refusal) refusal = error;
  else if (isSophonError(error)) refusal = new Refusal(brokerStatusFor(error.code), error.code, error.message);
  else if (error instanceof MidStreamError) refusal = new Refusal(502, 'NETWORK_ERROR', error.message);
  else refusal = new Refusal(500, 'INTERNAL', `the broker failed: ${(error as Error)?.message ?? String(error)}`);
  deps.broker.auditSoon({
    actor: 'skill',
    action: 'broker.call',
    ...(call.skill ? { skill: call.skill } : {}),
    ...(call.tool ? { tool: call.tool } : {}),
    ...(call.connection ? { connection: call.connection } : {}),
    ...(call.service ? { service: call.service } : {}),
    outcome: refusal.status >= 500 || refusal.status === 499 ? 'error' : 'denied',
    reason: refusal.message.slice(0, 300),
    detail: auditDetail(call, refusal.status),
  });
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  sendJsonError(res, refusal.status, refusal.code, refusal.message, refusal.extra, !req.complete);
}

export function sendJsonError(res: ServerResponse, status: number, code: string, message: string, extra: Readonly<Record<string, string>> = {}, close = false): void {
  const text = JSON.stringify({ error: { code, message, ...extra } });
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    // Tells an answer of the broker's own from the upstream's (whose x-sophon-* headers are dropped).
    'x-sophon-refusal': code,
    ...(status === 401 ? { 'www-authenticate': 'Bearer realm="sophon-broker"' } : {}),
    ...(status === 429 ? { 'retry-after': '1' } : {}),
    ...(close ? { connection: 'close' } : {}),
  });
  res.end(text);
}
