import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';

// Real processes against real servers on a shared 2-core machine: minutes, not seconds, under load.
vi.setConfig({ testTimeout: 300_000, hookTimeout: 180_000 });
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { startUpstream } from '../helpers/http-upstream.ts';
import { BACKENDS, TEST_USER, credentialsFor, startBackend, type BackendFixture, type BackendName } from '../helpers/backends.ts';
import { encodeName } from '../../main/core/vault/record-layout.ts';

// One suite, four backends: everything a person does with connections works the same
// whichever backend appsettings.json names, through the real CLI process and the official
// clients talking to each product's stand-in.
const KEY = 'sk-or-v1-CANARY0123456789abcdef';
const SECOND = 'sk-or-v1-SECOND0123456789abcdef';

let upstream: Awaited<ReturnType<typeof startUpstream>>;
beforeAll(async () => {
  upstream = await startUpstream((req, res) => {
    const ok = req.url === '/key' && (req.headers.authorization === `Bearer ${KEY}` || req.headers.authorization === `Bearer ${SECOND}`);
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(ok ? '{"data":{}}' : '{"error":"no"}');
  });
});
afterAll(async () => upstream?.dispose());

const exists = (file: string) => access(file).then(() => true, () => false);

async function writeSettings(home: string, credentials: Record<string, unknown>): Promise<void> {
  await mkdir(join(home, 'config'), { recursive: true, mode: 0o700 });
  await writeFile(join(home, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Credentials: credentials, Services: { openrouter: { baseUrl: upstream.url } } } }, null, 2));
}

function oneLineError(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^sophon: .+/);
  return lines[0] as string;
}

