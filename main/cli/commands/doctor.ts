import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import {
  Catalog,
  KeyringProtector,
  SophonError,
  checkPermissions,
  describeOwner,
  loadSettings,
  lockIsLive,
  parseVaultFile,
  readLock,
  resolveHome,
  sophonPaths,
  DEFAULT_SETTINGS,
} from '../../core/index.ts';
import type { VaultHealthView } from '../../api/contract.ts';
import { connectSocket } from '../../api/wire.ts';
import { vaultBackendChecks } from './doctor-backend.ts';
import { output } from '../output.ts';
import type { CliContext } from '../context.ts';

interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Checks what can be checked without opening the vault, so it works when opening fails. */
export function registerDoctor(program: Command, cli: CliContext): void {
  program
    .command('doctor')
    .description('check the vault, its protector, the keyring, permissions and the owner')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const paths = sophonPaths(resolveHome(cli.env));
      const checks: Check[] = [];

      let protector = 'none yet (a new vault is created on first use)';
      try {
        const bytes = await readFile(paths.vaultFile);
        const header = parseVaultFile(bytes).header;
        protector = header.protector.kind;
        checks.push({ name: 'vault', ok: true, detail: `${paths.vaultFile} (${bytes.length} bytes, sealed by ${protector})` });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') checks.push({ name: 'vault', ok: true, detail: `no vault yet at ${paths.vaultFile}` });
        else checks.push({ name: 'vault', ok: false, detail: error instanceof SophonError ? error.message : (error as Error).message });
      }

      const owner = await readLock(paths.lockFile);
      const live = owner && lockIsLive(owner);
      checks.push({ name: 'owner', ok: true, detail: live ? `open in ${describeOwner(owner)}` : owner ? `stale lock of pid ${owner.pid} (taken over on next open)` : 'no process holds the vault' });
      if (live) {
        const client = await connectSocket(paths.socketFile);
        if (client) {
          const health = await client.call<VaultHealthView>('vault.health', {});
          await client.close();
          if (health.ok) {
            const weak = health.data.strength === 'weak';
            checks.push({ name: 'protector', ok: !weak, detail: `${health.data.protectorDescription}${weak ? ' — WEAK: anyone who can read your files can read the vault' : ''}` });
          }
        } else checks.push({ name: 'socket', ok: false, detail: `${paths.socketFile} does not answer — the owner may be starting or stuck` });
      }

      const keyring = await KeyringProtector.probe();
      checks.push({ name: 'keyring', ok: keyring.ok || protector !== 'keyring', detail: keyring.ok ? 'the OS keyring answers' : `the OS keyring does not answer (${keyring.reason})${protector === 'keyring' ? ' — this vault needs it: start and unlock your Secret Service' : ''}` });
      if (protector === 'passphrase') checks.push({ name: 'protector', ok: true, detail: `passphrase (scrypt)${cli.env['SOPHON_VAULT_PASSPHRASE'] ? ', given by SOPHON_VAULT_PASSPHRASE' : ', asked at the terminal'}` });
      if (protector === 'safe-storage' && !live) checks.push({ name: 'protector', ok: true, detail: 'Electron safeStorage — only the desktop app can open this vault; start it (`npm start`)' });

      const problems = await checkPermissions(paths);
      checks.push({ name: 'permissions', ok: problems.length === 0, detail: problems.length === 0 ? 'data directories 0700, files 0600' : problems.map((p) => `${p.path} is ${p.mode} (expected ${p.expected}; run chmod ${p.expected} ${p.path})`).join('; ') });

      let settings = DEFAULT_SETTINGS;
      try {
        settings = await loadSettings(paths.settingsFile);
        checks.push({ name: 'settings', ok: true, detail: `${paths.settingsFile}` });
      } catch (error) {
        checks.push({ name: 'settings', ok: false, detail: (error as Error).message });
      }
      if (settings.Sophon.Credentials.Vault !== 'Local') {
        // A remote backend: vault.enc is not where the records are; say what the backend says instead.
        checks.splice(checks.findIndex((c) => c.name === 'vault'), 1);
        checks.push(...(await vaultBackendChecks(paths, settings, cli.env)));
      }
      const catalog = await Catalog.load({ connectorsDir: paths.connectorsDir, settings });
      checks.push({
        name: 'connectors',
        ok: catalog.problems.length === 0,
        detail: catalog.problems.length === 0 ? `${catalog.list().filter((s) => catalog.isCustom(s.id)).length} custom connector(s) valid` : catalog.problems.map((p) => `${p.file}: ${p.message}`).join('; '),
      });

      out.data({ ok: checks.every((c) => c.ok), home: paths.home, checks });
      for (const c of checks) out.line(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(12)} ${c.detail}`);
      if (!checks.every((c) => c.ok)) cli.setExitCode(1);
    });
}
