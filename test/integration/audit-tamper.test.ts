import { describe, it, expect, afterEach } from 'vitest';
import { copyFile, cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

const KEY = 'sk-or-v1-AUDITTAMPER0123456789abcdef';
let home: TempHome;
afterEach(async () => home?.dispose());

async function setUp() {
  home = await tempHome();
  const env = { SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'a long test passphrase', HOME: home.dir };
  const add = async (label: string) => expect((await runCli(['connect', 'add', 'openrouter', '--label', label], { env, input: KEY })).code).toBe(0);
  const verify = async () => {
    const result = await runCli(['audit', 'verify', '--json'], { env });
    return { code: result.code, report: JSON.parse(result.stdout) as { ok: boolean; problems: Array<{ problem: string }> } };
  };
  const trail = join(home.dir, 'audit', 'audit.jsonl');
  const cutLast = async (n: number) => {
    const lines = (await readFile(trail, 'utf8')).split('\n').filter(Boolean);
    await writeFile(trail, `${lines.slice(0, -n).join('\n')}\n`);
  };
  return { env, add, verify, cutLast, audit: join(home.dir, 'audit'), trail };
}

describe('audit trail tampering, through the CLI as a person would meet it', () => {
  it('lines cut from the end are still reported after the next command wrote to the trail', async () => {
    const t = await setUp();
    await t.add('one');
    await t.add('two');
    await t.cutLast(1);
    expect((await t.verify()).code).toBe(1);
    await t.add('three');
    const later = await t.verify();
    expect(later.code).toBe(1);
    expect(later.report.problems.map((p) => p.problem).join('\n')).toMatch(/cut from the end|missing/);
  });

  it('the trail and audit.head rolled back together are found (the vault knows where the trail ended)', async () => {
    const t = await setUp();
    await t.add('one');
    const copy = join(home.dir, 'audit-copy');
    await cp(t.audit, copy, { recursive: true });
    await t.add('two');
    await t.add('three');
    await rm(t.audit, { recursive: true });
    await cp(copy, t.audit, { recursive: true });
    const result = await t.verify();
    expect(result.code).toBe(1);
    expect(result.report.problems.map((p) => p.problem).join('\n')).toMatch(/cut from the end/);
  });

  it('audit.head deleted together with the cut is found', async () => {
    const t = await setUp();
    await t.add('one');
    await t.add('two');
    await t.cutLast(2);
    await rm(join(t.audit, 'audit.head'));
    expect((await t.verify()).code).toBe(1);
    await t.add('three');
    expect((await t.verify()).code).toBe(1);
  });

  it('vault.enc put back to an older copy on its own is found', async () => {
    const t = await setUp();
    await t.add('one');
    const vault = join(home.dir, 'config', 'vault.enc');
    await copyFile(vault, join(home.dir, 'vault-old'));
    await t.add('two');
    await copyFile(join(home.dir, 'vault-old'), vault);
    const result = await t.verify();
    expect(result.code).toBe(1);
    expect(result.report.problems.map((p) => p.problem).join('\n')).toMatch(/vault\.enc is older than the audit trail knows/);
  });
});
