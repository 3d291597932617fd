import type { Command } from 'commander';
import { basename } from 'node:path';
import { SophonError, headlessProtectors, prepareVaultRestore, resolveHome, type RestorePlan, type VaultCopySummary } from '../../core/index.ts';
import { confirmPrompt, hasTerminal, passphrasePrompt } from '../../api/terminal-prompt.ts';
import { CliExit, output, type Out } from '../output.ts';
import type { CliContext } from '../context.ts';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function describeCopy(copy: VaultCopySummary): string {
  const name = basename(copy.file);
  if (copy.state === 'missing') return `${name}: not there`;
  const when = copy.modifiedAt ? `, written ${copy.modifiedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}` : '';
  const holds = copy.connections.length > 0 ? `: ${plural(copy.connections.length, 'connection')} (${copy.connections.join(', ')})` : copy.state === 'intact' ? ': no connections' : '';
  return `${name}: ${copy.state === 'intact' ? 'intact' : `DAMAGED (${copy.problem})`}${when}${holds}`;
}

function printPlan(out: Out, plan: RestorePlan): void {
  out.line(describeCopy(plan.current));
  out.line(describeCopy(plan.backup));
  if (plan.current.state === 'intact') out.line('The current vault is intact: restoring is only needed to undo its last change.');
  if (plan.lost.length > 0 || plan.unknownLoss) out.line('Restoring the backup loses:');
  for (const item of plan.lost) out.line(`  - ${item}`);
  if (plan.unknownLoss) {
    out.line(
      plan.current.segments > 0
        ? `  - whatever the ${plural(plan.current.unreadableSegments, 'unreadable segment')} of vault.enc held that the backup does not (cannot be read any more)`
        : '  - whatever vault.enc held beyond the backup (none of it can be read any more)',
    );
  }
  if (plan.lost.length === 0 && !plan.unknownLoss) out.line('Restoring the backup loses nothing that can still be read.');
  if (plan.returns.length > 0) {
    out.line('It brings back what was removed since:');
    for (const item of plan.returns) out.line(`  - ${item}`);
  }
  if (plan.current.state !== 'missing') out.line('vault.enc is not deleted: it is kept beside it as vault.enc.replaced-<time>.');
  out.line('The audit trail records the restore (`sophon audit` shows it as vault.restore).');
}

export function registerVaultRestore(vault: Command, cli: CliContext): void {
  vault
    .command('restore')
    .description('put config/vault.enc.bak (the previous good copy) in place of a damaged vault.enc, after saying what it holds and what would be lost')
    .option('--yes', 'replace without asking (for scripts; what is lost is still printed)')
    .option('--json', 'print JSON: the plan and the outcome')
    .action(async (opts: { yes?: boolean; json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const terminal = hasTerminal();
      const restore = await prepareVaultRestore({
        home: resolveHome(cli.env),
        protectors: headlessProtectors({ env: cli.env, ...(terminal ? { prompt: passphrasePrompt } : {}) }),
      }).catch((error: unknown) => {
        if (error instanceof SophonError && error.code === 'VAULT_OWNED') {
          throw new SophonError('VAULT_OWNED', `${error.message.replace(/ — .*$/, '')} — stop it first (it holds the vault in memory and would write it back), then run \`sophon vault restore\` again`);
        }
        throw error;
      });
      try {
        const { plan } = restore;
        printPlan(out, plan);
        if (!opts.yes) {
          if (!terminal) throw new SophonError('INVALID_INPUT', 'restoring replaces vault.enc and there is no terminal to ask — read what is lost above, then run `sophon vault restore --yes`');
          if (!(await confirmPrompt('Replace vault.enc with the backup? [y/N] '))) {
            out.data({ ok: false, plan, restored: false });
            throw new CliExit(1, 'nothing was changed');
          }
        }
        const result = await restore.apply();
        out.data({ ok: true, plan, restored: true, ...result });
        out.line(`restored vault.enc from the backup: it opens and holds ${plural(result.connections, 'connection')}${result.keptAs ? `; the replaced vault is kept as ${result.keptAs}` : ''}`);
      } finally {
        await restore.dispose();
      }
    });
}
