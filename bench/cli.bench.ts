// Issue 10: how fast `sophon` answers, as a person runs it (a new process each time).
//   floor:    `node -e 0`, the cost of starting Node at all
//   --help:   `sophon --help`                           target ≤ 3× the floor
//   owner:    `sophon connect list` with `sophon serve` running        target ≤ 4× the floor
//   one-shot: `sophon connect list` with no owner, a passphrase vault  target ≤ the KDF + 3× the floor
//   KDF:      scrypt N=2^17, r=8, p=1 alone, in a process of its own (what the one-shot must pay)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SCRYPT } from '../main/core/index.ts';

const BIN = fileURLToPath(new URL('../bin/sophon.js', import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function time(args: readonly string[], env: NodeJS.ProcessEnv, input = ''): number {
  const t0 = performance.now();
  const result = spawnSync(args[0]!, args.slice(1), { env: { PATH: process.env['PATH'], ...env }, input, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

const ROUNDS = 11;

const KDF_SCRIPT = `const { scryptSync } = require('node:crypto'); const t = performance.now(); scryptSync('a passphrase', Buffer.alloc(16), 32, { N: ${DEFAULT_SCRYPT.N}, r: ${DEFAULT_SCRYPT.r}, p: ${DEFAULT_SCRYPT.p}, maxmem: 256 * 1024 * 1024 }); process.stdout.write(String(performance.now() - t));`;

export async function run(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'sophon-bench-cli-'));
  const env = { SOPHON_HOME: home, HOME: home, SOPHON_VAULT_PASSPHRASE: 'bench passphrase' };
  try {
    const node = process.execPath;
    // The vault and five connections, made once (this also builds the CLI if a source changed).
    for (let i = 0; i < 5; i++) time([node, BIN, 'connect', 'add', 'openrouter', '--label', `bench-${i}`], env, `sk-or-v1-bench${i}0123456789abcdef`);

    // The owner runs in a home of its own; the one-shot uses the first (no owner there).
    const served = await mkdtemp(join(tmpdir(), 'sophon-bench-cli-serve-'));
    const servedEnv = { SOPHON_HOME: served, HOME: served, SOPHON_VAULT_PASSPHRASE: 'bench passphrase' };
    for (let i = 0; i < 5; i++) time([node, BIN, 'connect', 'add', 'openrouter', '--label', `bench-${i}`], servedEnv, `sk-or-v1-bench${i}0123456789abcdef`);
    const serve = spawn(node, [BIN, 'serve'], { env: { PATH: process.env['PATH'], ...servedEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let text = '';
      serve.stderr.setEncoding('utf8').on('data', (d: string) => {
        text += d;
        if (text.includes('listening on')) resolve();
      });
      serve.once('exit', (code) => reject(new Error(`sophon serve exited ${code}: ${text}`)));
    });
    // Round-robin, so that every figure sees the same load (the machine is shared).
    const samples = { floor: [] as number[], help: [] as number[], owner: [] as number[], kdf: [] as number[], oneShot: [] as number[] };
    try {
      time([node, BIN, 'connect', 'list'], { SOPHON_HOME: served, HOME: served });
      for (let round = 0; round < ROUNDS; round++) {
        samples.floor.push(time([node, '-e', '0'], {}));
        samples.help.push(time([node, BIN, '--help'], {}));
        samples.owner.push(time([node, BIN, 'connect', 'list'], { SOPHON_HOME: served, HOME: served }));
        samples.kdf.push(Number(spawnSync(node, ['-e', KDF_SCRIPT], { encoding: 'utf8' }).stdout));
        samples.oneShot.push(time([node, BIN, 'connect', 'list'], env));
      }
    } finally {
      serve.kill('SIGTERM');
      await new Promise((resolve) => serve.once('exit', resolve));
      await rm(served, { recursive: true, force: true });
    }
    const floor = median(samples.floor);
    const help = median(samples.help);
    const owner = median(samples.owner);
    const kdf = median(samples.kdf);
    const oneShot = median(samples.oneShot);

    const row = (name: string, ms: number, target: string) => console.log(`${name.padEnd(44)} ${ms.toFixed(0).padStart(5)} ms  ${(ms / floor).toFixed(2).padStart(5)}× floor  ${target}`);
    console.log(`median of ${ROUNDS} rounds, one new process each, round-robin, on ${process.platform} ${process.arch}, Node ${process.versions.node}`);
    row('node -e 0 (floor)', floor, '');
    row('sophon --help', help, `target ≤ 3× floor (${(3 * floor).toFixed(0)} ms)`);
    row('sophon connect list, through sophon serve', owner, `target ≤ 4× floor (${(4 * floor).toFixed(0)} ms)`);
    row('scrypt N=2^17 r=8 p=1 alone (the KDF)', kdf, '');
    row('sophon connect list, one-shot, passphrase vault', oneShot, `target ≤ KDF + 3× floor (${(kdf + 3 * floor).toFixed(0)} ms); above the KDF: ${(oneShot - kdf).toFixed(0)} ms = ${((oneShot - kdf) / floor).toFixed(2)}× floor`);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
