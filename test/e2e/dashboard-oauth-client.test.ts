import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuild } from '../../main/headless/renderer-build.ts';
import { axeSeriousViolations, launchChromium, openPage } from '../helpers/browser.ts';
import { serveDashboard, type ServedDashboard } from '../helpers/dashboard-serve.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

const SHOTS = join(process.cwd(), 'test-results', 'ui');

/** Before the first sign-in, the window shows what to register at the provider and whether it wants the secret. */
describe('window: registering your own OAuth client', () => {
  let home: TempHome;
  let served: ServedDashboard;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    await ensureRendererBuild();
    home = await tempHome();
    served = await serveDashboard({ SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'e2e passphrase long enough' });
    browser = await launchChromium();
    ({ page } = await openPage(browser, { width: 1100, height: 800, timeoutMs: 15_000 }, problems));
    await page.goto(served.loginUrl);
  });

  afterAll(async () => {
    await browser?.close();
    expect(await served?.stop()).toBe(0);
    await home?.dispose();
  });

  const open = async (search: string, name: RegExp, heading: string) => {
    await page.goto(`${served.origin}/`);
    await page.getByRole('button', { name: 'Add connection' }).first().click();
    await page.getByLabel('Search services').fill(search);
    await page.getByRole('button', { name }).click();
    await page.getByRole('heading', { name: heading }).waitFor();
  };

  it('Dropbox: the exact redirect URI with its fixed port; Gmail: nothing to register, and the secret is required', async () => {
    await open('dropbox', /^Dropbox/, 'Connect Dropbox');
    const uris = page.getByRole('list', { name: 'Redirect URIs to register' });
    expect(await uris.innerText()).toBe('http://127.0.0.1:53682/oauth/callback');
    expect(await axeSeriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, '16-oauth-client-redirect.png'), fullPage: true });

    await open('gmail', /^Gmail/, 'Connect Gmail');
    expect(await page.getByRole('list', { name: 'Redirect URIs to register' }).count()).toBe(0);
    await page.getByLabel('Client id').fill('1234-abc.apps.googleusercontent.com');
    await page.getByRole('button', { name: 'Save client' }).click();
    await page.getByText('Gmail requires the client secret too').waitFor();
    expect(problems).toEqual([]);
  });
});
