// Drives oidc-provider's devInteractions and device-flow pages the way a person would, with
// fetch and a cookie jar instead of a browser: read the form on each page, fill it, submit it.

export interface UserAgent {
  /** Cookies currently held, by name (for assertions; paths are honoured when sending). */
  cookieNames(): string[];
}

export interface LoginOptions {
  /** Account id typed into the devInteractions login form. Default 'alice'. */
  readonly login?: string;
  /** Reuse a browser session (cookies) across calls, e.g. to see SSO skip the login form. */
  readonly agent?: UserAgent;
}

export interface AuthorizationOptions extends LoginOptions {
  /** false presses "Cancel" on the consent page; the client then gets error=access_denied. Default true. */
  readonly consent?: boolean;
}

interface Cookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
}

class Agent implements UserAgent {
  readonly #cookies = new Map<string, Cookie>();

  cookieNames(): string[] {
    return [...new Set([...this.#cookies.values()].map((c) => c.name))];
  }

  /** One HTTP exchange, never following redirects. */
  async send(url: URL, form?: Record<string, string>): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/html' };
    const cookie = [...this.#cookies.values()]
      .filter((c) => pathMatches(url.pathname, c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    if (cookie) headers['cookie'] = cookie;
    const init: RequestInit = { redirect: 'manual', headers };
    if (form) {
      init.method = 'POST';
      headers['content-type'] = 'application/x-www-form-urlencoded';
      init.body = new URLSearchParams(form).toString();
    }
    const res = await fetch(url, init);
    for (const line of res.headers.getSetCookie()) this.#store(line, url);
    return res;
  }

  #store(line: string, url: URL): void {
    const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
    let expired = false;
    for (const attr of attrs) {
      const [k = '', v = ''] = attr.split('=', 2);
      const key = k.toLowerCase();
      if (key === 'path' && v.startsWith('/')) path = v;
      if (key === 'max-age' && Number(v) <= 0) expired = true;
      if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
    }
    const key = `${name};${path}`;
    if (expired) this.#cookies.delete(key);
    else this.#cookies.set(key, { name, value, path });
  }
}

export function createUserAgent(): UserAgent {
  return new Agent();
}

/**
 * Opens `authorizationUrl`, signs in on the devInteractions login form, answers the consent form,
 * and returns the URL the server finally redirected the browser to (the client's redirect_uri with
 * code/state/iss or error), without following it.
 */
export async function completeAuthorization(authorizationUrl: string | URL, options: AuthorizationOptions = {}): Promise<string> {
  const outcome = await drive(new URL(authorizationUrl), undefined, {
    login: options.login ?? 'alice',
    consent: options.consent ?? true,
    agent: agentOf(options.agent),
  });
  if (outcome.kind !== 'left-server') throw new Error(`authorization did not redirect to the client (${describe(outcome)})`);
  return outcome.url;
}

/** Enters `userCode` at `verificationUri` (RFC 8628 §3.3), confirms it, signs in and consents. */
export async function approveDeviceCode(verificationUri: string | URL, userCode: string, options: LoginOptions = {}): Promise<void> {
  const outcome = await drive(new URL(verificationUri), undefined, {
    login: options.login ?? 'alice',
    consent: true,
    userCode,
    agent: agentOf(options.agent),
  });
  if (outcome.kind !== 'device-success') throw new Error(`device approval did not reach the success page (${describe(outcome)})`);
}

/** Enters `userCode` at `verificationUri` and presses Abort on the confirm page; polling then gets access_denied. */
export async function denyDeviceCode(verificationUri: string | URL, userCode: string, options: Pick<LoginOptions, 'agent'> = {}): Promise<void> {
  const outcome = await drive(new URL(verificationUri), undefined, {
    login: 'alice',
    consent: false,
    userCode,
    agent: agentOf(options.agent),
  });
  if (outcome.kind !== 'device-aborted') throw new Error(`device denial did not reach the aborted page (${describe(outcome)})`);
}

function agentOf(agent: UserAgent | undefined): Agent {
  if (agent === undefined) return new Agent();
  if (agent instanceof Agent) return agent;
  throw new Error('agent must come from createUserAgent()');
}

interface Intent {
  readonly login: string;
  readonly consent: boolean;
  readonly userCode?: string;
  readonly agent: Agent;
}

type Outcome =
  | { readonly kind: 'left-server'; readonly url: string }
  | { readonly kind: 'device-success' }
  | { readonly kind: 'device-aborted' }
  | { readonly kind: 'stuck'; readonly title: string };

function describe(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'left-server':
      return `redirected to ${outcome.url}`;
    case 'stuck':
      return `stopped on "${outcome.title}"`;
    case 'device-success':
    case 'device-aborted':
      return outcome.kind;
  }
}

const MAX_STEPS = 25;

async function drive(start: URL, startForm: Record<string, string> | undefined, intent: Intent): Promise<Outcome> {
  const origin = start.origin;
  let url = start;
  let form = startForm;
  for (let step = 0; step < MAX_STEPS; step += 1) {
    const res = await intent.agent.send(url, form);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      const next = new URL(location, url);
      // Anything off the server (loopback on another port, sophon://) is the client: stop there.
      if (next.origin !== origin || next.protocol !== start.protocol) return { kind: 'left-server', url: next.href };
      url = next;
      form = undefined;
      continue;
    }
    const html = await res.text();
    const next = nextStep(html, url, intent);
    if ('kind' in next) return next;
    if (new URL(next.url).origin !== origin) throw new Error(`form posts off the server to ${next.url}; response_mode=form_post is not supported here`);
    url = new URL(next.url);
    form = next.form;
  }
  throw new Error(`gave up after ${MAX_STEPS} pages starting at ${start.href}`);
}

type Step = { readonly url: string; readonly form?: Record<string, string> } | Outcome;

function nextStep(html: string, url: URL, intent: Intent): Step {
  const title = decode(/<title>([\s\S]*?)<\/title>/i.exec(html)?.[1]?.trim() ?? '');
  const forms = parseForms(html, url);
  const redMessage = /<p class="red">([\s\S]*?)<\/p>/.exec(html)?.[1];

  if (title === 'Sign-in Success') return { kind: 'device-success' };
  if (title.startsWith('oops!')) throw new Error(`the server showed an error page: ${textOf(html)}`);

  const login = forms.find((f) => f.fields['prompt'] === 'login');
  if (login) return { url: login.action, form: { prompt: 'login', login: intent.login, password: 'any password' } };

  const consent = forms.find((f) => f.fields['prompt'] === 'consent');
  if (consent) {
    if (intent.consent) return { url: consent.action, form: { prompt: 'consent' } };
    const cancel = /<a href="([^"]+)">\[ Cancel \]<\/a>/.exec(html)?.[1];
    if (!cancel) throw new Error('consent page has no Cancel link');
    return { url: new URL(decode(cancel), url).href };
  }

