import type { Command } from 'commander';
import type { ServiceSummary } from '../../api/contract.ts';
import { output, table, unwrap } from '../output.ts';
import type { CliContext } from '../context.ts';

export function registerCatalog(program: Command, cli: CliContext): void {
  program
    .command('catalog')
    .description('list the services Sophon can connect (built-in and custom connectors)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const services = unwrap(await cli.call<ServiceSummary[]>('catalog.list', {}));
      out.data(services);
      out.line(table([['ID', 'NAME', 'CATEGORY', 'AUTH'], ...services.map((s) => [s.id, s.name + (s.custom ? ' (custom)' : ''), s.category, s.auth.map((m) => m.type).join(', ')])]));
    });
}
