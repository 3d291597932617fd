// Issue 2: open a vault of 100, 1,000 and 10,000 connections, persist one change, and
// compare with writing + fsyncing a plain file of the same size.
import { mkdtemp, rm, open, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { LocalFileVault, PassphraseProtector, DEFAULT_SCRYPT, type KeyProtector, type ProtectorResolver } from '../main/core/index.ts';

/** Seals with a fixed in-memory key: isolates the vault's own cost from the protector's. */
function instantProtector(): ProtectorResolver {
  const kek = randomBytes(32);
  const protector: KeyProtector = {
    kind: 'keyring',
    strength: 'strong',
    describe: () => 'bench',
    seal: async (dataKey) => ({ kind: 'keyring', wrapped: Buffer.from(dataKey.map((b, i) => b ^ kek[i]!)).toString('base64') }),
    unseal: async (sealed) => Buffer.from(Buffer.from(String(sealed['wrapped']), 'base64').map((b, i) => b ^ kek[i]!)),
  };
  return { forNewVault: async () => protector, forExisting: async () => protector };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function writeAndFsync(path: string, size: number): Promise<number> {
  const data = randomBytes(size);
  const t0 = performance.now();
  const handle = await open(path, 'w', 0o600);
  await handle.writeFile(data);
  await handle.sync();
  await handle.close();
  return performance.now() - t0;
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'sophon-bench-vault-'));
  try {
    const protectors = instantProtector();
    console.log('connections | file size | open (median of 7) | one persisted change (median of 15) | write+fsync same size | ratio');
    for (const n of [100, 1_000, 10_000]) {
      const file = join(dir, `vault-${n}.enc`);
      const seed = await LocalFileVault.open({ file, backup: `${file}.bak`, protectors });
      const ops = [];
      for (let i = 0; i < n; i++) {
        const id = `openrouter-${i.toString(16).padStart(10, '0')}`;
        ops.push({ type: 'put' as const, key: `connection/${id}`, value: { id, service: 'openrouter', label: `account ${i}`, authMethod: 'api_key', state: 'active', scopes: [], createdAt: new Date().toISOString(), params: {} } });
        ops.push({ type: 'put' as const, key: `secret/${id}`, value: { type: 'api_key', key: `sk-or-v1-${randomBytes(24).toString('hex')}` } });
      }
      await seed.batch(ops);
      await seed.dispose();
      const size = (await stat(file)).size;

      const opens: number[] = [];
      let vault: LocalFileVault | undefined;
      for (let i = 0; i < 7; i++) {
        await vault?.dispose();
        const t0 = performance.now();
        vault = await LocalFileVault.open({ file, backup: `${file}.bak`, protectors });
        opens.push(performance.now() - t0);
      }
      const writes: number[] = [];
      for (let i = 0; i < 15; i++) {
        const t0 = performance.now();
        await vault!.put('connection/openrouter-0000000000', { id: 'openrouter-0000000000', label: `changed ${i}` });
        writes.push(performance.now() - t0);
      }
      await vault!.dispose();
      const plain: number[] = [];
      for (let i = 0; i < 15; i++) plain.push(await writeAndFsync(join(dir, 'plain.bin'), size));
      const ratio = median(writes) / median(plain);
      console.log(`${String(n).padStart(11)} | ${(size / 1024).toFixed(0).padStart(6)} KiB | ${median(opens).toFixed(2).padStart(8)} ms | ${median(writes).toFixed(2).padStart(8)} ms | ${median(plain).toFixed(2).padStart(8)} ms | ${ratio.toFixed(2)}×`);
    }
    console.log('targets: open 10,000 ≤ 50 ms; one persisted change ≤ 2× write+fsync of the same size');

    const t0 = performance.now();
    const pp = new PassphraseProtector(async () => 'bench passphrase', DEFAULT_SCRYPT);
    const sealed = await pp.seal(randomBytes(32), { vaultId: 'a'.repeat(32) });
    const t1 = performance.now();
    await pp.unseal(sealed, { vaultId: 'a'.repeat(32) });
    console.log(`passphrase protector (scrypt N=2^17, r=8, p=1): seal ${(t1 - t0).toFixed(0)} ms, unseal ${(performance.now() - t1).toFixed(0)} ms — paid once per open, on top of the figures above`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
