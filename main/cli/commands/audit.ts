import type { Command } from 'commander';
import type { AuditEntryView } from '../../api/contract.ts';
import { output, parseSince, unwrap } from '../output.ts';
import type { CliContext } from '../context.ts';

export function registerAudit(program: Command, cli: CliContext): void {
  const audit = program
    .command('audit')
    .description('show the audit trail of credential access (newest first)')
    .option('--since <when>', 'only entries since, e.g. 1h, 30m, 2d, or an ISO time')
    .option('--skill <id>', 'only entries of this skill')
    .option('--connection <id>', 'only entries of this connection')
    .option('--limit <n>', 'at most this many entries', '100')
    .option('--json', 'print JSON')
    .action(async (opts: { since?: string; skill?: string; connection?: string; limit: string; json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const limit = Math.max(1, Math.min(1000, Number.parseInt(opts.limit, 10) || 100));
      const page = unwrap(
        await cli.call<{ entries: AuditEntryView[]; total: number }>('audit.list', {
          ...(opts.since ? { since: parseSince(opts.since) } : {}),
          ...(opts.skill ? { skill: opts.skill } : {}),
          ...(opts.connection ? { connection: opts.connection } : {}),
          limit,
        }),
      );
      out.data(page);
      for (const e of page.entries) {
        const who = e.skill ? `${e.actor}:${e.skill}${e.tool ? `/${e.tool}` : ''}` : e.actor;
        const what = [e.connection, e.outcome && e.outcome !== 'ok' ? e.outcome : undefined, e.reason].filter(Boolean).join(' ');
        const detail = e.detail ? ` ${Object.entries(e.detail).map(([k, v]) => `${k}=${String(v)}`).join(' ')}` : '';
        out.line(`${e.ts}  #${e.seq}  ${who}  ${e.action}  ${what}${detail}`);
      }
      if (page.entries.length === 0) out.line('no audit entries match');
    });

  audit
    .command('verify')
    .description('check the hash chain: finds edited, reordered and deleted lines')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const json = Boolean(opts.json ?? (command.parent?.opts() as { json?: boolean }).json);
      const out = output(json);
      const result = unwrap(await cli.call<{ ok: boolean; lines: number; problems: Array<{ line: number; problem: string }> }>('audit.verify', {}));
      out.data(result);
      if (result.ok) out.line(`audit trail intact: ${result.lines} line(s), chain verified`);
      else {
        for (const p of result.problems) out.line(`line ${p.line}: ${p.problem}`);
        process.stderr.write(`sophon: the audit trail was tampered with (${result.problems.length} problem(s)) — keep a copy of audit/audit.jsonl for investigation\n`);
        cli.setExitCode(1);
      }
    });
}
