import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { AuditActor, AuditLog } from '../audit/audit-log.ts';
import { describeIssues } from '../catalog/schema.ts';
import { SophonError } from '../errors.ts';
import { atomicWrite } from '../fs-atomic.ts';
import type { Clock } from '../ports.ts';
import type { ICredentialVault } from '../vault/types.ts';
import { Grant, SkillId, SkillManifest, grantExcess, grantHash, grantOf } from './skill-manifest.ts';

export const SkillApproval = z.object({
  skill: z.string(),
  grantHash: z.string().regex(/^[a-f0-9]{64}$/),
  grant: Grant,
  approvedAt: z.string(),
  approvedBy: z.string(),
});
export type SkillApproval = z.infer<typeof SkillApproval>;

/**
 * approved: the approval covers what the manifest asks for.
 * pending: never approved. changed: the manifest now asks for more than was approved.
 * invalid: the file does not parse; `problem` says where.
 */
export type SkillStatus = 'approved' | 'pending' | 'changed' | 'invalid';

export interface SkillRecord {
  readonly id: string;
  readonly file: string;
  readonly status: SkillStatus;
  readonly manifest?: SkillManifest;
  readonly grant?: Grant;
  readonly approval?: SkillApproval;
  readonly problem?: string;
  /** What the manifest asks for beyond the approval (status "changed"). */
  readonly excess?: readonly string[];
}

export interface SkillContext {
  readonly actor: AuditActor;
}

const MAX_MANIFEST_BYTES = 256 * 1024;
export const approvalKey = (id: string) => `skill-approval/${id}`;

/** Parses a manifest's JSON text; problems read "credentials.1: …". */
export function parseSkillManifest(json: unknown): { ok: true; manifest: SkillManifest } | { ok: false; message: string } {
  const parsed = SkillManifest.safeParse(json);
  return parsed.success ? { ok: true, manifest: parsed.data } : { ok: false, message: describeIssues(parsed.error) };
}

/**
 * Skill manifests live in skills/*.json (added by `sophon skills add`, or dropped there);
 * approvals live in the vault, so a process that can write files cannot approve itself.
 * The folder is read on every call: it is small, and a dropped file shows up at once.
 */
