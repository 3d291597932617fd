import type { Command } from 'commander';
import { SophonError } from '../../core/index.ts';
import type { ConnectionView, ServiceSummary, TestResultView } from '../../api/contract.ts';
import { formatExpiry, output, table, unwrap } from '../output.ts';
import { readSecret } from '../prompt.ts';
import type { CliContext } from '../context.ts';

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

export function describeConnection(c: ConnectionView): string[] {
  return [c.id, c.service, c.label, c.authMethod, c.state === 'needs_reauth' ? 'NEEDS RE-AUTH' : c.state, formatExpiry(c.expiresAt)];
}

export function registerConnect(program: Command, cli: CliContext): void {
  const connect = program.command('connect').description('manage connections to services');

  connect
    .command('list')
    .description('list connections')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const list = unwrap(await cli.call<ConnectionView[]>('connections.list', {}));
      out.data(list);
      if (list.length === 0) out.line('no connections yet — add one with `sophon connect add <service>`');
      else out.line(table([['ID', 'SERVICE', 'LABEL', 'AUTH', 'STATE', 'EXPIRES'], ...list.map((c) => describeConnection(c))]));
    });

  connect
    .command('add <service>')
    .description('connect a service; secrets come from a hidden prompt or stdin, never from arguments')
    .option('--label <label>', 'a name for this account (unique per service)')
    .option('--method <method>', 'api_key, bearer or basic (default: the first the service offers)')
    .option('--username <name>', 'user name for basic credentials (the password is read like a secret)')
    .option('--param <name=value>', 'a service parameter, e.g. --param site=acme (repeatable)', collect, [])
    .option('--json', 'print JSON')
    .action(async (serviceId: string, opts: { label?: string; method?: string; username?: string; param: string[]; json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const service = unwrap(await cli.call<ServiceSummary>('catalog.get', { id: serviceId }));
      const secretMethods = service.auth.filter((m) => m.type === 'api_key' || m.type === 'bearer' || m.type === 'basic');
      const chosen = opts.method ? service.auth.find((m) => m.type === opts.method) : secretMethods[0];
      if (!chosen) {
        const offered = service.auth.map((m) => m.type).join(', ');
        throw new SophonError('UNSUPPORTED_AUTH_METHOD', opts.method ? `${service.name} does not offer ${opts.method} — it offers: ${offered}` : `${service.name} signs in with ${offered}, which this version cannot do from the CLI yet`);
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
        throw new SophonError('UNSUPPORTED_AUTH_METHOD', `${chosen.type} sign-in is not available from this command yet`);
      }
      const params = parseParams(opts.param);
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
    .command('test <ref>')
    .description('call the service with the stored credential (ref: id, service, or service:label)')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const { connection, result } = unwrap(await cli.call<{ connection: ConnectionView; result: TestResultView }>('connections.test', { ref }));
      out.data({ connection, result });
      out.line(`${result.ok ? 'ok' : 'FAILED'}: ${connection.service}:${connection.label} — ${result.message} (${result.durationMs} ms)`);
      if (!result.ok) cli.setExitCode(1);
    });

  connect
    .command('status <ref>')
    .description('show one connection: state, expiry, last refresh and last test')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const c = unwrap(await cli.call<ConnectionView>('connections.status', { ref }));
      out.data(c);
      out.line(
        [
          `${c.service}:${c.label} (${c.id})`,
          `  state:        ${c.state === 'needs_reauth' ? 'NEEDS RE-AUTH' : c.state}${c.stateReason ? ` — ${c.stateReason}` : ''}`,
          `  auth:         ${c.authMethod}${c.scopes.length ? ` (${c.scopes.join(' ')})` : ''}`,
          `  expires:      ${formatExpiry(c.expiresAt)}`,
          `  last refresh: ${c.lastRefreshAt ?? 'never'}`,
          `  last used:    ${c.lastUsedAt ?? 'never'}`,
          `  last test:    ${c.lastTest ? `${c.lastTest.ok ? 'ok' : 'failed'} at ${c.lastTest.at} — ${c.lastTest.message}` : 'never'}`,
          ...(c.account ? [`  account:      ${c.account}`] : []),
        ].join('\n'),
      );
    });

  connect
    .command('remove <ref>')
    .description('revoke (where the provider allows) and delete a connection')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const result = unwrap(await cli.call<{ connection: ConnectionView; revoked: string }>('connections.remove', { ref }));
      out.data(result);
      const revoked = result.revoked === 'revoked' ? ' (revoked at the provider)' : result.revoked === 'failed' ? ' (the provider did not confirm revocation; revoke it in its settings)' : '';
      out.line(`removed ${result.connection.service}:${result.connection.label} (${result.connection.id})${revoked}`);
    });
}
