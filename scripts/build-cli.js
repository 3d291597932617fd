#!/usr/bin/env node
// Builds `sophon` and `sophon serve` ahead of time into dist/cli/ (esbuild: ESM, split so each
// command's code is its own chunk, loaded only when that command runs). `npm ci` runs this (the
// `prepare` script); bin/sophon.js runs it again when a source is newer than the build.
//
// Each build goes to its own directory, named in dist/cli/build-info.json, which is replaced
// last and atomically: a process started from an older build keeps loading its own chunks.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI_DIST = join(ROOT, 'dist', 'cli');
export const BUILD_INFO = join(CLI_DIST, 'build-info.json');

/**
 * Loaded at run time, not bundled: native addons; the dashboard's build tool (a dev
 * dependency); undici, which only the broker proxy imports (dynamically, so a one-shot
 * command never loads it), and whose CommonJS exports Node's own loader names correctly.
 */
const EXTERNAL = ['@napi-rs/keyring', 'vite', 'bufferutil', 'utf-8-validate', 'undici'];

/**
 * Older builds are removed once nothing started from them should still load a chunk: a
 * command loads its code when it starts, and the longest wait (a sign-in) lasts 10 minutes.
 */
const KEEP_OLD_BUILDS_MS = 15 * 60 * 1000;

/**
 * Our modules only declare things (no work at import), so a module nothing uses can be left
 * out even when it is re-exported by main/core/index.ts: `sophon connect list` through the
 * owner then loads the socket client and not the whole core.
 */
export const sideEffectFree = {
  name: 'sophon-side-effect-free',
  setup(b) {
    const mainDir = join(ROOT, 'main') + sep;
    b.onResolve({ filter: /\.ts$/ }, async (args) => {
      if (args.pluginData === 'inner' || args.kind === 'entry-point') return undefined;
      const resolved = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: 'inner' });
      if (resolved.errors.length > 0 || !resolved.path.startsWith(mainDir)) return undefined;
      return { path: resolved.path, sideEffects: false };
    });
  },
};

export async function buildCli({ quiet = true } = {}) {
  const { build } = await import('esbuild');
  const started = Date.now();
  const id = `b-${started.toString(36)}-${randomBytes(3).toString('hex')}`;
  const outdir = join(CLI_DIST, id);
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { cli: 'main/cli/main.ts', serve: 'main/headless/main.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    chunkNames: 'chunk-[hash]',
    external: EXTERNAL,
    metafile: true,
    legalComments: 'none',
    logLevel: quiet ? 'error' : 'warning',
    // Bundled CommonJS dependencies (commander, undici, ws) call require() for Node's modules.
    banner: { js: "import { createRequire as __sophonRequire } from 'node:module'; const require = __sophonRequire(import.meta.url);" },
    plugins: [sideEffectFree],
  });
  // Only our own sources decide staleness; dependencies change with `npm ci`, which rebuilds.
  const inputs = Object.keys(result.metafile.inputs).filter((p) => !p.split(/[\\/]/).includes('node_modules'));
  await writeFile(join(outdir, 'package.json'), '{ "type": "module" }\n');
  const info = { dir: id, builtAt: started, inputs };
  const tmp = `${BUILD_INFO}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(info));
  await rename(tmp, BUILD_INFO);
  await removeOldBuilds(id);
  return { dir: outdir, info };
}

async function removeOldBuilds(current) {
  const now = Date.now();
  for (const name of await readdir(CLI_DIST).catch(() => [])) {
    if (name === current || !name.startsWith('b-')) continue;
    const path = join(CLI_DIST, name);
    const info = await stat(path).catch(() => undefined);
    if (info && now - info.mtimeMs > KEEP_OLD_BUILDS_MS) await rm(path, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  await mkdir(CLI_DIST, { recursive: true });
  try {
    const { dir, info } = await buildCli({ quiet: false });
    if (process.argv.includes('--verbose')) process.stdout.write(`built ${relative(ROOT, dir)} from ${info.inputs.length} sources in ${Date.now() - info.builtAt} ms\n`);
  } catch (error) {
    // `npm ci --omit=dev` has no esbuild: the CLI then runs from its sources through tsx.
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('esbuild')) throw error;
    process.stderr.write('sophon: esbuild is not installed (dev dependencies omitted?), so the CLI is not built ahead of time: it runs from its sources through tsx, more slowly\n');
  }
}
