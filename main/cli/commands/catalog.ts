import type { Command } from 'commander';
import { Catalog, loadSettings, resolveHome, sophonPaths, type AuthMethod, type ServiceDefinition } from '../../core/index.ts';
import { serviceSummary } from '../../api/views.ts';
import { output, table } from '../output.ts';
import type { CliContext } from '../context.ts';

/**
 * Without the vault, only a client id published in the definition or set in appsettings.json
 * is known; one stored with `connect configure` (in the vault) is not seen here.
 */
const knownClient = (_service: ServiceDefinition, method: AuthMethod) => (method.type === 'oauth2' || method.type === 'device') && method.defaultClientId !== undefined;

/**
 * Reads the built-in services and $SOPHON_HOME/connectors/ straight from disk: no vault,
 * no passphrase, and a connector file that does not validate is listed with its error.
 */
export function registerCatalog(program: Command, cli: CliContext): void {
  program
    .command('catalog')
    .description('list the services Sophon can connect (built-in and custom connectors, invalid ones with their error); needs no vault')
    .option('--json', 'print JSON (the services; invalid connector files are named on stderr)')
    .action(async (opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const paths = sophonPaths(resolveHome(cli.env));
      const settings = await loadSettings(paths.settingsFile);
      const catalog = await Catalog.load({ connectorsDir: paths.connectorsDir, settings });
      const services = catalog.list().map((s) => serviceSummary(s, catalog, knownClient));
      const invalid = catalog.problems.map((p) => ({ file: p.file, message: p.message }));
      out.data(services);
      out.line(table([['ID', 'NAME', 'CATEGORY', 'AUTH'], ...services.map((s) => [s.id, s.name + (s.custom ? ' (custom)' : ''), s.category, s.auth.map((m) => m.type).join(', ')])]));
      if (invalid.length > 0) {
        out.line('');
        out.line(`INVALID (not loaded; fix or remove the file):`);
        for (const p of invalid) out.line(`  ${p.file}: ${p.message}`);
        if (out.json) for (const p of invalid) process.stderr.write(`sophon: ${p.file} is not loaded: ${p.message} — fix or remove the file\n`);
        cli.setExitCode(1);
      }
    });
}
