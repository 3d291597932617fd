import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BACKEND_SDKS, buildDesktop } from '../../scripts/build-desktop.ts';
import { tempHome } from '../helpers/temp-home.ts';

const START = fileURLToPath(new URL('../../scripts/start-desktop.js', import.meta.url));

function runStart(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [START], { env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm start without an Electron binary', () => {
  it('says so in one line, names `npx sophon serve --dashboard`, and exits non-zero without downloading', async () => {
    const empty = await tempHome('sophon-no-electron-');
    const result = await runStart({ ELECTRON_OVERRIDE_DIST_PATH: empty.dir, DISPLAY: ':0' });
    await empty.dispose();
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('npx sophon serve --dashboard');
    expect(lines[0]).toMatch(/Electron/);
    expect(result.stderr).not.toMatch(/Downloading/i);
  });
});

describe('desktop bundle', () => {
  it('bundles main and preload; main needs only electron, the keyring (imported when a keyring vault is opened), the vault backends\' SDKs and node:*, preload only electron', async () => {
    const out = await tempHome('sophon-desktop-build-');
    const built = await buildDesktop({ outDir: out.dir, renderer: false });
    const requires = (text: string) => [...new Set([...text.matchAll(/(?<![.\w$])(?:require|import)\("([^"]+)"\)/g)].map((m) => m[1]!))].sort();
    const main = await readFile(built.main, 'utf8');
    // The vault backends' SDKs load only when their backend is configured (lazily, from node_modules).
    expect(requires(main).filter((m) => !m.startsWith('node:'))).toEqual([...BACKEND_SDKS, '@napi-rs/keyring', 'electron'].sort());
    const preload = await readFile(join(out.dir, 'preload.cjs'), 'utf8');
    expect(requires(preload)).toEqual(['electron']);
    expect(preload).toContain('exposeInMainWorld("sophon"');
    await out.dispose();
  });
});

describe('electron-builder.yml', () => {
  it('registers the sophon scheme (and the Linux MimeType) and builds for every desktop', async () => {
    const yml = await readFile(fileURLToPath(new URL('../../electron-builder.yml', import.meta.url)), 'utf8');
    expect(yml).toMatch(/^appId: \S+$/m);
    expect(yml).toMatch(/^protocols:\n {2}- name: Sophon\n {4}schemes:\n {6}- sophon$/m);
    expect(yml).toMatch(/^ {4}- x-scheme-handler\/sophon$/m);
    for (const platform of ['mac', 'win', 'linux']) expect(yml).toMatch(new RegExp(`^${platform}:\\n(?: {2}.*\\n)*? {2}target:`, 'm'));
    expect(yml).toContain('  runAsNode: false');
    // Every file the packaged app loads is listed.
    expect(yml).toContain('- dist/desktop/**');
    expect(yml).toContain('- dist/renderer/**');
  });
});
