// Builds what Electron loads: the main process and the preload (esbuild, one CommonJS file
// each) and the renderer (Vite, shared with `sophon serve --dashboard`).
import { build, type Plugin } from 'esbuild';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { PACKAGE_ROOT, ensureRendererBuild } from '../main/headless/renderer-build.ts';

export interface DesktopBuild {
  readonly main: string;
  readonly preload: string;
  readonly renderer: string;
}

/**
 * Native modules and Electron itself stay outside the bundle; electron-builder ships them.
 * So do the team vault backends' SDKs: they load only when appsettings.json names their
 * backend, and bundled they would add megabytes (and optional native add-ons) to every start.
 */
export const BACKEND_SDKS = ['@aws-sdk/client-secrets-manager', '@aws-sdk/client-sts', '@azure/identity', '@azure/keyvault-secrets'];
const EXTERNAL = ['electron', '@napi-rs/keyring', 'bufferutil', 'utf-8-validate', ...BACKEND_SDKS];

/**
 * Libraries that write `require('fs')` (the mail libraries and their logger) get `node:fs`: the
 * bundle then names Node's own modules one way, which is what the bundle test checks.
 */
const nodePrefix: Plugin = {
  name: 'node-prefix',
  setup(b) {
    const builtins = new Set(builtinModules.filter((m) => !m.startsWith('_')));
    b.onResolve({ filter: /^[a-z_]+(\/[a-z_]+)?$/ }, (args) => (builtins.has(args.path) ? { path: `node:${args.path}`, external: true } : undefined));
  },
};

export async function buildDesktop(options: { readonly outDir?: string; readonly renderer?: boolean } = {}): Promise<DesktopBuild> {
  const outDir = options.outDir ?? join(PACKAGE_ROOT, 'dist', 'desktop');
  const common = { bundle: true, format: 'cjs', target: 'node22', sourcemap: false, logLevel: 'warning', legalComments: 'none' } as const;
  const main = join(outDir, 'main.cjs');
  const preload = join(outDir, 'preload.cjs');
  await Promise.all([
    build({ ...common, entryPoints: [join(PACKAGE_ROOT, 'main', 'desktop', 'main.ts')], outfile: main, platform: 'node', external: EXTERNAL, plugins: [nodePrefix] }),
    // A sandboxed preload may require only 'electron': everything else is bundled in.
    build({ ...common, entryPoints: [join(PACKAGE_ROOT, 'preload', 'index.ts')], outfile: preload, platform: 'browser', external: ['electron'], minify: true }),
  ]);
  const renderer = options.renderer === false ? join(PACKAGE_ROOT, 'dist', 'renderer') : (await ensureRendererBuild()).dir;
  return { main, preload, renderer };
}
