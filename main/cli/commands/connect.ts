import type { Command } from 'commander';
import type { ConnectionView, TestResultView } from '../../api/contract.ts';
import { anchorWarning, formatExpiry, output, table, unwrap } from '../output.ts';
import { registerConnectAdd } from './connect-add.ts';
import type { CliContext } from '../context.ts';

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

  registerConnectAdd(connect, cli);

  connect
    .command('test <ref>')
    .description('call the service with the stored credential (ref: id, service, or service:label)')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const { connection, result } = unwrap(await cli.call<{ connection: ConnectionView; result: TestResultView }>('connections.test', { ref }));
      out.data({ connection, result });
      if (result.parts) {
        out.line(`${result.ok ? 'ok' : 'FAILED'}: ${connection.service}:${connection.label} (${result.durationMs} ms)`);
        for (const part of result.parts) out.line(`  ${part.ok ? 'ok    ' : 'FAILED'} ${part.message}`);
        if (connection.state === 'needs_reauth') out.line(`  now needs re-auth — give it a new password with \`sophon connect reauth ${connection.service}:${connection.label}\``);
      } else out.line(`${result.live === false && result.ok ? 'not checked' : result.ok ? 'ok' : 'FAILED'}: ${connection.service}:${connection.label} — ${result.message} (${result.durationMs} ms)`);
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
          `  last test:    ${c.lastTest ? `${c.lastTest.live === false && c.lastTest.ok ? 'not checked live' : c.lastTest.ok ? 'ok' : 'failed'} at ${c.lastTest.at} — ${c.lastTest.message}` : 'never'}`,
          ...(c.account ? [`  account:      ${c.account}`] : []),
          ...(c.vault ? [`  vault:        ${c.vault.backend}${c.vault.cachedForSeconds !== undefined ? ` — served from the cache, ${c.vault.cachedForSeconds} s old (the store answered: ${c.vault.reason ?? 'an error'})` : ''}`] : []),
          ...(c.vault?.anchorFailure ? [`  warning:      ${anchorWarning(c.vault.anchorFailure)}`] : []),
        ].join('\n'),
      );
    });

  connect
    .command('remove <ref>')
    .description('revoke (where the provider allows) and delete a connection')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const result = unwrap(await cli.call<{ connection: ConnectionView; revoked: string; revocationNote?: string }>('connections.remove', { ref }));
      out.data(result);
      const revoked = result.revoked === 'revoked' ? ' (revoked at the provider)' : result.revoked === 'failed' ? ' (the provider did not confirm the revocation)' : '';
      out.line(`removed ${result.connection.service}:${result.connection.label} (${result.connection.id})${revoked}`);
      if (result.revocationNote) out.warn(result.revocationNote);
    });
}
