// Child of the audit bench: opens an existing trail, reads a page and verifies it, and
// prints the time and memory (RSS) of each step as JSON. Run in its own process so the
// figures are this process's alone.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AuditLog, type AnchorPosition } from '../../main/core/index.ts';

const [dir] = process.argv.slice(2);
if (!dir) throw new Error('usage: measure <audit dir>');
const { key, anchor } = JSON.parse(await readFile(join(dir, 'bench-key.json'), 'utf8')) as { key: string; anchor?: AnchorPosition };
const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const rss = () => mib(process.memoryUsage().rss);
const figures: Record<string, number | boolean | string> = { rssBeforeMiB: rss() };
let t = performance.now();
const log = await AuditLog.open({
  file: join(dir, 'audit.jsonl'),
  headFile: join(dir, 'audit.head'),
  key: Buffer.from(key, 'base64'),
  clock: { now: () => Date.now() },
  anchor: { recorded: anchor, record: async () => undefined },
});
figures['openMs'] = Math.round(performance.now() - t);
figures['rssAfterOpenMiB'] = rss();
t = performance.now();
const page = await log.read({ limit: 100 });
figures['firstPageMs'] = Math.round(performance.now() - t);
figures['total'] = page.total;
t = performance.now();
const result = await log.verify();
figures['verifyMs'] = Math.round(performance.now() - t);
figures['verifiedLines'] = result.lines;
figures['ok'] = result.ok;
figures['rssAfterVerifyMiB'] = rss();
figures['peakRssMiB'] = mib(process.resourceUsage().maxRSS * 1024);
process.stdout.write(`${JSON.stringify(figures)}\n`);
