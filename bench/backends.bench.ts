// Issue 14: per vault backend, what one read and one write cost against its stand-in
// (the official client, its signing/auth and its TLS included; the stand-in's own work is
// a map lookup). A benchmark, not a test: nothing here fails on timing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CredentialsSettings, openVault, sophonPaths, ensureDirs, type ICredentialVault, type SharedVault } from '../main/core/index.ts';
import { fastPassphrase } from '../test/helpers/protectors.ts';
import { BACKENDS, credentialsFor, startBackend, useProcessEnv } from '../test/helpers/backends.ts';

const READS = 40;
const WRITES = 20;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
const fmt = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;

function secret(i: number) {
  return { type: 'oauth', accessToken: `at-${i}-${'x'.repeat(1200)}`, refreshToken: `rt-${i}-${'y'.repeat(60)}`, expiresAt: Date.now() + 3_600_000 };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function run(): Promise<void> {
  console.log(`backend | open (20 connections) | read p50 / p90 (${READS}, each from the store) | write p50 / p90 (${WRITES}: metadata + credential, one record) | ~requests per read / write`);
  for (const name of BACKENDS) {
    const dir = await mkdtemp(join(tmpdir(), `sophon-bench-${name}-`));
    const backend = await startBackend(name, join(dir, 'backend'));
    const restore = useProcessEnv(backend.env);
    const paths = sophonPaths(join(dir, 'home'));
    let vault: ICredentialVault | undefined;
    try {
      await ensureDirs(paths);
      const credentials = CredentialsSettings.parse(credentialsFor(name, backend));
      const open = () => openVault({ paths, credentials, protectors: fastPassphrase(), env: { ...process.env, ...backend.env } });
      vault = await open();
      for (let i = 0; i < 20; i++) {
        await vault.batch([
          { type: 'put', key: `secret/bench-${i}`, value: secret(i) },
          { type: 'put', key: `connection/bench-${i}`, value: { id: `bench-${i}`, service: 'bench', label: `n${i}`, state: 'active' } },
        ]);
      }
      await vault.dispose();
      const openMs = await timed(async () => (vault = await open()));
      const v = vault as ICredentialVault;
      const shared = 'forget' in v ? (v as SharedVault) : undefined;
      const counted = () => requestCount(backend);
      const reads: number[] = [];
      const r0 = counted();
      for (let i = 0; i < READS; i++) {
        shared?.forget(`secret/bench-${i % 20}`);
        reads.push(await timed(() => v.get(`secret/bench-${i % 20}`)));
      }
      const perRead = (counted() - r0) / READS;
      const writes: number[] = [];
      const w0 = counted();
      for (let i = 0; i < WRITES; i++) {
        writes.push(
          await timed(() =>
            v.batch([
              { type: 'put', key: `secret/bench-${i % 20}`, value: secret(i + 100) },
              { type: 'put', key: `connection/bench-${i % 20}`, value: { id: `bench-${i % 20}`, service: 'bench', label: `n${i % 20}`, state: 'active', lastRefreshAt: new Date().toISOString() } },
            ]),
          ),
        );
      }
      const perWrite = (counted() - w0) / WRITES;
      console.log(`${name.padEnd(17)} | ${fmt(openMs).padStart(9)} | ${fmt(quantile(reads, 0.5))} / ${fmt(quantile(reads, 0.9))} | ${fmt(quantile(writes, 0.5))} / ${fmt(quantile(writes, 0.9))} | ${name === 'Local' ? 'file' : `${perRead.toFixed(1)} / ${perWrite.toFixed(1)}`}`);
    } finally {
      await vault?.dispose().catch(() => undefined);
      restore();
      await backend.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  }
  console.log('(read: a secret fetched from the store, not the 2 s read-sharing window; write: a versioned write of one connection record — KV v2 cas, Secrets Manager PutSecretValue + UpdateSecretVersionStage, Key Vault check of version and lease + set)');
}

function requestCount(backend: Awaited<ReturnType<typeof startBackend>>): number {
  if (backend.kv2) return backend.kv2.counters.reads + backend.kv2.counters.writes + backend.kv2.counters.lists + backend.kv2.counters.deletes + backend.kv2.counters.casConflicts;
  if (backend.aws) return backend.aws.counters.requests;
  if (backend.azure) return Object.values(backend.azure.counters.byOperation).reduce((a, b) => a + b, 0) + backend.azure.counters.challenges;
  return 0;
}
