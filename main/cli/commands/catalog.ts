import type { Command } from 'commander';
import { Catalog, loadSettings, resolveHome, sophonPaths, type AuthMethod, type ServiceDefinition } from '../../core/index.ts';
import { serviceSummary } from '../../api/views.ts';
import { output, table } from '../output.ts';
import type { CliContext } from '../context.ts';

/** Without the vault, only a published or configured client id is known (not one added with `connect configure`). */
const knownClient = (_service: ServiceDefinition, method: AuthMethod) => (method.type === 'oauth2' || method.type === 'device') && method.defaultClientId !== undefined;

/**
 * Reads the built-in services and $SOPHON_HOME/connectors/ straight from disk: no vault,
 * no passphrase, and a connector file that does not validate is listed with its error.
 */
export function registerCatalog(program: Command, cli: CliContext): void {
  program
    .command('catalog')
    .description('list the services Sophon can connect (built-in and custom connectors, invalid ones with their error); needs no vault')
    .option('--json', 'print JSON: {services, invalid}')
    .action(async (opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const paths = sophonPaths(resolveHome(cli.env));
      const settings = await loadSettings(paths.settingsFile);
      const catalog = await Catalog.load({ connectorsDir: paths.connectorsDir, settings });
      const services = catalog.list().map((s) => serviceSummary(s, catalog, knownClient));
      const invalid = catalog.problems.map((p) => ({ file: p.file, message: p.message }));
      out.data({ services, invalid });
      out.line(table([['ID', 'NAME', 'CATEGORY', 'AUTH'], ...services.map((s) => [s.id, s.name + (s.custom ? ' (custom)' : ''), s.category, s.auth.map((m) => m.type).join(', ')])]));
      if (invalid.length > 0) {
        out.line('');
        out.line(`INVALID (not loaded; fix or remove the file):`);
        for (const p of invalid) out.line(`  ${p.file}: ${p.message}`);
        cli.setExitCode(1);
      }
    });
}
