import { describe, it, expect, afterEach } from 'vitest';
import { cp, readFile, readdir, rm, writeFile, appendFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AuditLog, type AnchorPosition, type AuditAnchor } from '../../main/core/index.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

let home: TempHome;
afterEach(async () => home?.dispose());

/** The vault's part, in memory: what a record() stored is what the next open reads. */
function memoryAnchor() {
  let stored: AnchorPosition | undefined;
  return {
    port: (): AuditAnchor => ({ recorded: stored, record: async (p) => void (stored = p) }),
    get: () => stored,
    set: (p: AnchorPosition | undefined) => void (stored = p),
  };
}

async function setUp(options: { segmentBytes?: number } = {}) {
  home = await tempHome();
  const dir = join(home.dir, 'audit');
  const file = join(dir, 'audit.jsonl');
  const headFile = join(dir, 'audit.head');
  const key = randomBytes(32);
  const anchor = memoryAnchor();
  const open = (withAnchor = true) => AuditLog.open({ file, headFile, key, clock: { now: () => Date.now() }, ...(withAnchor ? { anchor: anchor.port() } : {}), ...options });
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dir, { recursive: true });
  const write = async (count: number, withAnchor = true) => {
    const log = await open(withAnchor);
    for (let i = 0; i < count; i++) log.append({ actor: 'cli', action: 'credential.read', connection: `c-${i}`, detail: { pad: 'x'.repeat(100) } });
    await log.dispose();
  };
  const verify = async (withAnchor = true) => {
    const log = await open(withAnchor);
    const result = await log.verify();
    await log.dispose();
    return result;
  };
  const lines = async () => (await readFile(file, 'utf8')).split('\n').filter(Boolean);
  return { dir, file, headFile, anchor, open, write, verify, lines };
}

describe('audit trail: cutting and rolling back are never forgotten', () => {
  it('lines cut from the end stay found after later commands write to the trail', async () => {
    const t = await setUp();
    await t.write(10);
    await writeFile(t.file, `${(await t.lines()).slice(0, 7).join('\n')}\n`);
    for (let round = 0; round < 3; round++) {
      await t.write(2);
      const result = await t.verify();
      expect(result.ok, `round ${round}`).toBe(false);
      expect(result.problems.map((p) => p.problem).join('\n')).toMatch(/line\(s\) 8\.\.10 missing|cut from the end/);
    }
  });

  it('the same without the vault anchor (the head alone): the cut is recorded in the trail itself', async () => {
    const t = await setUp();
    await t.write(10, false);
    await writeFile(t.file, `${(await t.lines()).slice(0, 7).join('\n')}\n`);
    await t.write(1, false);
    await t.write(1, false);
    const result = await t.verify(false);
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.problem).join('\n')).toMatch(/3 line\(s\) were cut from the end/);
  });

  it('a deleted audit.head is a finding, and stays one', async () => {
    const t = await setUp();
    await t.write(5, false);
    await rm(t.headFile);
    await t.write(1, false);
    await t.write(1, false);
    const result = await t.verify(false);
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.problem).join('\n')).toMatch(/audit\.head was missing/);
  });

  it('an edited audit.head is a finding', async () => {
    const t = await setUp();
    await t.write(5, false);
    const head = JSON.parse(await readFile(t.headFile, 'utf8')) as { seq: number };
    await writeFile(t.headFile, JSON.stringify({ ...head, seq: 3 }));
    const result = await t.verify(false);
    expect(result.problems.map((p) => p.problem).join('\n')).toMatch(/audit\.head was edited or damaged/);
  });

  it('the trail and its head rolled back together are found by the anchor in the vault', async () => {
    const t = await setUp();
    await t.write(5);
    const copy = join(home.dir, 'copy');
    await cp(t.dir, copy, { recursive: true });
    await t.write(5);
    expect(t.anchor.get()?.seq).toBe(10);
    await rm(t.dir, { recursive: true });
    await cp(copy, t.dir, { recursive: true });
    const result = await t.verify();
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.problem).join('\n')).toMatch(/5 line\(s\) were cut from the end/);
    await t.write(1);
    expect((await t.verify()).ok).toBe(false);
  });

  it('an older copy of the vault (its anchor behind what the trail saw) is found', async () => {
    const t = await setUp();
    await t.write(3);
    const old = t.anchor.get();
    await t.write(3);
    t.anchor.set(old);
    const result = await t.verify();
    expect(result.problems.map((p) => p.problem).join('\n')).toMatch(/vault\.enc is older than the audit trail knows/);
  });

  it('a torn last line (a crash in the middle of a write) is cut, not reported', async () => {
    const t = await setUp();
    await t.write(3);
    await appendFile(t.file, '{"seq":4,"ts":"2026-01-01T00:00:00.000Z","actor":"cli","act');
    await t.write(1);
    expect(await t.verify()).toEqual({ ok: true, lines: 4, problems: [] });
  });
});

describe('audit trail in segments', () => {
  it('rotates into sealed segments, reads newest first across them, verifies as one chain', async () => {
    const t = await setUp({ segmentBytes: 4096 });
    await t.write(100);
    const sealed = (await readdir(t.dir)).filter((n) => /^audit\.\d{12}\.jsonl$/.test(n));
    expect(sealed.length).toBeGreaterThan(5);
    expect(await t.verify()).toEqual({ ok: true, lines: 100, problems: [] });
    const log = await t.open();
    const page = await log.read({ limit: 30, offset: 10 });
    expect(page.entries.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => 90 - i));
    expect(page.total).toBe(100);
    const filtered = await log.read({ connection: 'c-5', limit: 1000 });
    expect(filtered.entries.map((e) => e.seq)).toEqual([6]);
    expect(filtered).toMatchObject({ total: 1, complete: true });
    await log.dispose();
  });

  it('a deleted segment in the middle is found', async () => {
    const t = await setUp({ segmentBytes: 4096 });
    await t.write(100);
    const sealed = (await readdir(t.dir)).filter((n) => /^audit\.\d{12}\.jsonl$/.test(n)).sort();
    await rm(join(t.dir, sealed[2] as string));
    const result = await t.verify();
    expect(result.ok).toBe(false);
    expect(result.problems[0]?.problem).toMatch(/missing \(deleted\)/);
  });
});
