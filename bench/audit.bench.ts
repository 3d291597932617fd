// Issue 11: the audit trail opens and verifies in memory that does not grow with its size.
// Writes trails of 64 MiB, 256 MiB and 1.1 GiB (proxy-call lines, as the broker writes them),
// then opens, pages and verifies each in a fresh process, printing time and RSS.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditLog, type AnchorPosition } from '../main/core/index.ts';

const runner = fileURLToPath(new URL('../bin/tsx-run.js', import.meta.url));
const measure = fileURLToPath(new URL('./audit/measure.ts', import.meta.url));

async function trailBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) if (name.endsWith('.jsonl')) total += (await stat(join(dir, name))).size;
  return total;
}

/** Appends broker.call lines until the trail holds `bytes`, the way the proxy does (appendSoon, batched). */
async function grow(dir: string, key: Buffer, bytes: number, anchor: { value?: AnchorPosition }): Promise<void> {
  const log = await AuditLog.open({
    file: join(dir, 'audit.jsonl'),
    headFile: join(dir, 'audit.head'),
    key,
    clock: { now: () => Date.now() },
    anchor: { recorded: anchor.value, record: async (p) => void (anchor.value = p) },
  });
  let written = await trailBytes(dir);
  let n = 0;
  while (written < bytes) {
    for (let i = 0; i < 2000; i++, n++) {
      log.appendSoon({
        actor: 'skill',
        action: 'broker.call',
        skill: 'bench-skill',
        tool: 'list-issues',
        connection: 'c0ffee00-1234-4abc-8def-0123456789ab',
        service: 'github',
        outcome: 'ok',
        detail: { method: 'GET', host: 'api.github.com', path: `/repos/acme/widgets/issues?page=${n % 50}`, status: 200, bytesIn: 0, bytesOut: 18_342, ms: 41.7, token: 'btk_0123456789abcdef' },
      });
    }
    log.flush();
    written = await trailBytes(dir);
  }
  await log.dispose();
}

function child(dir: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [runner, measure, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    proc.on('error', reject);
    proc.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`measure exited with ${code}`))));
  });
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sophon-bench-audit-'));
  const key = randomBytes(32);
  const anchor: { value?: AnchorPosition } = {};
  try {
    console.log('trail size | segments | lines | open | RSS after open | first page (100) | verify | RSS after verify | peak RSS | ok');
    for (const target of [64 * 2 ** 20, 256 * 2 ** 20, 1.1 * 2 ** 30]) {
      await grow(dir, key, target, anchor);
      await writeFile(join(dir, 'bench-key.json'), JSON.stringify({ key: key.toString('base64'), anchor: anchor.value }));
      const size = await trailBytes(dir);
      const segments = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).length;
      const f = await child(dir);
      console.log(
        `${(size / 2 ** 20).toFixed(0)} MiB | ${segments} | ${String(f['verifiedLines'])} | ${String(f['openMs'])} ms | ${String(f['rssAfterOpenMiB'])} MiB (before ${String(f['rssBeforeMiB'])}) | ${String(f['firstPageMs'])} ms | ${String(f['verifyMs'])} ms | ${String(f['rssAfterVerifyMiB'])} MiB | ${String(f['peakRssMiB'])} MiB | ${String(f['ok'])}`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
