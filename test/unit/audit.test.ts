import { describe, it, expect, afterEach } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AuditLog, IsoTimestamps, type AuditEvent } from '../../main/core/index.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

let home: TempHome;
afterEach(async () => home?.dispose());

async function freshLog(count: number) {
  home = await tempHome();
  const file = join(home.dir, 'audit.jsonl');
  const headFile = join(home.dir, 'audit.head');
  const key = randomBytes(32);
  let t = Date.parse('2026-01-01T00:00:00Z');
  const log = await AuditLog.open({ file, headFile, key, clock: { now: () => (t += 1000) } });
  for (let i = 0; i < count; i++) log.append({ actor: 'cli', action: 'credential.read', connection: `c-${i}` });
  log.flush();
  const reopen = () => AuditLog.open({ file, headFile, key, clock: { now: () => Date.now() } });
  return { log, file, reopen };
}

async function editLines(file: string, edit: (lines: string[]) => string[]): Promise<void> {
  const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
  await writeFile(file, `${edit(lines).join('\n')}\n`);
}

describe('audit trail', () => {
  it('chains lines and verifies an untouched trail, across reopen', async () => {
    const { log, reopen } = await freshLog(5);
    await log.dispose();
    const again = await reopen();
    again.append({ actor: 'host', action: 'credential.write', connection: 'c-5' });
    const result = await again.verify();
    expect(result).toEqual({ ok: true, lines: 6, problems: [] });
    expect((await again.read({ limit: 2 })).entries.map((e) => e.seq)).toEqual([6, 5]);
    await again.dispose();
  });

  it('finds an edited line', async () => {
    const { log, file } = await freshLog(5);
    await editLines(file, (l) => l.map((line, i) => (i === 2 ? line.replace('c-2', 'c-9') : line)));
    expect((await log.verify()).problems).toEqual([expect.objectContaining({ line: 3, problem: expect.stringMatching(/edited/) })]);
    await log.dispose();
  });

  it('finds reordered lines', async () => {
    const { log, file } = await freshLog(5);
    await editLines(file, (l) => [l[0]!, l[2]!, l[1]!, l[3]!, l[4]!]);
    const result = await log.verify();
    expect(result.ok).toBe(false);
    expect(result.problems.some((p) => /order|missing/.test(p.problem))).toBe(true);
    await log.dispose();
  });

  it('finds a deleted line in the middle and lines cut from the end', async () => {
    const { log, file } = await freshLog(5);
    await editLines(file, (l) => l.filter((_, i) => i !== 1));
    expect((await log.verify()).problems[0]?.problem).toMatch(/missing/);
    await log.dispose();

    const second = await freshLog(5);
    await editLines(second.file, (l) => l.slice(0, 4));
    expect((await second.log.verify()).problems[0]?.problem).toMatch(/cut from the end/);
    await second.log.dispose();
  });

  it('a line re-signed without the key does not verify', async () => {
    const { log, file } = await freshLog(3);
    await editLines(file, (l) => l.map((line, i) => (i === 1 ? line.replace(/"mac":"[a-f0-9]{64}"/, `"mac":"${'a'.repeat(64)}"`) : line)));
    expect((await log.verify()).ok).toBe(false);
    await log.dispose();
  });

  it('appendSoon: chained in call order with append, written in one go, visible to read and verify', async () => {
    const { log, file, reopen } = await freshLog(1);
    log.appendSoon({ actor: 'skill', action: 'broker.call', skill: 's', detail: { status: 200 } });
    log.appendSoon({ actor: 'skill', action: 'broker.call', skill: 's', connection: undefined, detail: { status: 403 } });
    log.append({ actor: 'cli', action: 'broker.revoke' });
    log.appendSoon({ actor: 'skill', action: 'broker.call', skill: 's', detail: { status: 401 } });
    expect((await log.read()).entries.map((e) => [e.seq, e.action, e.detail?.['status']])).toEqual([
      [5, 'broker.call', 401],
      [4, 'broker.revoke', undefined],
      [3, 'broker.call', 403],
      [2, 'broker.call', 200],
      [1, 'credential.read', undefined],
    ]);
    expect(await log.verify()).toEqual({ ok: true, lines: 5, problems: [] });
    log.appendSoon({ actor: 'skill', action: 'broker.call', skill: 's' });
    await log.dispose();
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[2]).not.toContain('connection');
    const again = await reopen();
    expect((await again.verify()).ok).toBe(true);
    await again.dispose();
  });

  it('writes each line as the JSON of {seq, ts, ...event, prev, mac}, whatever the strings hold', async () => {
    const { log, file } = await freshLog(0);
    const strings = ['plain', '', 'quote " and \\ backslash', 'tab\tnew\nline\u0000\u001f\u007f', 'é ü 漢字 😀', 'lone \ud800 surrogate', '\u2028\u2029'];
    const events: AuditEvent[] = [
      { actor: 'skill', action: 'broker.call', skill: 's', tool: undefined, detail: { status: 200, ms: 1.5, ok: true, nan: Number.NaN } },
      { actor: 'cli', action: 'nothing else' },
      ...strings.map((text): AuditEvent => ({ actor: 'skill', action: text, reason: text, detail: { [text]: text } })),
    ];
    events.forEach((event, i) => (i % 2 === 0 ? log.appendSoon(event) : log.append(event)));
    log.flush();
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    let prev = '0'.repeat(64);
    lines.forEach((line, i) => {
      const { ts, mac, ...rest } = JSON.parse(line) as { ts: string; mac: string };
      expect(line).toBe(JSON.stringify({ seq: i + 1, ts, ...events[i], prev, mac }));
      expect(rest).toMatchObject({ prev });
      prev = mac;
    });
    expect((await log.verify()).ok).toBe(true);
    await log.dispose();
  });

  it('an event that cannot be serialised still leaves a line, and the batch and the chain stay whole', async () => {
    const { log } = await freshLog(1);
    log.appendSoon({ actor: 'skill', action: 'broker.call', detail: { status: 200 } });
    log.appendSoon({ actor: 'skill', action: 'broker.call', detail: { huge: 10n as unknown as number } });
    log.appendSoon({ actor: 'skill', action: 'broker.call', detail: { status: 201 } });
    expect((await log.read()).entries.map((e) => [e.seq, e.outcome, e.detail?.['status']])).toEqual([
      [4, undefined, 201],
      [3, 'error', undefined],
      [2, undefined, 200],
      [1, undefined, undefined],
    ]);
    expect((await log.verify()).ok).toBe(true);
    await log.dispose();
  });

  it('timestamps are those of Date#toISOString', () => {
    const stamps = new IsoTimestamps();
    const base = Date.parse('2026-03-04T05:06:07.000Z');
    for (const ms of [base, base + 1, base + 9, base + 10, base + 99, base + 100, base + 999, base + 1000, base + 1001, base - 1, 0, -1, -999, -1000, -1001, base + 0.5, base + 86_400_000 * 365 * 8000]) {
      expect(stamps.of(ms)).toBe(new Date(ms).toISOString());
    }
  });
});
