import { describe, it, expect, afterAll } from 'vitest';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

const runner = fileURLToPath(new URL('../../bin/tsx-run.js', import.meta.url));
const racer = fileURLToPath(new URL('../fixtures/lock-racer.ts', import.meta.url));
const RACERS = 6;
const ROUNDS = Number(process.env['SOPHON_LOCK_ROUNDS'] ?? 400);

let home: TempHome;
const children: ChildProcessWithoutNullStreams[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await home?.dispose();
});

interface Racer {
  send(line: string): Promise<string>;
}

function startRacer(lockFile: string, dir: string): Promise<Racer> {
  const child = spawn(process.execPath, [runner, racer, lockFile, dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let buffer = '';
  let waiting: ((line: string) => void) | undefined;
  const lines: string[] = [];
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buffer += d;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w(line);
      } else lines.push(line);
    }
  });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const queued = lines.shift();
      if (queued !== undefined) return resolve(queued);
      waiting = resolve;
      child.once('exit', (code) => reject(new Error(`racer exited with ${code}: ${err}`)));
    });
  return next().then((ready) => {
    expect(ready).toBe('ready');
    return {
      send(line: string) {
        child.stdin.write(`${line}\n`);
        return next();
      },
    };
  });
}

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('owner lock under a race of real processes', () => {
  it(`${RACERS} processes × ${ROUNDS} rounds, half on a stale lock of a dead owner: never two owners at once`, async () => {
    home = await tempHome();
    const runDir = join(home.dir, 'run');
    const lockFile = join(runDir, 'owner.lock');
    await rm(runDir, { recursive: true, force: true });
    await mkdir(runDir, { recursive: true });
    const racers = await Promise.all(Array.from({ length: RACERS }, () => startRacer(lockFile, home.dir)));
    const dead = deadPid();
    const stats = { stale: { rounds: 0, double: 0, none: 0 }, fresh: { rounds: 0, double: 0, none: 0 } };
    for (let round = 0; round < ROUNDS; round++) {
      const stale = round % 2 === 0;
      if (stale) {
        // What an owner killed with SIGKILL leaves: a lock naming a dead process (as older versions wrote it, too).
        for (const name of await readdir(runDir)) await rm(join(runDir, name), { force: true });
        await writeFile(lockFile, JSON.stringify({ pid: dead, owner: 'sophon serve', hostname: hostname(), startedAt: new Date().toISOString(), token: `dead${round}` }));
      }
      const startAt = Date.now() + 120;
      const answers = await Promise.all(racers.map((r) => r.send(`${round} ${startAt} 10`)));
      const won = answers.filter((a) => a.includes(' won '));
      const most = Math.max(0, ...won.map((a) => Number(a.split(' ')[2])));
      const bucket = stale ? stats.stale : stats.fresh;
      bucket.rounds++;
      if (most > 1) bucket.double++;
      if (won.length === 0) bucket.none++;
    }
    console.log(`owner lock race: ${JSON.stringify(stats)}`);
    expect(stats.stale.double + stats.fresh.double, JSON.stringify(stats)).toBe(0);
    expect(stats.stale.none + stats.fresh.none, JSON.stringify(stats)).toBe(0);
  }, 600_000);
});
