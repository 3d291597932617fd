#!/usr/bin/env node
// `sophon`: runs the CLI built ahead of time into dist/cli/ (by `npm ci`, through the
// `prepare` script). When a source is newer than that build it builds again first (esbuild,
// well under a second), so the code that runs is always the code in main/. Where it cannot
// build (no esbuild), it runs the sources through tsx, as slowly as before.
import { readFileSync, statSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`sophon: Node.js ${process.versions.node} is too old — the CLI and \`sophon serve\` need Node.js 20.19 or newer (the desktop app 22.12 or newer)\n`);
  process.exit(1);
}

const root = new URL('../', import.meta.url);

// Node 22.1+ keeps V8's compiled code on disk between runs (most of a one-shot command's start
// is compiling the core); on Node 20 this is not there and nothing happens.
try {
  module.enableCompileCache?.(fileURLToPath(new URL('dist/cli/.compile-cache', root)));
} catch {
  // a read-only checkout: compile every time
}
const argv = process.argv.slice(2);
// The headless host is its own entry: the CLI never imports it (see architecture.md).
const entry = argv[0] === 'serve' ? 'serve' : 'cli';

/** The directory of an up-to-date build, or undefined when there is none or a source changed since. */
function currentBuild() {
  let info;
  try {
    info = JSON.parse(readFileSync(new URL('dist/cli/build-info.json', root), 'utf8'));
  } catch {
    return undefined;
  }
  for (const input of info.inputs) {
    try {
      if (statSync(new URL(input, root)).mtimeMs > info.builtAt) return undefined;
    } catch {
      return undefined;
    }
  }
  return new URL(`dist/cli/${info.dir}/`, root);
}

async function load() {
  const built = currentBuild();
  if (built) return import(new URL(`${entry}.js`, built).href);
  let builder;
  try {
    builder = await import('../scripts/build-cli.js');
  } catch {
    builder = undefined;
  }
  if (builder) {
    try {
      const { dir } = await builder.buildCli();
      return import(pathToFileURL(`${dir}/${entry}.js`).href);
    } catch (error) {
      // No esbuild (dependencies installed without dev ones): run the sources instead.
      if (!(error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('esbuild'))) {
        process.stderr.write(`sophon: building the CLI from main/ failed (${String(error?.message ?? error).split('\n')[0]}) — fix the error above, or run \`npm run build:cli\` to see it again\n`);
        process.exit(1);
      }
    }
  }
  try {
    const { register } = await import('tsx/esm/api');
    register();
  } catch {
    process.stderr.write('sophon: the CLI is not built and cannot be built or run from source here (esbuild and tsx are missing) — run `npm ci` in the repository\n');
    process.exit(1);
  }
  return import(entry === 'serve' ? '../main/headless/main.ts' : '../main/cli/main.ts');
}

const code = await load();
process.exitCode = entry === 'serve' ? await code.serveMain(argv.slice(1)) : await code.main(argv);