  const input = forms.find((f) => f.id === 'op.deviceInputForm');
  if (input) {
    if (redMessage !== undefined) {
      if (/interrupted/i.test(redMessage) && !intent.consent) return { kind: 'device-aborted' };
      throw new Error(`the device page refused the code: ${textOf(redMessage)}`);
    }
    if (intent.userCode === undefined) throw new Error('device code input page reached without a user code');
    return { url: input.action, form: { ...input.fields, user_code: intent.userCode } };
  }

  const confirm = forms.find((f) => f.id === 'op.deviceConfirmForm');
  if (confirm) {
    // The Abort button carries name=abort value=yes into the same form.
    return { url: confirm.action, form: intent.consent ? confirm.fields : { ...confirm.fields, abort: 'yes' } };
  }

  // An auto-submitting page (form_post of the device verification_uri_complete): submit it as a script would.
  if (title === 'Submitting Callback' && forms[0]) return { url: forms[0].action, form: forms[0].fields };

  return { kind: 'stuck', title: title || textOf(html).slice(0, 120) };
}

interface ParsedForm {
  readonly id?: string;
  readonly action: string;
  readonly fields: Record<string, string>;
}

function parseForms(html: string, base: URL): ParsedForm[] {
  const forms: ParsedForm[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = parseAttributes(match[1] ?? '');
    const fields: Record<string, string> = {};
    for (const input of (match[2] ?? '').matchAll(/<input\b([^>]*?)\/?>/gi)) {
      const a = parseAttributes(input[1] ?? '');
      if (a['name'] !== undefined && a['type'] === 'hidden') fields[a['name']] = a['value'] ?? '';
    }
    forms.push({ ...(attrs['id'] ? { id: attrs['id'] } : {}), action: new URL(attrs['action'] ?? base.href, base).href, fields });
  }
  return forms;
}

function parseAttributes(source: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of source.matchAll(/([\w:.-]+)\s*=\s*"([^"]*)"/g)) out[(m[1] ?? '').toLowerCase()] = decode(m[2] ?? '');
  return out;
}

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_m, e: string) => {
    const lower = e.toLowerCase();
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith('#')) return String.fromCodePoint(parseInt(lower.slice(1), 10));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[lower] ?? '';
  });
}

function textOf(html: string): string {
  return decode(html.replace(/<style[\s\S]*?<\/style>|<script[\s\S]*?<\/script>/gi, '').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}
