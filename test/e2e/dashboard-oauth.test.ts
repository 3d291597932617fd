import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuild } from '../../main/headless/renderer-build.ts';
import { axeSeriousViolations, launchChromium, openPage } from '../helpers/browser.ts';
import { serveDashboard, type ServedDashboard } from '../helpers/dashboard-serve.ts';
import { writeOAuthHome } from '../helpers/oauth-fixture.ts';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.ts';
import { approveDeviceCode, completeAuthorization } from '../helpers/oidc-user-agent.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

const SHOTS = join(process.cwd(), 'test-results', 'ui');

/**
 * Sign-in from the window against a real OpenID provider (oidc-provider), through a real
 * `sophon serve --dashboard`: the device flow with its code on screen, the connection
 * turning active, the provider revoking it (Needs re-auth), and Reconnect.
 */
describe('dashboard OAuth end to end (device flow, re-auth, browser sign-in)', () => {
  let home: TempHome;
  let oidc: OidcServer;
  let served: ServedDashboard;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    await ensureRendererBuild();
    home = await tempHome();
    // Short-lived access tokens: the background refresh finds a revoked grant within seconds.
    oidc = await startOidcServer({ accessTokenTtl: 4, deviceInterval: 1 });
    await writeOAuthHome(home.dir, oidc);
    served = await serveDashboard({ SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'e2e passphrase long enough' });
    browser = await launchChromium();
    ({ page } = await openPage(browser, { width: 1100, height: 800, timeoutMs: 20_000 }, problems));
    await page.goto(served.loginUrl);
    await page.getByRole('heading', { name: 'No connections yet' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    const code = await served?.stop();
    await oidc?.dispose();
    await home?.dispose();
    expect(code).toBe(0);
  });

  /** Reads the code and link the panel shows, as a person would, and approves them at the provider. */
  async function approveShownCode(): Promise<void> {
    const panel = page.getByTestId('signin-panel');
    const code = (await panel.getByTestId('user-code').textContent())?.trim() ?? '';
    const link = (await panel.getByTestId('verification-link').getAttribute('href')) ?? '';
    expect(code).toMatch(/^[A-Z0-9-]{6,}$/);
    expect(link.startsWith(oidc.issuer)).toBe(true);
    await approveDeviceCode(link, code);
  }

  it('signs in with a device code: shows the code, the link and a countdown, then the connection is active', async () => {
    await page.getByRole('button', { name: 'Add connection' }).first().click();
    await page.getByLabel('Search services').fill('oidc');
    await page.getByRole('button', { name: /^OIDC Test/ }).click();
    // One way at a time: choose "with a code", then its short form.
    await page.getByRole('radio', { name: 'Sign in with a code' }).check();
    await page.getByLabel('Label (optional)').first().fill('tv');
    await page.getByRole('button', { name: 'Sign in with a code' }).click();

    const panel = page.getByTestId('signin-panel');
    await panel.getByTestId('user-code').waitFor();
    await panel.getByText(/Code expires in \d+:\d\d/).waitFor();
    await page.getByRole('button', { name: 'Copy code' }).waitFor();
    await page.screenshot({ path: join(SHOTS, '10-device-code.png'), fullPage: true });
    expect(await axeSeriousViolations(page)).toEqual([]);

    await approveShownCode();
    await page.locator('[data-testid=signin-panel][data-status=completed]').waitFor();
    await panel.getByText(/Signed in to OIDC Test as alice/).waitFor();
    await page.screenshot({ path: join(SHOTS, '11-device-completed.png'), fullPage: true });
    await page.getByRole('button', { name: 'Done' }).click();

    const row = page.locator('[data-testid=connection-list] li', { hasText: 'tv' });
    await row.locator('.badge', { hasText: 'Connected' }).waitFor();
  });

  it('shows Needs re-auth when the provider revokes the grant, then reconnects', async () => {
    expect(await oidc.revokeAllGrants()).toBeGreaterThan(0);
    // The next background refresh meets invalid_grant; the page hears it as a pushed event.
    const attention = page.getByTestId('needs-reauth');
    await attention.waitFor({ timeout: 30_000 });
    await page.locator('[data-testid=connection-list] li[data-state=needs_reauth] .badge', { hasText: 'Sign in again' }).waitFor();
    await attention.getByText('OIDC Test refused the refresh token — sign in again.').waitFor();
    await page.screenshot({ path: join(SHOTS, '12-needs-reauth.png'), fullPage: true });
    expect(await axeSeriousViolations(page)).toEqual([]);

    await attention.getByRole('button', { name: 'Reconnect OIDC Test · tv' }).click();
    await page.getByRole('heading', { name: 'Reconnect OIDC Test' }).waitFor();
    await page.getByTestId('user-code').waitFor();
    await page.screenshot({ path: join(SHOTS, '13-reconnect-code.png'), fullPage: true });
    await approveShownCode();
    await page.locator('[data-testid=signin-panel][data-status=completed]').waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByTestId('needs-reauth').waitFor({ state: 'detached' });
    const row = page.locator('[data-testid=connection-list] li', { hasText: 'tv' });
    await row.locator('.badge', { hasText: 'Connected' }).waitFor();
    expect(await page.getByTestId('connection-list').getAttribute('data-count')).toBe('1');
    await page.screenshot({ path: join(SHOTS, '14-reconnected.png'), fullPage: true });
  });

  it('signs in through the browser (loopback redirect) and shows that it waits meanwhile', async () => {
    await page.getByRole('button', { name: 'Add connection' }).first().click();
    await page.getByRole('button', { name: /^OIDC Test/ }).click();
    await page.getByLabel('Label', { exact: true }).first().fill('laptop');
    // The sign-in page opens in a new tab; here the test plays the person in that tab.
    const popup = page.waitForEvent('popup');
    await page.getByRole('button', { name: 'Sign in with OIDC Test in your browser' }).click();
    const tab = await popup;
    await tab.close();
    const panel = page.getByTestId('signin-panel');
    await panel.getByText('Your browser is open at the sign-in page').waitFor();
    expect(await panel.getAttribute('data-status')).toBe('waiting');
    await page.screenshot({ path: join(SHOTS, '15-browser-waiting.png'), fullPage: true });

    const authorizationUrl = (await panel.getByRole('link', { name: 'Open the sign-in page' }).getAttribute('href')) ?? '';
    expect(authorizationUrl.startsWith(`${oidc.issuer}/`)).toBe(true);
    const redirect = await completeAuthorization(authorizationUrl);
    expect((await fetch(redirect)).status).toBe(200);
    await page.locator('[data-testid=signin-panel][data-status=completed]').waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    await page.locator('[data-testid=connection-list] li', { hasText: 'laptop' }).locator('.badge', { hasText: 'Connected' }).waitFor();
    expect(await page.getByTestId('connection-list').getAttribute('data-count')).toBe('2');
  });

  it('had no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
