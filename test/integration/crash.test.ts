import { describe, it, expect, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalFileVault } from '../../main/core/index.ts';
import { fastPassphrase } from '../helpers/protectors.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

const runner = fileURLToPath(new URL('../../bin/tsx-run.js', import.meta.url));
const writer = fileURLToPath(new URL('../fixtures/crash-writer.ts', import.meta.url));
let home: TempHome;
afterAll(async () => home?.dispose());

/** Runs the writer, kills it with SIGKILL after `afterMs` of writing, returns the acknowledged keys. */
function burstThenKill(file: string, afterMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runner, writer, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      const wasReady = out.includes('ready\n');
      out += d;
      if (!wasReady && out.includes('ready\n')) setTimeout(() => child.kill('SIGKILL'), afterMs);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`writer ended without being killed: ${err}`));
      const acked = out.split('\n').filter((l) => l.startsWith('ack ')).map((l) => l.slice(4));
      resolve(acked);
    });
  });
}

describe('crash safety', () => {
  it('after SIGKILL in the middle of a burst of writes, the vault opens and holds every acknowledged write', async () => {
    home = await tempHome();
    const file = join(home.dir, 'vault.enc');
    let total = 0;
    const rounds = 15;
    for (let round = 0; round < rounds; round++) {
      const acked = await burstThenKill(file, 20 + ((round * 37) % 150));
      total += acked.length;
      const vault = await LocalFileVault.open({ file, backup: `${file}.bak`, protectors: fastPassphrase() });
      for (const key of acked) {
        expect(vault.has(key), `acknowledged write ${key} lost in round ${round}`).toBe(true);
        expect(vault.has(`${key}/pair`), `half of a batch ${key} lost in round ${round}`).toBe(true);
      }
      for (const key of vault.list('k/')) if (!key.endsWith('/pair')) expect(vault.has(`${key}/pair`)).toBe(true);
      await vault.dispose();
      const backup = await LocalFileVault.open({ file: `${file}.bak`, backup: `${file}.bak2`, protectors: fastPassphrase() });
      await backup.dispose();
    }
    expect(total).toBeGreaterThan(rounds);
  }, 120_000);
});
