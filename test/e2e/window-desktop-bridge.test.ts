import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from '../../main/headless/dashboard.ts';
import { ensureRendererBuild } from '../../main/headless/renderer-build.ts';
import { axeSeriousViolations, launchChromium, openPage } from '../helpers/browser.ts';

const SHOTS = join(process.cwd(), 'test-results', 'ui');

/**
 * The window as the desktop app runs it: `window.sophon` present (what the preload exposes),
 * no WebSocket. A stand-in preload is installed before the page's scripts; it answers like a
 * desktop host whose safeStorage fell back to basic_text, and lets the test push host events
 * (the tray's "Reconnect …").
 */
const FAKE_PRELOAD = `(() => {
  const listeners = {};
  const calls = [];
  const connection = (id, label, state) => ({ id, service: 'oidc-test', label, authMethod: 'device', state, scopes: [], createdAt: '2026-01-01T00:00:00.000Z', params: {}, ...(state === 'needs_reauth' ? { stateReason: 'the provider refused the refresh token: invalid_grant' } : {}) });
  const answers = {
    'connections.list': [connection('c1', 'home', 'active'), connection('c2', 'work', 'needs_reauth')],
    'catalog.list': [{ id: 'oidc-test', name: 'OIDC Test', category: 'other', baseUrl: 'https://id.example', custom: true, auth: [{ type: 'device', clientConfigured: true }], params: [], hasTest: false }],
    'settings.get': { theme: 'system' },
    'vault.health': { backend: 'local', path: '/home/me/.sophon/config/vault.enc', protector: 'safe-storage', strength: 'weak', protectorDescription: 'Electron safeStorage with basic_text: no keyring was found', records: 4, owner: { name: 'Sophon Desktop', pid: 1, since: '2026-01-01T00:00:00.000Z' }, permissionProblems: [], connectorProblems: [], home: '/home/me/.sophon' },
    'connections.reauth': { attemptId: 'a1', kind: 'device', userCode: 'WDJB-MJHT', verificationUri: 'https://id.example/device', expiresAt: Date.now() + 600000, interval: 5 },
  };
  const call = (name) => (input) => {
    calls.push([name, input ?? {}]);
    if (name === 'signin.wait') return new Promise(() => {});
    return Promise.resolve(name in answers ? { ok: true, data: answers[name] } : { ok: false, error: { code: 'NOT_SUPPORTED', message: name } });
  };
  const api = {};
  for (const name of ${JSON.stringify(['catalog.list', 'connections.list', 'connections.reauth', 'settings.get', 'settings.set', 'signin.wait', 'signin.cancel', 'vault.health', 'audit.list'])}) {
    const [domain, verb] = name.split('.');
    (api[domain] ??= {})[verb] = call(name);
  }
  api.on = (event, listener) => { (listeners[event] ??= []).push(listener); return () => {}; };
  Object.defineProperty(window, 'sophon', { value: Object.freeze(api) });
  Object.defineProperty(window, '__host', { value: { calls, emit: (event, payload) => (listeners[event] ?? []).forEach((l) => l(payload)) } });
  window.WebSocket = function () { throw new Error('the desktop window must not open a WebSocket'); };
})();`;

describe('the window on the desktop bridge (window.sophon, as the preload exposes it)', () => {
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  let subscribers = 0;
  const problems: string[] = [];

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    const build = await ensureRendererBuild();
    // Only to serve the build: every request of this page goes to the stand-in preload.
    dashboard = await startDashboard({
      rendererDir: build.dir,
      dispatcher: { call: async () => ({ ok: false, error: { code: 'INTERNAL', message: 'unexpected' } }), subscribe: () => (subscribers++, () => void subscribers--) },
    });
    browser = await launchChromium();
    ({ page } = await openPage(browser, { width: 1000, height: 760, timeoutMs: 15_000 }, problems));
    await page.addInitScript(FAKE_PRELOAD);
    await page.goto(dashboard.loginUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.dispose();
  });

  it('uses window.sophon, shows the weak-protector banner and the connection needing re-auth', async () => {
    const banner = page.getByTestId('health-banner');
    await banner.getByRole('heading', { name: 'Your vault is weakly protected' }).waitFor();
    expect(await banner.textContent()).toContain('basic_text');
    await page.getByTestId('needs-reauth').getByText('OIDC Test · work').waitFor();
    expect(subscribers).toBe(0);
    await page.screenshot({ path: join(SHOTS, '20-desktop-weak-vault.png'), fullPage: true });
    expect(await axeSeriousViolations(page)).toEqual([]);
  });

  it('carries out the tray\'s "Reconnect …": starts the re-auth and shows the device code', async () => {
    await page.evaluate(() => (globalThis as unknown as { __host: { emit(e: string, p: unknown): void } }).__host.emit('tray.selected', { action: 'reconnect', connectionId: 'c2' }));
    await page.getByRole('heading', { name: 'Reconnect OIDC Test' }).waitFor();
    expect(await page.getByTestId('user-code').textContent()).toBe('WDJB-MJHT');
    const calls = await page.evaluate(() => (globalThis as unknown as { __host: { calls: unknown[] } }).__host.calls);
    expect(calls).toContainEqual(['connections.reauth', { ref: 'c2' }]);
    expect(calls).toContainEqual(['signin.wait', { attemptId: 'a1' }]);

    // Live status from the host's events.
    await page.evaluate(() =>
      (globalThis as unknown as { __host: { emit(e: string, p: unknown): void } }).__host.emit('signin.changed', { attemptId: 'a1', status: 'slow_down', message: 'The provider asked to poll more slowly; still waiting.', service: 'oidc-test' }),
    );
    await page.getByTestId('signin-status').getByText('poll more slowly').waitFor();
    // An event that breaks the contract is dropped, not shown.
    await page.evaluate(() => (globalThis as unknown as { __host: { emit(e: string, p: unknown): void } }).__host.emit('signin.changed', { attemptId: 'a1', status: 'hacked', message: '<img src=x onerror=alert(1)>' }));
    expect(await page.getByTestId('signin-status').textContent()).toContain('poll more slowly');
    await page.screenshot({ path: join(SHOTS, '21-desktop-tray-reconnect.png'), fullPage: true });
  });

  it('had no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
