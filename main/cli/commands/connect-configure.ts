import type { Command } from 'commander';
import { createInterface } from 'node:readline';
import { SophonError } from '../../core/base.ts';
import type { AuthMethodView, ServiceSummary } from '../../api/contract.ts';
import { output, unwrap, type Out } from '../output.ts';
import { SECRET_MAX_CHARS, hiddenPrompt, readStdin } from '../prompt.ts';
import type { CliContext } from '../context.ts';

const OAUTH = new Set(['oauth2', 'device']);

/** A visible one-line answer at the terminal (a client id is not a secret). */
function visiblePrompt(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer.trim());
    });
    rl.on('SIGINT', () => {
      rl.close();
      reject(new SophonError('OAUTH_CANCELLED', 'cancelled — nothing was stored'));
    });
  });
}

const methodName = (m: AuthMethodView) => (m.type === 'device' ? 'the device sign-in' : 'the browser sign-in');

/** What to register at the provider, printed before anything is asked. */
function explain(out: Out, service: ServiceSummary, methods: readonly AuthMethodView[]): void {
  const registration = methods.find((m) => m.clientRegistrationUrl)?.clientRegistrationUrl;
  out.line(`${service.name}: register an OAuth client${registration ? ` at ${registration}` : ''}.`);
  for (const method of methods) {
    if (method.type !== 'oauth2') continue;
    const uris = method.redirectUris ?? [];
    if (uris.length === 0) {
      out.line(`  Redirect URI: nothing to register — Sophon returns to ${method.loopbackRedirect ?? 'its loopback listener'}, which this kind of client accepts as it is.`);
    } else {
      out.line(`  Redirect URI${uris.length > 1 ? 's' : ''} to register, exactly as written:`);
      for (const r of uris) out.line(`    ${r.uri}${r.kind === 'deeplink' ? '   (for the desktop app)' : ''}`);
      if (uris.some((r) => r.kind === 'loopback' && /:\d+\//.test(r.uri))) {
        out.line(`  (${service.name} compares the port; to use another, set Sophon.Services.${service.id}.loopbackPort in appsettings.json and register that URI instead.)`);
      }
    }
  }
  for (const method of methods) {
    if (method.clientKind === 'confidential') out.line(`  ${service.name} requires the client secret for ${methodName(method)}.`);
  }
  const docs = [...new Set(methods.map((m) => m.docs).filter((d): d is string => Boolean(d)))];
  if (docs.length > 0) out.line(`  Provider documentation: ${docs.join(' , ')}`);
}

/** The client secret: from stdin when asked to, else asked at the terminal where the provider wants one. */
async function clientSecretFor(service: ServiceSummary, methods: readonly AuthMethodView[], fromStdin: boolean, out: Out): Promise<string | undefined> {
  if (fromStdin) {
    const read = process.stdin.isTTY ? await hiddenPrompt('Client secret: ') : await readStdin(process.stdin, SECRET_MAX_CHARS * 4 + 2);
    if (read === undefined || read.length > SECRET_MAX_CHARS) throw new SophonError('INPUT_TOO_LARGE', 'the client secret is longer than 8 KiB — is this the right file? nothing was stored');
    const value = read.trim();
    if (!value) throw new SophonError('EMPTY_SECRET', 'no client secret on stdin — pipe it, e.g. `printf %s "$SECRET" | sophon connect configure … --client-secret-stdin`');
    return value;
  }
  const required = methods.filter((m) => m.clientKind === 'confidential');
  const optional = methods.some((m) => m.clientKind === 'either');
  if (process.stdin.isTTY && (required.length > 0 || optional)) {
    const question = required.length > 0 ? 'Client secret (input hidden): ' : 'Client secret, if the app has one (input hidden, Enter for none): ';
    const value = (await hiddenPrompt(question)).trim();
    if (value) return value;
    if (required.length === methods.length) throw new SophonError('EMPTY_SECRET', `${service.name} requires the client secret — nothing was stored; run the command again and paste it`);
    return undefined;
  }
  if (required.length > 0 && required.length === methods.length) {
    throw new SophonError('EMPTY_SECRET', `${service.name} requires the client secret — nothing was stored; pipe it: \`printf %s "$SECRET" | sophon connect configure ${service.id} --client-id ID --client-secret-stdin\``);
  }
  for (const method of required) out.warn(`no client secret stored: ${methodName(method)} of ${service.name} will refuse to start until you add it with --client-secret-stdin`);
  return undefined;
}

export function registerConnectConfigure(connect: Command, cli: CliContext): void {
  connect
    .command('configure <service>')
    .description('use your own OAuth client (registered at the provider) for a service: shows the redirect URIs to register, then asks for the client id and, where the provider needs it, the secret')
    .option('--client-id <id>', 'the OAuth client id from the provider console (asked for when omitted at a terminal)')
    .option('--client-secret-stdin', 'read the client secret from stdin')
    .option('--json', 'print JSON')
    .action(async (serviceId: string, opts: { clientId?: string; clientSecretStdin?: boolean; json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const service = unwrap(await cli.call<ServiceSummary>('catalog.get', { id: serviceId }));
      const methods = service.auth.filter((m) => OAUTH.has(m.type));
      if (methods.length === 0) throw new SophonError('NOT_SUPPORTED', `${service.name} does not sign in with OAuth — add a key with \`sophon connect add ${service.id}\``);
      explain(out, service, methods);
      let clientId = opts.clientId?.trim();
      if (!clientId) {
        if (!process.stdin.isTTY) throw new SophonError('INVALID_INPUT', `no client id — pass --client-id ID (from ${methods[0]?.clientRegistrationUrl ?? 'the provider console'})`);
        clientId = await visiblePrompt('Client id: ');
        if (!clientId) throw new SophonError('INVALID_INPUT', 'no client id given — nothing was stored; paste the id from the provider console');
      }
      const clientSecret = await clientSecretFor(service, methods, Boolean(opts.clientSecretStdin), out);
      const result = unwrap(await cli.call<{ service: string; clientId: string; hasSecret: boolean }>('oauth.configure', { service: serviceId, clientId, ...(clientSecret ? { clientSecret } : {}) }));
      out.data({ ...result, redirectUris: methods.flatMap((m) => m.redirectUris ?? []) });
      out.line(`${result.service}: OAuth client ${result.clientId}${result.hasSecret ? ' (with secret, kept in the vault)' : ''} — now run \`sophon connect add ${result.service}\``);
    });
}
