import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';

// Real processes against a real (stand-in) server on a shared 2-core machine: minutes, not seconds, under load.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 180_000 });
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openHostApi, type HostApi } from '../../main/api/host.ts';
import type { ConnectionView, VaultHealthView } from '../../main/api/contract.ts';
import { fastPassphrase } from '../helpers/protectors.ts';
import { runCli, startCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { startUpstream } from '../helpers/http-upstream.ts';
import { credentialsFor, startBackend, useProcessEnv, type BackendFixture } from '../helpers/backends.ts';
import { until } from '../helpers/cli-steps.ts';

// AWS Secrets Manager keeps every version of a secret younger than 24 hours and refuses a
// write past its quota of versions (LimitExceededException). Sophon writes its audit anchor
// at AWS's advised pace (once per 10 minutes at most), says which quota a refusal hit, and
// never keeps quiet about an anchor the store refused.
const KEY = 'sk-or-v1-QUOTA0123456789abcdef';

let home: TempHome;
let backend: BackendFixture;
let restoreEnv: () => void;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
const open: HostApi[] = [];
beforeAll(async () => {
  upstream = await startUpstream((req, res) => {
    const ok = req.url === '/key' && req.headers.authorization === `Bearer ${KEY}`;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(ok ? '{"data":{}}' : '{"error":"no"}');
  });
  home = await tempHome('sophon-awsq-');
  backend = await startBackend('AwsSecretsManager', join(home.dir, 'backend'));
  // The AWS client reads its credential chain from this process's environment.
  restoreEnv = useProcessEnv(backend.env);
});
afterAll(async () => {
  for (const api of open) await api.dispose();
  restoreEnv?.();
  await backend?.dispose();
  await upstream?.dispose();
  await home?.dispose();
});

async function settings(dir: string): Promise<void> {
  await mkdir(join(dir, 'config'), { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Credentials: credentialsFor('AwsSecretsManager', backend), Services: { openrouter: { baseUrl: upstream.url } }, Broker: { Enabled: false } } }));
}

async function machine(dir: string): Promise<HostApi> {
  await settings(dir);
  const api = await openHostApi({ home: dir, ownerName: 'test', protectors: fastPassphrase(), env: { ...process.env, ...backend.env }, scheduler: false });
  open.push(api);
  return api;
}

describe('AWS Secrets Manager: its write advice and its quota of versions', () => {
  it('anchors the audit trail at most every 10 minutes (AWS advises no more than one write per 10 minutes per secret)', async () => {
    const api = await machine(join(home.dir, 'pace'));
    const health = await api.dispatcher.call('vault.health', {}, { actor: 'cli' });
    expect(health.ok).toBe(true);
    expect((health as { data: VaultHealthView }).data.audit).toEqual({ anchorEveryMs: 10 * 60_000 });
  });

  it('a record past the quota of versions is refused in one line naming that quota, not the size, and nothing changes', async () => {
    const api = await machine(join(home.dir, 'versions'));
    const service = api.core.catalog.require('openrouter');
    const connection = await api.core.connections.prepare(service, 'rotated', 'api_key', {});
    await api.core.connections.store(connection, { type: 'api_key', key: `${KEY}-0` }, { actor: 'cli' });
    backend.aws!.limitVersions(3);
    try {
      let failure: unknown;
      for (let i = 1; i <= 10 && failure === undefined; i++) {
        await api.core.connections.store(connection, { type: 'api_key', key: `${KEY}-${i}` }, { actor: 'cli' }).catch((error: unknown) => (failure = error));
      }
      expect(failure).toMatchObject({ code: 'VAULT_QUOTA' });
      const message = (failure as Error).message;
      expect(message.split('\n')).toHaveLength(1);
      expect(message).toMatch(new RegExp(`^Secrets Manager keeps too many versions of sophon/[^/]+/\\S*${connection.id}\\S* \\(every version younger than 24 hours counts\\) — wait for older versions to age out, or find what writes it that often \\(\`sophon audit\`\\); nothing was saved$`));
      expect(message).not.toMatch(/65,536|bytes|too large/);
      expect(message).not.toContain(KEY);
    } finally {
      backend.aws!.limitVersions(100);
    }
  });

  it('an anchor the store refuses is a warning in `connect status` and `doctor` while the owner runs, and on stderr after a one-shot command', async () => {
    const dir = join(home.dir, 'anchor');
    await settings(dir);
    const env = { SOPHON_HOME: dir, HOME: join(home.dir, 'home'), ...backend.env };
    const add = await runCli(['connect', 'add', 'openrouter', '--label', 'anchored'], { env, input: `${KEY}\n` });
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr).not.toMatch(/warning/);

    // Every secret that has a version now refuses another: the anchor (written when the last command ended) among them.
    backend.aws!.limitVersions(1);
    try {
      const serve = startCli(['serve'], { env, ready: /listening on/ });
      try {
        await serve.ready;
        // A test reads the credential, which is audited: the first anchor write of this owner follows at once, and is refused.
        const test = await runCli(['connect', 'test', 'openrouter:anchored', '--json'], { env });
        expect(JSON.parse(test.stdout).result).toMatchObject({ ok: true, message: expect.stringContaining('not recorded') });
        const status = await until('the anchor warning in connect status', async () => {
          const shown = await runCli(['connect', 'status', 'openrouter:anchored'], { env });
          expect(shown.code, shown.stderr).toBe(0);
          return /warning:/.test(shown.stdout) ? shown.stdout : undefined;
        }, 60_000);
        expect(status).toMatch(/^ {2}warning: +the vault refused to record where the audit trail ends \((once|\d+ times) since \S+: Secrets Manager keeps too many versions of sophon\/\S+audit\S*anchor \(every version younger than 24 hours counts\) — wait for older versions to age out, or find what writes it that often \(`sophon audit`\); nothing was saved\) — audit lines since then are not protected against a rollback of the audit files until a write succeeds; it is tried again with the next lines$/m);
        const json = JSON.parse((await runCli(['connect', 'status', 'openrouter:anchored', '--json'], { env })).stdout) as ConnectionView;
        expect(json.vault?.anchorFailure).toMatchObject({ failures: expect.any(Number), message: expect.stringContaining('too many versions') });

        const doctor = await runCli(['doctor'], { env });
        expect(doctor.stdout).toMatch(/^WARN {2}audit {8}the vault refused to record where the audit trail ends .+too many versions/m);
        // A warning, not a failure: the vault works.
        expect(doctor.stdout).not.toMatch(/^FAIL/m);
      } finally {
        await serve.stop();
      }

      // No owner: the one-shot command's own last anchor write is refused, and it says so.
      const list = await runCli(['connect', 'test', 'openrouter:anchored'], { env });
      expect(list.code, list.stderr).toBe(0);
      expect(list.stderr.trim()).toMatch(/^sophon: warning: the vault refused to record where the audit trail ends \((once|\d+ times) since \S+: Secrets Manager keeps too many versions of .+\)/);
    } finally {
      backend.aws!.limitVersions(100);
    }
    // Once the store takes it again, the warning is gone.
    const again = await runCli(['connect', 'test', 'openrouter:anchored'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/warning/);
  });
});