describe.each(BACKENDS)('%s', (name: BackendName) => {
  let home: TempHome;
  let backend: BackendFixture;
  let env: NodeJS.ProcessEnv;
  const remote = name !== 'Local';

  beforeAll(async () => {
    home = await tempHome(`sophon-${name}-`);
    backend = await startBackend(name, join(home.dir, 'backend'));
    env = { SOPHON_HOME: join(home.dir, 'sophon'), HOME: join(home.dir, 'home'), ...backend.env };
    await writeSettings(join(home.dir, 'sophon'), credentialsFor(name, backend));
  });
  afterAll(async () => {
    await backend?.dispose();
    await home?.dispose();
  });

  it('connect add / list / test / remove work; a remote backend holds one record per connection under the user prefix and vault.enc is not created', async () => {
    const add = await runCli(['connect', 'add', 'openrouter', '--label', 'personal'], { env, input: `${KEY}\n` });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const list = await runCli(['connect', 'list', '--json'], { env });
    expect(list.code, list.stderr).toBe(0);
    const connections = JSON.parse(list.stdout) as Array<{ id: string; service: string; label: string; state: string }>;
    expect(connections).toEqual([expect.objectContaining({ service: 'openrouter', label: 'personal', state: 'active' })]);
    const id = connections[0]!.id;

    const test = await runCli(['connect', 'test', 'openrouter:personal', '--json'], { env });
    expect(test.code, test.stderr).toBe(0);
    expect(JSON.parse(test.stdout).result).toMatchObject({ ok: true, status: 200 });
    expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${KEY}`);

    const status = await runCli(['connect', 'status', 'openrouter:personal'], { env });
    expect(status.stdout).toContain(`vault:        ${name}`);

    const vaultFile = join(env['SOPHON_HOME'] as string, 'config', 'vault.enc');
    if (remote) {
      expect(await exists(vaultFile)).toBe(false);
      const names = backend.storeNames();
      const mine = names.filter((n) => n === storeNameOf(name, `connection/${id}`));
      expect(names.length).toBeGreaterThan(0);
      // Every name is under this user's prefix, and the connection's metadata and credential share one record.
      const prefix = name === 'AzureKeyVault' ? `sophon-${TEST_USER}-` : `sophon/${TEST_USER}/`;
      for (const n of names) expect(n.toLowerCase().startsWith(prefix)).toBe(true);
      expect(mine).toHaveLength(1);
      const raw = remoteValue(backend, mine[0] as string);
      expect(raw).toContain(KEY);
      expect(raw).toContain('"connection/');
    } else {
      expect(await exists(vaultFile)).toBe(true);
    }

    const audit = await runCli(['audit', '--json'], { env });
    const reads = (JSON.parse(audit.stdout) as { entries: Array<{ action: string; detail?: { backend?: string } }> }).entries.filter((e) => e.action === 'credential.read');
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) expect(read.detail?.backend).toBe(name);
    expect(audit.stdout).not.toContain(KEY);

    const remove = await runCli(['connect', 'remove', id], { env });
    expect(remove.code, remove.stderr).toBe(0);
    expect(JSON.parse((await runCli(['connect', 'list', '--json'], { env })).stdout)).toEqual([]);
    if (remote) expect(backend.storeNames()).not.toContain(storeNameOf(name, `connection/${id}`));
    const verify = await runCli(['audit', 'verify', '--json'], { env });
    expect(verify.code, verify.stdout).toBe(0);
  });

  it('sophon doctor names the backend, who it authenticates as, and that it can read and write its prefix', async () => {
    const doctor = await runCli(['doctor', '--json'], { env });
    const checks = (JSON.parse(doctor.stdout) as { checks: Array<{ name: string; ok: boolean; detail: string }> }).checks;
    if (!remote) {
      expect(checks.map((c) => c.name)).toContain('vault');
      return;
    }
    const by = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(by['backend']?.detail).toContain(name);
    expect(by['identity']).toMatchObject({ ok: true });
    expect(by['identity']?.detail).toMatch({ HashiCorpVault: /oidc-alice/, AwsSecretsManager: /arn:aws:iam::123456789012:user\/alice/, AzureKeyVault: /app [0-9a-f-]{36}/ }[name]);
    expect(by['read']).toMatchObject({ ok: true });
    expect(by['write']).toMatchObject({ ok: true });
    expect(by['vault']).toBeUndefined();
  });

  it.skipIf(!remote)('a read-only identity gets one line naming the missing permission, and nothing is stored', async () => {
    const readOnly = { ...env, ...backend.readOnlyEnv() };
    const before = backend.storeNames();
    const add = await runCli(['connect', 'add', 'openrouter', '--label', 'denied'], { env: readOnly, input: `${SECOND}\n` });
    expect(add.code).not.toBe(0);
    const line = oneLineError(add.stderr);
    expect(line).toMatch({ HashiCorpVault: /denied create\/update on secret\/data\/sophon\/.*path "secret\/data\/sophon\/[^/]+\/\*" \{ capabilities = \["create", "read", "update"\] \}.*nothing was saved$/, AwsSecretsManager: /denied secretsmanager:CreateSecret to arn:aws:iam::123456789012:user\/alice-readonly .*"secretsmanager:CreateSecret" on arn:aws:secretsmanager:eu-west-1:123456789012:secret:sophon\/.*nothing was saved$/, AzureKeyVault: /RBAC denied Microsoft\.KeyVault\/vaults\/secrets\/setSecret\/action .*"Key Vault Secrets Officer".*nothing was saved$/ }[name as Exclude<BackendName, 'Local'>]);
    expect(add.stderr).not.toContain(SECOND);
    expect(backend.storeNames()).toEqual(before);
    const doctor = JSON.parse((await runCli(['doctor', '--json'], { env: readOnly })).stdout) as { checks: Array<{ name: string; ok: boolean; detail: string }> };
    const by = Object.fromEntries(doctor.checks.map((c) => [c.name, c]));
    expect(by['read']).toMatchObject({ ok: true });
    expect(by['write']?.ok).toBe(false);
  });

  it('a missing or wrong settings field is one line naming the field, and nothing stored is lost', async () => {
    const file = join(env['SOPHON_HOME'] as string, 'config', 'appsettings.json');
    const good = await readFile(file, 'utf8');
    try {
      const bad = JSON.parse(good) as { Sophon: { Credentials: Record<string, unknown> } };
      if (remote) {
        const section = { ...(bad.Sophon.Credentials[name] as Record<string, unknown>) };
        const field = { HashiCorpVault: 'Address', AwsSecretsManager: 'Region', AzureKeyVault: 'VaultUri' }[name as Exclude<BackendName, 'Local'>];
        delete section[field];
        bad.Sophon.Credentials[name] = { ...section, Misspelt: true };
        await writeFile(file, JSON.stringify(bad));
        const list = await runCli(['connect', 'list'], { env });
        expect(list.code).not.toBe(0);
        const line = oneLineError(list.stderr);
        expect(line).toContain(`Sophon.Credentials.${name}.${field}: missing`);
        expect(line).toContain('Misspelt');
      } else {
        bad.Sophon.Credentials['Vault'] = 'Vaultwarden';
        await writeFile(file, JSON.stringify(bad));
        const list = await runCli(['connect', 'list'], { env });
        expect(oneLineError(list.stderr)).toContain('Sophon.Credentials.Vault: "Vaultwarden" is not a vault backend');
      }
    } finally {
      await writeFile(file, good);
    }
    expect((await runCli(['connect', 'list', '--json'], { env })).code).toBe(0);
  });
});

/** What the store calls a record (the stand-ins keep names as the product would). */
function storeNameOf(backend: BackendName, recordKey: string): string {
  if (backend === 'AzureKeyVault') return `sophon-${TEST_USER}-${encodeName(recordKey, 'azure')}`;
  return `sophon/${TEST_USER}/${encodeName(recordKey, backend === 'AwsSecretsManager' ? 'aws' : 'path')}`;
}

function remoteValue(backend: BackendFixture, storeName: string): string {
  if (backend.kv2) return JSON.stringify(backend.kv2.current(storeName));
  if (backend.aws) return backend.aws.current(storeName) ?? '';
  if (backend.azure) return backend.azure.current(storeName) ?? '';
  return '';
}
