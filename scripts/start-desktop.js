#!/usr/bin/env node
// `npm start`: builds what Electron needs and starts the tray app. Never downloads Electron:
// where its binary is missing (or there is no display) it says so in one line and points to
// `npx sophon serve --dashboard`, which serves the same window to a browser.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const HEADLESS = 'npx sophon serve --dashboard';

/** Where the electron package would have put its binary (read without require('electron'), which downloads). */
function electronBinary() {
  let dir;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return undefined;
  }
  const pathFile = join(dir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return join(process.env.ELECTRON_OVERRIDE_DIST_PATH, relative || 'electron');
  return relative ? join(dir, 'dist', relative) : undefined;
}

const fail = (line) => {
  process.stderr.write(`${line}\n`);
  process.exit(1);
};

// Electron 45 and its tooling declare Node.js 22.12 or newer; the CLI and `sophon serve` need only 20.19.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  fail(`sophon: the desktop app needs Node.js 22.12 or newer (Electron 45), and this is ${process.versions.node} — install Node 22 LTS, or run \`${HEADLESS}\` (the CLI and the headless host run on Node 20.19+)`);
}

const binary = electronBinary();
if (!binary || !existsSync(binary)) {
  fail(`sophon: Electron's binary is not installed and cannot be downloaded here, so the desktop app cannot start — run \`${HEADLESS}\` for the same window in your browser`);
}
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  fail(`sophon: no display (DISPLAY and WAYLAND_DISPLAY are unset), so the desktop app cannot start — run \`${HEADLESS}\` for the same window in your browser`);
}

const { register } = await import('tsx/esm/api');
register();
const { buildDesktop } = await import('./build-desktop.ts');
try {
  await buildDesktop();
} catch (error) {
  fail(`sophon: building the desktop app failed: ${String(error?.message ?? error).split('\n')[0]}`);
}

const env = { ...process.env };
delete env.ELECTRON_RUN_AS_NODE;
const child = spawn(binary, [root, ...process.argv.slice(2)], { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('error', (error) => fail(`sophon: could not start Electron (${error.message}) — run \`${HEADLESS}\` instead`));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
