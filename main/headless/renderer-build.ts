import { createHash, randomBytes } from 'node:crypto';
import { readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SophonError } from '../core/index.ts';

/**
 * The repository (or installed package) root: renderer/, vite.config.ts and dist/ live here.
 * Found by walking up to package.json, since this code runs from main/headless/ (sources)
 * as well as from dist/cli/<build>/ (the CLI built ahead of time).
 */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'renderer'))) return `${dir}${sep}`;
    if (dirname(dir) === dir) return `${join(from, '..', '..')}${sep}`;
  }
}
export const RENDERER_DIST = join(PACKAGE_ROOT, 'dist', 'renderer');
const STAMP = '.build-stamp';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** A hash of everything the build reads from this repository, so a stale build is rebuilt. */
export async function rendererSourceStamp(root = PACKAGE_ROOT): Promise<string> {
  const hash = createHash('sha256');
  const files = [...(await filesUnder(join(root, 'renderer'))), join(root, 'main', 'api', 'contract.ts'), join(root, 'vite.config.ts')].sort();
  for (const file of files) {
    hash.update(relative(root, file)).update('\0');
    hash.update(await readFile(file)).update('\0');
  }
  return hash.digest('hex');
}

async function readStamp(dir: string): Promise<string | undefined> {
  return readFile(join(dir, STAMP), 'utf8').catch(() => undefined);
}

export interface RendererBuild {
  readonly dir: string;
  /** True when this call ran the build (false: an up-to-date build was already there). */
  readonly built: boolean;
}

/**
 * Makes sure dist/renderer holds a build of the current sources, building with Vite's JS
 * API when it is missing or stale: `npx sophon serve --dashboard` works right after
 * `npm ci`. Builds into a fresh directory and renames it into place, so two processes
 * building at once (tests, a second serve) never see a half-written build.
 */
export async function ensureRendererBuild(options: { readonly outDir?: string; readonly log?: (line: string) => void } = {}): Promise<RendererBuild> {
  const outDir = options.outDir ?? RENDERER_DIST;
  const stamp = await rendererSourceStamp();
  if ((await readStamp(outDir)) === stamp) return { dir: outDir, built: false };
  options.log?.('building the dashboard (once per change of the renderer)…');
  const tmp = `${outDir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const [{ build }, { rendererConfig }] = await Promise.all([import('vite'), import('../../vite.config.ts')]).catch((error: unknown) => {
      throw new SophonError('NOT_SUPPORTED', 'the dashboard is built on first use and its build tools (vite) are not installed — run `npm ci` with dev dependencies, then start it again', { cause: error });
    });
    // root is set here: vite.config.ts finds renderer/ from its own URL, which is not the repository's once bundled into the CLI.
    await build({ ...rendererConfig, root: join(PACKAGE_ROOT, 'renderer'), configFile: false, build: { ...rendererConfig.build, outDir: tmp, emptyOutDir: true } });
    await writeFile(join(tmp, STAMP), stamp);
    if ((await readStamp(outDir)) === stamp) return { dir: outDir, built: true };
    const old = `${outDir}.old-${process.pid}-${randomBytes(4).toString('hex')}`;
    await rename(outDir, old).catch(() => undefined);
    try {
      await rename(tmp, outDir);
    } catch (error) {
      // Another process put its build in place first; use it when it is of the same sources.
      if ((await readStamp(outDir)) !== stamp) throw error;
    }
    await rm(old, { recursive: true, force: true });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return { dir: outDir, built: true };
}
