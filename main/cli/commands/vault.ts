import type { Command } from 'commander';
import { BACKEND_TITLES, SophonError, VAULT_BACKENDS, VaultBackendName, headlessProtectors, migrateVaultAudited, resolveHome, sophonPaths } from '../../core/index.ts';
import { output } from '../output.ts';
import { passphrasePrompt } from '../prompt.ts';
import type { CliContext } from '../context.ts';

/** `sophon vault migrate --to <backend>` (`parent` is the `vault` group): runs without an owner (it takes the vault lock itself). */
export function registerVault(parent: Command, cli: CliContext): void {
  parent
    .command('migrate')
    .description(`copy every record to another backend, verify it, then switch appsettings.json to it (${VAULT_BACKENDS.join(' | ')})`)
    .requiredOption('--to <backend>', `the backend to move to: ${VAULT_BACKENDS.join(', ')}`)
    .option('--json', 'print JSON, one object per step')
    .action(async (opts: { to: string; json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const to = VaultBackendName.safeParse(opts.to);
      if (!to.success) throw new SophonError('INVALID_INPUT', `--to ${opts.to}: ${to.error.issues[0]?.message ?? 'not a backend'}`);
      const paths = sophonPaths(resolveHome(cli.env));
      const result = await migrateVaultAudited({
        paths,
        to: to.data,
        env: cli.env,
        protectors: headlessProtectors({ env: cli.env, ...(process.stdin.isTTY ? { prompt: passphrasePrompt } : {}) }),
        onStep: (step, detail) => {
          out.data({ step, detail });
          out.line(`${step.padEnd(8)} ${detail}`);
        },
      });
      out.data({ ok: true, ...result });
      out.line(
        `moved ${result.connections} connection(s) (${result.keys} records) from ${BACKEND_TITLES[result.from]} to ${BACKEND_TITLES[result.to]}; ` +
          `the old store still holds a copy (${result.oldStore}) — remove it once you are satisfied`,
      );
      if (result.notAudited) out.warn(`the audit trail could not record the migration (${result.notAudited}) — run \`sophon doctor\``);
    });
}
