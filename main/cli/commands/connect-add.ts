import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { SophonError, childEnvironment } from '../../core/base.ts';
import type { AuthMethodView, ConnectionView, EventPayload, ServiceSummary, SignInStarted } from '../../api/contract.ts';
import { CliExit, formatExpiry, output, unwrap, type Out } from '../output.ts';
import { readSecret } from '../prompt.ts';
import type { CliContext } from '../context.ts';
import { addMail, mailOptions, reauthMail, type MailFlags } from './connect-mail.ts';
import { registerConnectConfigure } from './connect-configure.ts';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseParams(pairs: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new SophonError('INVALID_INPUT', `--param "${pair}" is not NAME=VALUE — e.g. --param site=acme`);
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return params;
}

function parseScopes(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(/[\s,]+/).filter(Boolean);
}

/** Opens an http(s) URL in the system browser; failures are fine (the URL is printed). */
function openBrowser(url: string): void {
  if (!/^https?:\/\//.test(url)) return;
  const [command, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(command as string, args as string[], { stdio: 'ignore', detached: true, env: childEnvironment(process.env) });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // no browser here: the URL is on screen
  }
}

const SECRET_METHODS = new Set(['api_key', 'bearer', 'basic']);

function pickMethod(service: ServiceSummary, requested: string | undefined, device: boolean): AuthMethodView {
  if (requested) {
    const found = service.auth.find((m) => m.type === requested);
    if (!found) throw new SophonError('UNSUPPORTED_AUTH_METHOD', `${service.name} does not offer ${requested} — it offers: ${service.auth.map((m) => m.type).join(', ')}`);
    return found;
  }
  if (device) {
    const found = service.auth.find((m) => m.type === 'device');
    if (!found) throw new SophonError('UNSUPPORTED_AUTH_METHOD', `${service.name} has no device flow — drop --device to sign in through the browser`);
    return found;
  }
  const usable = (type: string) => service.auth.find((m) => m.type === type && m.clientConfigured);
  const chosen =
    usable('oauth2') ?? usable('device') ?? service.auth.find((m) => SECRET_METHODS.has(m.type)) ?? service.auth.find((m) => m.type === 'smtp_imap') ?? service.auth.find((m) => m.type === 'oauth2' || m.type === 'device');
  if (!chosen) throw new SophonError('UNSUPPORTED_AUTH_METHOD', `${service.name} signs in with ${service.auth.map((m) => m.type).join(', ')}, which \`connect add\` cannot do — see \`sophon models\``);
  return chosen;
}

interface SignInFlags {
  readonly browser: boolean;
  readonly json: boolean;
}

/** Follows a started sign-in to its end: prints the URL or code, opens the browser, accepts a pasted URL. */
export async function followSignIn(cli: CliContext, out: Out, started: SignInStarted, flags: SignInFlags): Promise<ConnectionView> {
  // Ctrl-C withdraws the sign-in (the owner, or this process's own core, stops polling or listening).
  // Set before anything is shown: the code on screen invites it at once.
  let interrupted = false;
  const onInterrupt = () => {
    interrupted = true;
    void cli.call('signin.cancel', { attemptId: started.attemptId });
  };
  process.once('SIGINT', onInterrupt);
  const step = (value: Record<string, unknown>) => out.data(value);
  if (started.kind === 'browser') {
    step({ step: 'authorize', attemptId: started.attemptId, url: started.authorizationUrl, redirect: started.redirect, expiresAt: started.expiresAt });
    out.line(`Sign in with your browser:\n\n  ${started.authorizationUrl}\n`);
    if (flags.browser) openBrowser(started.authorizationUrl);
    out.line(flags.browser ? 'Waiting for the browser… (if it runs on another machine, paste the address it ends on here)' : 'Open it on any device, then paste here the address the browser ends on:');
  } else {
    step({ step: 'device_code', attemptId: started.attemptId, userCode: started.userCode, verificationUri: started.verificationUri, verificationUriComplete: started.verificationUriComplete, expiresAt: started.expiresAt, interval: started.interval });
    out.line(`To sign in, open ${started.verificationUri} and enter the code:\n\n    ${started.userCode}\n\n(expires ${formatExpiry(started.expiresAt)})`);
    if (flags.browser) openBrowser(started.verificationUriComplete ?? started.verificationUri);
  }

  const pastes: Promise<void>[] = [];
  let rl: ReturnType<typeof createInterface> | undefined;
  if (started.kind === 'browser') {
    // A pasted redirect URL, from the terminal or from piped stdin.
    rl = createInterface({ input: process.stdin, terminal: false });
    rl.on('line', (line) => {
      const text = line.trim();
      if (!text) return;
      pastes.push(
        cli.call<ConnectionView>('signin.complete', { attemptId: started.attemptId, redirectUrl: text }).then((result) => {
          if (!result.ok) out.warn(result.error.message);
        }),
      );
    });
  }
  try {
    const result = await cli.call<ConnectionView>('signin.wait', { attemptId: started.attemptId }, (event, payload) => {
      if (event !== 'signin.changed') return;
      const change = payload as EventPayload<'signin.changed'>;
      if (change.status === 'slow_down') {
        step({ step: 'slow_down', interval: change.interval });
        out.line(`(the server asked to poll every ${change.interval} s)`);
      } else if (change.status === 'failed' || change.status === 'expired' || change.status === 'cancelled') {
        step({ step: change.status, code: change.errorCode, message: change.message });
      }
    });
    if (interrupted && !result.ok) throw new CliExit(130, 'sign-in cancelled (Ctrl-C) — nothing was stored');
    const connection = unwrap(result);
    step({ step: 'completed', connection });
    out.line(`connected ${connection.service} as "${connection.label}" (${connection.id})${connection.account ? ` — signed in as ${connection.account}` : ''}`);
    return connection;
  } finally {
    process.off('SIGINT', onInterrupt);
    rl?.close();
    process.stdin.destroy();
    await Promise.allSettled(pastes);
  }
}

export function registerConnectAdd(connect: Command, cli: CliContext): void {
  mailOptions(connect.command('add <service>'))
    .description('connect a service: OAuth in the browser or by device code, or a key/token read from a hidden prompt or stdin (never from arguments)')
    .option('--label <label>', 'a name for this account (unique per service)')
    .option('--method <method>', 'oauth2, device, api_key, bearer, basic or smtp_imap (default: OAuth when a client is configured, else a key)')
    .option('--device', 'sign in with a device code (RFC 8628)')
    .option('--no-browser', 'do not open a browser: print the URL and accept the redirected address pasted back')
    .option('--scopes <scopes>', 'OAuth scopes instead of the defaults (comma or space separated)')
    .option('--username <name>', 'user name for basic credentials (the password is read like a secret)')
    .option('--param <name=value>', 'a service parameter, e.g. --param site=acme (repeatable)', collect, [])
    .option('--json', 'print JSON (one object per line for each step)')
    .action(async (serviceId: string, opts: { label?: string; method?: string; device?: boolean; browser: boolean; scopes?: string; username?: string; param: string[]; json?: boolean } & MailFlags) => {
      const out = output(Boolean(opts.json));
      const service = unwrap(await cli.call<ServiceSummary>('catalog.get', { id: serviceId }));
      const chosen = pickMethod(service, opts.method, Boolean(opts.device));
      if (chosen.type === 'smtp_imap') return addMail(cli, out, service, chosen, opts);
      const params = parseParams(opts.param);
      if (chosen.type === 'oauth2' || chosen.type === 'device') {
        const started = unwrap(
          await cli.call<SignInStarted>('signin.start', {
            service: serviceId,
            method: chosen.type,
            ...(opts.label !== undefined ? { label: opts.label } : {}),
            ...(parseScopes(opts.scopes) ? { scopes: parseScopes(opts.scopes) } : {}),
            ...(Object.keys(params).length ? { params } : {}),
          }),
        );
        await followSignIn(cli, out, started, { browser: opts.browser, json: Boolean(opts.json) });
        return;
      }
      let secret;
      if (chosen.type === 'basic') {
        if (!opts.username) throw new SophonError('INVALID_INPUT', `${service.name} needs --username (${chosen.usernameLabel ?? 'user name'}); the ${chosen.passwordLabel ?? 'password'} is read from the prompt or stdin`);
        secret = { type: 'basic', username: opts.username, password: await readSecret(chosen.passwordLabel ?? 'password') };
      } else if (chosen.type === 'api_key') {
        secret = { type: 'api_key', key: await readSecret(`${service.name} ${chosen.label ?? 'API key'}`) };
      } else if (chosen.type === 'bearer') {
        secret = { type: 'bearer', token: await readSecret(`${service.name} ${chosen.label ?? 'token'}`) };
      } else {
        throw new SophonError('UNSUPPORTED_AUTH_METHOD', `${chosen.type} is not added with \`connect add\` — see \`sophon models --help\``);
      }
      const result = unwrap(
        await cli.call<{ connection: ConnectionView; warnings: string[] }>('connections.add', {
          service: serviceId,
          ...(opts.label !== undefined ? { label: opts.label } : {}),
          secret,
          ...(Object.keys(params).length ? { params } : {}),
        }),
      );
      for (const warning of result.warnings) out.warn(warning);
      out.data(result);
      out.line(`connected ${result.connection.service} as "${result.connection.label}" (${result.connection.id}) — check it with \`sophon connect test ${result.connection.id}\``);
    });

  connect
    .command('reauth <ref>')
    .description('sign in again (a new consent), e.g. after the provider revoked access or to ask for more scopes')
    .option('--scopes <scopes>', 'scopes to add (a new consent; existing scopes are kept)')
    .option('--device', 'use a device code')
    .option('--no-browser', 'do not open a browser: print the URL and accept the redirected address pasted back')
    .option('--json', 'print JSON (one object per line for each step)')
    .action(async (ref: string, opts: { scopes?: string; device?: boolean; browser: boolean; json?: boolean }) => {
      const out = output(Boolean(opts.json));
      // A mailbox re-authenticates with a new password, not a browser sign-in.
      const current = unwrap(await cli.call<ConnectionView>('connections.status', { ref }));
      if (current.authMethod === 'smtp_imap') return reauthMail(cli, out, current, { test: true });
      const started = unwrap(
        await cli.call<SignInStarted>('connections.reauth', {
          ref,
          ...(parseScopes(opts.scopes) ? { scopes: parseScopes(opts.scopes) } : {}),
          ...(opts.device !== undefined ? { device: opts.device } : {}),
        }),
      );
      await followSignIn(cli, out, started, { browser: opts.browser, json: Boolean(opts.json) });
    });

  registerConnectConfigure(connect, cli);
}
