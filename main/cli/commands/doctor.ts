import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import {
  Catalog,
  KeyringProtector,
  SophonError,
  checkPermissions,
  checkVaultFiles,
  checkWritable,
  describeOwner,
  headlessProtectors,
  loadSettings,
  lockIsLive,
  peekSealedKey,
  readLock,
  resolveHome,
  sophonPaths,
  writeFix,
  DEFAULT_SETTINGS,
  type ProtectorKind,
  type SophonPaths,
  type VaultCopySummary,
} from '../../core/index.ts';
import type { VaultHealthView } from '../../api/contract.ts';
import { connectSocket } from '../../api/wire.ts';
import { vaultBackendChecks } from './doctor-backend.ts';
import { hasTerminal, hiddenPrompt } from '../../api/terminal-prompt.ts';
import { anchorWarning, output } from '../output.ts';
import type { CliContext } from '../context.ts';

/** `ok` and `FAIL` are verdicts; `WARN` works but needs looking at (the exit status stays 0); `info` is a true statement that needs nothing done. */
type Status = 'ok' | 'FAIL' | 'WARN' | 'info';

interface Check {
  readonly name: string;
  readonly status: Status;
  readonly detail: string;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
const everyText = (ms: number) => (ms % 60_000 === 0 ? plural(ms / 60_000, 'minute') : `${plural(Math.round(ms / 1000), 'second')}`);

function holds(copy: VaultCopySummary): string {
  return copy.connections.length === 0 ? 'no connections' : `${plural(copy.connections.length, 'connection')} (${copy.connections.join(', ')})`;
}

/** What the vault file's header says, without any key: which protector sealed it (the rest may still be damaged). */
async function sealedBy(paths: SophonPaths): Promise<{ kind?: ProtectorKind; problem?: string; missing: boolean }> {
  if (!existsSync(paths.vaultFile)) return { missing: true };
  const kind = (await peekSealedKey(paths.vaultFile))?.['kind'];
  return kind === 'passphrase' || kind === 'keyring' || kind === 'safe-storage' ? { kind, missing: false } : { problem: 'the header of vault.enc cannot be read', missing: false };
}

/**
 * Reads vault.enc and its backup with their key (the keyring, SOPHON_VAULT_PASSPHRASE, or a
 * passphrase typed here; Enter skips) to check their integrity, which no header can prove.
 */
async function vaultChecks(cli: CliContext, paths: SophonPaths, keyringUp: boolean): Promise<Check[]> {
  const skip = new SophonError('CANCELLED', 'skipped');
  const prompt = hasTerminal()
    ? async (request: { attempt?: number }) => {
        const typed = await hiddenPrompt(`Vault passphrase, to check vault.enc${(request.attempt ?? 1) > 1 ? ' (that one did not open it)' : ''} (Enter skips): `);
        if (typed === '') throw skip;
        return typed;
      }
    : undefined;
  const sealed = await sealedBy(paths);
  if (sealed.kind === 'keyring' && !keyringUp) {
    return [{ name: 'vault', status: 'FAIL', detail: `${paths.vaultFile} is sealed by the OS keyring, which does not answer, so it cannot be opened or checked — start and unlock your Secret Service (gnome-keyring, KWallet); a passphrase cannot open it` }];
  }
  if (sealed.kind === 'safe-storage') {
    return [{ name: 'vault', status: 'info', detail: `${paths.vaultFile} is sealed by the desktop app (Electron safeStorage): only it can open or check it — start it (\`npm start\`), then run \`sophon doctor\` again` }];
  }
  let files;
  try {
    files = await checkVaultFiles({ home: paths.home, protectors: headlessProtectors({ env: cli.env, ...(prompt ? { prompt } : {}) }) });
  } catch (error) {
    const known = error instanceof SophonError ? error : undefined;
    if (known === skip || known?.code === 'PASSPHRASE_REQUIRED') {
      return [{ name: 'vault', status: 'info', detail: `${paths.vaultFile}: integrity not checked (it needs the passphrase${prompt ? ', and none was typed' : ': set SOPHON_VAULT_PASSPHRASE or run `sophon doctor` in a terminal'})` }];
    }
    return [{ name: 'vault', status: 'FAIL', detail: `${paths.vaultFile}: ${known?.message ?? (error as Error).message}` }];
  }
  const { current, backup } = files;
  const restorable = backup.state === 'intact' ? `the backup is intact (${holds(backup)}): run \`sophon vault restore\`, which says what would be lost and asks first` : 'and there is no intact backup — keep the file, and restore it from your own backups';
  const checks: Check[] = [];
  if (current.state === 'missing') {
    checks.push(
      backup.state === 'missing'
        ? { name: 'vault', status: 'info', detail: `no vault yet at ${paths.vaultFile} (made on first use)` }
        : { name: 'vault', status: 'FAIL', detail: `${paths.vaultFile} is missing but its backup is there — ${backup.state === 'intact' ? `the backup is intact (${holds(backup)}): run \`sophon vault restore\`` : `the backup is damaged too (${backup.problem}); keep it, and restore from your own backups`}` },
    );
  } else if (current.state === 'damaged') {
    checks.push({ name: 'vault', status: 'FAIL', detail: `${paths.vaultFile} failed its integrity check (${current.problem}) — ${restorable}` });
  } else {
    checks.push({ name: 'vault', status: 'ok', detail: `${paths.vaultFile}: intact, ${holds(current)}` });
    if (backup.state === 'damaged') checks.push({ name: 'backup', status: 'info', detail: `${paths.vaultBackup} is damaged (${backup.problem}); the next change replaces it with a good copy` });
  }
  return checks;
}

function protectorLine(kind: ProtectorKind | undefined, env: NodeJS.ProcessEnv, keyringUp: boolean): Check {
  const variable = Boolean(env['SOPHON_VAULT_PASSPHRASE']);
  const terminal = hasTerminal();
  switch (kind) {
    case 'passphrase':
      return variable || terminal
        ? { name: 'protector', status: 'ok', detail: `passphrase (scrypt), ${variable ? 'given by SOPHON_VAULT_PASSPHRASE' : 'asked at the terminal'}` }
        : { name: 'protector', status: 'info', detail: 'passphrase (scrypt): here there is no terminal and no SOPHON_VAULT_PASSPHRASE, so a one-shot command cannot open it — set the variable, or start `sophon serve` from a terminal' };
    case 'keyring':
      return { name: 'protector', status: keyringUp ? 'ok' : 'FAIL', detail: keyringUp ? 'OS keyring' : 'OS keyring, which does not answer — start and unlock your Secret Service' };
    case 'safe-storage':
      return { name: 'protector', status: 'info', detail: 'Electron safeStorage — only the desktop app can open this vault; start it (`npm start`)' };
    case undefined:
      if (variable) return { name: 'protector', status: 'info', detail: 'a new vault will be sealed by the passphrase in SOPHON_VAULT_PASSPHRASE' };
      if (keyringUp) return { name: 'protector', status: 'info', detail: 'a new vault will be sealed by the OS keyring' };
      if (terminal) return { name: 'protector', status: 'info', detail: 'a new vault will be sealed by a passphrase asked at the terminal (the OS keyring does not answer)' };
      return { name: 'protector', status: 'FAIL', detail: 'nothing can seal a new vault here: the OS keyring does not answer, there is no terminal and SOPHON_VAULT_PASSPHRASE is not set — set it, or start your Secret Service' };
  }
}

export function registerDoctor(program: Command, cli: CliContext): void {
  program
    .command('doctor')
    .description('check the vault (integrity too), its protector, the keyring, permissions, the owner and connectors; every FAIL names its fix')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const out = output(Boolean(opts.json));
      const paths = sophonPaths(resolveHome(cli.env));
      const checks: Check[] = [];

      const unwritable = await checkWritable(paths);
      checks.push(
        unwritable.length === 0
          ? { name: 'home', status: 'ok', detail: `${paths.home} is writable` }
          : { name: 'home', status: 'FAIL', detail: unwritable.map((p) => writeFix(p.path, p.code)).join('; ') },
      );

      const lock = await readLock(paths.lockFile);
      const live = lock !== undefined && lockIsLive(lock);
      const keyringProbe = KeyringProtector.probe();
      let health: VaultHealthView | undefined;
      if (live) {
        const client = await connectSocket(paths.socketFile);
        if (client) {
          const answer = await client.call<VaultHealthView>('vault.health', {});
          await client.close();
          if (answer.ok) health = answer.data;
        }
        checks.push(
          health
            ? { name: 'owner', status: 'ok', detail: `open in ${describeOwner(lock)}, answering on ${paths.socketFile}` }
            : { name: 'owner', status: 'FAIL', detail: `${describeOwner(lock)} holds the vault but ${paths.socketFile} does not answer — it may be starting or stuck; stop it (kill ${lock.pid}) and start it again` },
        );
      } else {
        checks.push({ name: 'owner', status: 'info', detail: lock ? `a stale lock of pid ${lock.pid}, which is gone (the next command takes it over)` : 'no process holds the vault (commands open it themselves)' });
      }

      const keyring = await keyringProbe;
      const sealed = await sealedBy(paths);
      if (health) {
        // The owner has the vault open: it checked the file's integrity when it opened it.
        const weak = health.strength === 'weak';
        checks.push({ name: 'vault', status: 'ok', detail: `${health.path}: open in the owner, ${plural(health.records, 'record')}` });
        checks.push({ name: 'protector', status: weak ? 'FAIL' : 'ok', detail: `${health.protectorDescription}${weak ? ' — WEAK: anyone who can read your files can read the vault; start a keyring (gnome-keyring, KWallet) before the desktop app' : ''}` });
        const anchor = health.audit;
        if (anchor?.anchorFailure) checks.push({ name: 'audit', status: 'WARN', detail: anchorWarning(anchor.anchorFailure) });
        else if (anchor?.anchorEveryMs !== undefined) checks.push({ name: 'audit', status: 'ok', detail: `where the audit trail ends is recorded in the vault at most every ${everyText(anchor.anchorEveryMs)} while busy, and when the owner stops` });
      } else {
        if (!live) checks.push(...(await vaultChecks(cli, paths, keyring.ok)));
        checks.push(sealed.problem ? { name: 'protector', status: 'info', detail: 'unknown: the header of vault.enc, which names it, cannot be read' } : protectorLine(sealed.kind, cli.env, keyring.ok));
      }
      const needsKeyring = sealed.kind === 'keyring' || health?.protector === 'keyring';
      checks.push(
        keyring.ok
          ? { name: 'keyring', status: 'ok', detail: 'the OS keyring answers' }
          : needsKeyring
            ? { name: 'keyring', status: 'FAIL', detail: `the OS keyring does not answer (${keyring.reason}) — this vault's key is there: start and unlock your Secret Service (gnome-keyring, KWallet) in this session` }
            : { name: 'keyring', status: 'info', detail: `the OS keyring does not answer (${keyring.reason}) — a vault sealed by a passphrase does not need it` },
      );

      const problems = await checkPermissions(paths);
      checks.push({
        name: 'permissions',
        status: problems.length === 0 ? 'ok' : 'FAIL',
        detail: problems.length === 0 ? 'data directories 0700, files 0600 (or not made yet)' : problems.map((p) => `${p.path} is ${p.mode}, readable by others — run \`chmod ${p.expected} ${p.path}\``).join('; '),
      });

      let settings = DEFAULT_SETTINGS;
      try {
        settings = await loadSettings(paths.settingsFile);
        checks.push({ name: 'settings', status: 'ok', detail: `${paths.settingsFile}${settings === DEFAULT_SETTINGS ? ' (none: the defaults)' : ''}` });
      } catch (error) {
        checks.push({ name: 'settings', status: 'FAIL', detail: (error as Error).message });
      }
      if (settings.Sophon.Credentials.Vault !== 'Local') {
        // A remote backend: vault.enc is not where the records are; say what the backend says instead.
        for (let i = checks.length - 1; i >= 0; i--) if (checks[i]?.name === 'vault') checks.splice(i, 1);
        checks.push(...(await vaultBackendChecks(paths, settings, cli.env)));
      }
      const catalog = await Catalog.load({ connectorsDir: paths.connectorsDir, settings });
      const custom = catalog.list().filter((s) => catalog.isCustom(s.id)).length;
      checks.push({
        name: 'connectors',
        status: catalog.problems.length === 0 ? 'ok' : 'FAIL',
        detail: catalog.problems.length === 0 ? `${plural(custom, 'custom connector')}, all valid` : `${catalog.problems.map((p) => `${p.file}: ${p.message}`).join('; ')} — fix or remove the file (\`sophon catalog\` lists each with its error)`,
      });

      const ok = checks.every((c) => c.status !== 'FAIL');
      out.data({ ok, home: paths.home, checks: checks.map((c) => ({ ...c, ok: c.status !== 'FAIL' })) });
      for (const c of checks) out.line(`${c.status.padEnd(4)}  ${c.name.padEnd(12)} ${c.detail}`);
      if (!ok) cli.setExitCode(1);
    });
}
