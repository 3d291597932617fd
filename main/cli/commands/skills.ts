import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { SophonError } from '../../core/base.ts';
import type { SkillView } from '../../api/contract.ts';
import { output, table, unwrap } from '../output.ts';
import type { CliContext } from '../context.ts';

function describeCredentials(skill: SkillView): string {
  return skill.grants
    .map((c) => {
      const methods = c.methods.includes('*') ? '' : c.methods.join(',');
      const paths = c.paths.includes('/') ? '' : c.paths.join(' ');
      const limits = [methods, paths].filter(Boolean).join(' ');
      return limits ? `${c.ref} (${limits})` : c.ref;
    })
    .join(', ');
}

function grantLines(skill: SkillView): string[] {
  return [
    ...skill.grants.map((c) => `  ${c.ref}: ${c.methods.includes('*') ? 'any method' : c.methods.join(', ')}; ${c.paths.includes('/') ? 'any path' : c.paths.join(' ')}`),
    `  tools: ${skill.tools === null ? 'any' : skill.tools.join(', ')}`,
  ];
}

const STATUS_TEXT: Record<SkillView['status'], string> = { approved: 'approved', pending: 'NEEDS APPROVAL', changed: 'CHANGED: approve again', invalid: 'INVALID' };

export function registerSkills(program: Command, cli: CliContext): void {
  const skills = program.command('skills').description('skill manifests: which connections an agent skill may use through the broker');

  skills
    .command('list')
    .description('list skills and whether they are approved')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const list = unwrap(await cli.call<SkillView[]>('skills.list', {}));
      out.data(list);
      if (list.length === 0) out.line('no skills yet — add one with `sophon skills add <manifest.json>`');
      else out.line(table([['ID', 'NAME', 'STATUS', 'CREDENTIALS'], ...list.map((s) => [s.id, s.name ?? '', STATUS_TEXT[s.status], s.status === 'invalid' ? (s.problem ?? '') : describeCredentials(s)])]));
      for (const s of list.filter((x) => x.status === 'changed')) out.line(`${s.id} now also asks for: ${(s.excess ?? []).join('; ')}`);
    });

  skills
    .command('add <manifest>')
    .description('validate a skill manifest (JSON) and copy it to $SOPHON_HOME/skills/; approve it next')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new SophonError('INVALID_INPUT', `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}) — check the path`);
      }
      let manifest: unknown;
      try {
        manifest = JSON.parse(text);
      } catch (error) {
        throw new SophonError('INVALID_INPUT', `${file} is not valid JSON (${(error as Error).message}) — fix the manifest`);
      }
      const skill = unwrap(await cli.call<SkillView>('skills.add', { manifest }));
      out.data(skill);
      out.line(`added skill ${skill.id} (${STATUS_TEXT[skill.status]}); it asks for:`);
      out.line(grantLines(skill).join('\n'));
      if (skill.status !== 'approved') out.line(`approve it with \`sophon skills approve ${skill.id}\``);
    });

  skills
    .command('approve <id>')
    .description('approve exactly what the skill\'s manifest asks for now')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const skill = unwrap(await cli.call<SkillView>('skills.approve', { id }));
      out.data(skill);
      out.line(`approved skill ${skill.id}; it may use:`);
      out.line(grantLines(skill).join('\n'));
    });

  skills
    .command('revoke <id>')
    .description('withdraw a skill\'s approval and end its live broker tokens (the manifest stays)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const result = unwrap(await cli.call<{ skill: SkillView; revoked: number }>('skills.revoke', { id }));
      out.data(result);
      out.line(`revoked approval of ${result.skill.id}; ${result.revoked} live token(s) ended`);
    });

  skills
    .command('remove <id>')
    .description('delete a skill\'s manifest and approval, and end its live broker tokens')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const result = unwrap(await cli.call<{ skill: SkillView; revoked: number }>('skills.remove', { id }));
      out.data(result);
      out.line(`removed skill ${result.skill.id}; ${result.revoked} live token(s) ended`);
    });
}