export class SkillRegistry {
  constructor(
    private readonly dir: string,
    private readonly vault: ICredentialVault,
    private readonly audit: AuditLog,
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  async list(): Promise<SkillRecord[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const records: SkillRecord[] = [];
    const seen = new Set<string>();
    for (const name of names) {
      const file = join(this.dir, name);
      const record = await this.load(file, name.slice(0, -'.json'.length));
      if (record.status !== 'invalid' && seen.has(record.id)) {
        records.push({ id: record.id, file, status: 'invalid', problem: `id: "${record.id}" is used by another file in skills/; rename or remove one` });
        continue;
      }
      seen.add(record.id);
      records.push(record);
    }
    return records;
  }

  async get(id: string): Promise<SkillRecord> {
    const all = await this.list();
    const found = all.find((r) => r.id === id && r.status !== 'invalid') ?? all.find((r) => r.id === id);
    if (!found) throw new SophonError('SKILL_NOT_FOUND', `no skill "${id}" — add its manifest with \`sophon skills add <manifest.json>\`, or see \`sophon skills list\``);
    return found;
  }

  /** Validates a manifest and copies it to skills/<id>.json (0600). It still needs approval. */
  async add(json: unknown, ctx: SkillContext): Promise<SkillRecord> {
    const parsed = parseSkillManifest(json);
    if (!parsed.ok) throw new SophonError('INVALID_INPUT', `the skill manifest is not valid (${parsed.message}) — fix it and add it again`);
    const { manifest } = parsed;
    const others = (await this.list()).filter((r) => r.id === manifest.id && !r.file.endsWith(`/${manifest.id}.json`) && !r.file.endsWith(`\\${manifest.id}.json`));
    if (others.length > 0) throw new SophonError('INVALID_INPUT', `skill id "${manifest.id}" is already used by ${others[0]?.file} — remove that file or change the id`);
    await atomicWrite(join(this.dir, `${manifest.id}.json`), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    const record = await this.get(manifest.id);
    this.audit.append({ actor: ctx.actor, action: 'skill.add', skill: manifest.id, outcome: 'ok', detail: { status: record.status } });
    return record;
  }

  /** Records exactly what the manifest asks for now as approved. */
  async approve(id: string, ctx: SkillContext): Promise<SkillRecord> {
    const record = await this.get(id);
    if (record.status === 'invalid' || !record.grant) {
      throw new SophonError('INVALID_INPUT', `skill "${id}" cannot be approved: ${record.file}: ${record.problem ?? 'invalid'} — fix the manifest first`);
    }
    const approval: SkillApproval = {
      skill: id,
      grantHash: grantHash(record.grant),
      grant: record.grant,
      approvedAt: new Date(this.clock.now()).toISOString(),
      approvedBy: ctx.actor,
    };
    await this.vault.put(approvalKey(id), approval);
    this.audit.append({ actor: ctx.actor, action: 'skill.approve', skill: id, outcome: 'ok', detail: { grant: approval.grantHash.slice(0, 16), credentials: record.grant.credentials.map((c) => c.ref).join(',') } });
    return this.get(id);
  }

  /** Withdraws the approval; the manifest stays (status "pending"). */
  async revoke(id: string, ctx: SkillContext): Promise<SkillRecord> {
    const record = await this.get(id);
    const had = await this.vault.delete(approvalKey(id));
    this.audit.append({ actor: ctx.actor, action: 'skill.revoke', skill: id, outcome: 'ok', detail: { hadApproval: had } });
    return had ? this.get(id) : record;
  }

  /** Deletes the manifest file and the approval. */
  async remove(id: string, ctx: SkillContext): Promise<SkillRecord> {
    const record = await this.get(id);
    await this.vault.delete(approvalKey(id));
    await unlink(record.file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    this.audit.append({ actor: ctx.actor, action: 'skill.remove', skill: id, outcome: 'ok' });
    return record;
  }

  /** The grant a token may be minted under, or a refusal that says what to do. */
  async requireApproved(id: string): Promise<{ manifest: SkillManifest; grant: Grant }> {
    const record = await this.get(id);
    switch (record.status) {
      case 'approved':
        return { manifest: record.manifest as SkillManifest, grant: record.grant as Grant };
      case 'pending':
        throw new SophonError('SKILL_NOT_APPROVED', `skill "${id}" is not approved — review it with \`sophon skills list\` and run \`sophon skills approve ${id}\``);
      case 'changed':
        throw new SophonError('SKILL_NOT_APPROVED', `skill "${id}" now asks for more than was approved (${(record.excess ?? []).join('; ')}) — review it and run \`sophon skills approve ${id}\` again`);
      case 'invalid':
        throw new SophonError('SKILL_NOT_APPROVED', `skill "${id}" has an invalid manifest (${record.problem ?? 'unreadable'}) — fix ${record.file}`);
    }
  }

  private async load(file: string, fallbackId: string): Promise<SkillRecord> {
    const invalid = (problem: string): SkillRecord => ({ id: SkillId.safeParse(fallbackId).success ? fallbackId : fallbackId.slice(0, 64), file, status: 'invalid', problem });
    try {
      const info = await stat(file);
      if (!info.isFile()) return invalid('not a regular file');
      if (info.size > MAX_MANIFEST_BYTES) return invalid(`larger than ${MAX_MANIFEST_BYTES / 1024} KB`);
    } catch (error) {
      return invalid((error as Error).message);
    }
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      return invalid(`not valid JSON (${(error as Error).message})`);
    }
    const parsed = parseSkillManifest(json);
    if (!parsed.ok) return invalid(parsed.message);
    const manifest = parsed.manifest;
    const grant = grantOf(manifest);
    const stored = await this.vault.get(approvalKey(manifest.id));
    const approval = stored === undefined ? undefined : SkillApproval.safeParse(stored);
    const base = { id: manifest.id, file, manifest, grant };
    if (!approval || !approval.success) return { ...base, status: 'pending' };
    if (approval.data.grantHash === grantHash(grant)) return { ...base, status: 'approved', approval: approval.data };
    const excess = grantExcess(approval.data.grant, grant);
    return excess.length === 0 ? { ...base, status: 'approved', approval: approval.data } : { ...base, status: 'changed', approval: approval.data, excess };
  }
}
