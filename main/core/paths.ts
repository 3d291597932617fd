import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { mkdir, chmod, stat, open, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { fileSystemError } from './errors.ts';

export interface SophonPaths {
  readonly home: string;
  readonly configDir: string;
  readonly vaultFile: string;
  readonly vaultBackup: string;
  readonly settingsFile: string;
  readonly connectorsDir: string;
  readonly skillsDir: string;
  readonly auditDir: string;
  readonly auditFile: string;
  readonly auditHead: string;
  readonly runDir: string;
  readonly lockFile: string;
  readonly socketFile: string;
}

export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['SOPHON_HOME'];
  return fromEnv && fromEnv.trim() !== '' ? resolve(fromEnv) : join(homedir(), '.sophon');
}

export function sophonPaths(home: string): SophonPaths {
  const configDir = join(home, 'config');
  const auditDir = join(home, 'audit');
  const runDir = join(home, 'run');
  return {
    home,
    configDir,
    vaultFile: join(configDir, 'vault.enc'),
    vaultBackup: join(configDir, 'vault.enc.bak'),
    settingsFile: join(configDir, 'appsettings.json'),
    connectorsDir: join(home, 'connectors'),
    skillsDir: join(home, 'skills'),
    auditDir,
    auditFile: join(auditDir, 'audit.jsonl'),
    auditHead: join(auditDir, 'audit.head'),
    runDir,
    lockFile: join(runDir, 'owner.lock'),
    socketFile: join(runDir, 'sophon.sock'),
  };
}

/** Creates the data directories with mode 0700 (and tightens them if they exist). */
export async function ensureDirs(paths: SophonPaths): Promise<void> {
  for (const dir of [paths.home, paths.configDir, paths.connectorsDir, paths.skillsDir, paths.auditDir, paths.runDir]) {
    await mkdir(dir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
      throw fileSystemError(error, dir, 'create') ?? error;
    });
    if (process.platform !== 'win32') {
      const info = await stat(dir);
      if ((info.mode & 0o077) !== 0) {
        await chmod(dir, 0o700).catch((error: unknown) => {
          throw fileSystemError(error, dir, 'secure') ?? error;
        });
      }
    }
  }
}

export interface WriteProblem {
  readonly path: string;
  /** EACCES, EPERM, EROFS, ENOSPC, … */
  readonly code: string;
}

/**
 * Whether Sophon can write where it must (config/, run/, audit/, or the first existing
 * parent of a directory not made yet): by writing and removing a file, since the mode bits
 * say nothing about a read-only mount, and nothing at all to root.
 */
export async function checkWritable(paths: SophonPaths): Promise<WriteProblem[]> {
  const problems: WriteProblem[] = [];
  const seen = new Set<string>();
  for (const wanted of [paths.configDir, paths.runDir, paths.auditDir]) {
    let dir = wanted;
    while (!(await stat(dir).then((s) => s.isDirectory(), () => false))) {
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    if (seen.has(dir)) continue;
    seen.add(dir);
    const probe = join(dir, `.sophon-write-check-${randomBytes(4).toString('hex')}`);
    try {
      await (await open(probe, 'wx', 0o600)).close();
      await unlink(probe);
    } catch (error) {
      problems.push({ path: dir, code: (error as NodeJS.ErrnoException).code ?? 'EIO' });
    }
  }
  return problems;
}

export interface PermissionProblem {
  readonly path: string;
  readonly mode: string;
  readonly expected: string;
}

/** Lists data paths readable or writable by group or others. */
export async function checkPermissions(paths: SophonPaths): Promise<PermissionProblem[]> {
  if (process.platform === 'win32') return [];
  const problems: PermissionProblem[] = [];
  const entries: Array<[string, number]> = [
    [paths.home, 0o700],
    [paths.configDir, 0o700],
    [paths.runDir, 0o700],
    [paths.auditDir, 0o700],
    [paths.vaultFile, 0o600],
    [paths.auditFile, 0o600],
  ];
  for (const [path, expected] of entries) {
    try {
      const info = await stat(path);
      if ((info.mode & 0o077) !== 0) {
        problems.push({ path, mode: (info.mode & 0o777).toString(8), expected: expected.toString(8) });
      }
    } catch {
      // absent paths are created on first use
    }
  }
  return problems;
}
