import { request } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ensureRendererBuild } from '../../main/headless/renderer-build.ts';
import { axeSeriousViolations, launchChromium, openPage } from '../helpers/browser.ts';
import { serveDashboard, type ServedDashboard } from '../helpers/dashboard-serve.ts';
import { startUpstream } from '../helpers/http-upstream.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

const SHOTS = join(process.cwd(), 'test-results', 'ui');
const GOOD_KEY = 'sk-or-v1-e2e-good-key';

function status(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

function upgradeStatus(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.on('error', () => resolve(-1));
  });
}

describe('dashboard end to end (Chromium against `sophon serve --dashboard`)', () => {
  let home: TempHome;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let served: ServedDashboard;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    await ensureRendererBuild();
    home = await tempHome();
    upstream = await startUpstream((req, res) => {
      const ok = req.url === '/key' && req.headers.authorization === `Bearer ${GOOD_KEY}`;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { data: { label: 'e2e' } } : { error: 'bad key' }));
    });
    await mkdir(join(home.dir, 'config'), { recursive: true, mode: 0o700 });
    await writeFile(join(home.dir, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Services: { openrouter: { baseUrl: upstream.url } } } }));
    served = await serveDashboard({ SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'e2e passphrase long enough' });
    browser = await launchChromium();
    ({ context, page } = await openPage(browser, { width: 1100, height: 800, timeoutMs: 15_000 }, problems));
  });

  afterAll(async () => {
    await browser?.close();
    const code = await served?.stop();
    await upstream?.dispose();
    await home?.dispose();
    expect(code).toBe(0);
  });

  it('signs in with the printed URL and lands on a clean address with an HttpOnly cookie', async () => {
    await page.goto(served.loginUrl);
    expect(page.url()).toBe(`${served.origin}/`);
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await page.getByRole('heading', { name: 'No connections yet' }).waitFor();
    await page.screenshot({ path: join(SHOTS, '01-empty.png'), fullPage: true });
    expect(await axeSeriousViolations(page)).toEqual([]);
  });

  it('adds an API-key connection from the catalog, with validation, and sees it listed', async () => {
    await page.getByRole('button', { name: 'Add connection' }).first().click();
    await page.getByLabel('Search services').fill('open');
    await page.getByRole('button', { name: /^OpenRouter/ }).click();
    await page.getByRole('heading', { name: 'Connect OpenRouter' }).waitFor();
    expect(await axeSeriousViolations(page)).toEqual([]);

    const key = page.getByLabel('API key', { exact: true });
    await key.fill('two words');
    await page.getByRole('button', { name: 'Add OpenRouter' }).click();
    await page.getByText('contains spaces or line breaks').waitFor();
    await key.fill('not-an-openrouter-key');
    await page.getByText('This does not look like an API key for this service').waitFor();
    await page.getByLabel('Label (optional)').last().fill('personal');
    await key.fill(GOOD_KEY);
    await page.screenshot({ path: join(SHOTS, '02-add-form.png'), fullPage: true });
    await page.getByRole('button', { name: 'Add OpenRouter' }).click();

    const list = page.getByTestId('connection-list');
    await list.getByText('personal').waitFor();
    expect(await list.getAttribute('data-count')).toBe('1');
    await expect(page.locator('[data-state=active] .badge').first().textContent()).resolves.toBe('Connected');
    await page.getByText('Added OpenRouter · personal.').waitFor();
    expect(await page.content()).not.toContain(GOOD_KEY);
    await page.screenshot({ path: join(SHOTS, '03-listed.png'), fullPage: true });
  });

  it('tests the connection and shows the result', async () => {
    await page.getByRole('button', { name: 'Test OpenRouter · personal' }).click();
    await page.getByText('Test passed: OpenRouter accepted the credential (HTTP 200)').waitFor();
    expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${GOOD_KEY}`);
    await page.screenshot({ path: join(SHOTS, '04-tested.png'), fullPage: true });
  });

  it('keeps several accounts apart by label, refusing a duplicate label', async () => {
    await page.getByRole('button', { name: 'Add connection' }).first().click();
    await page.getByRole('button', { name: /^OpenRouter/ }).click();
    await page.getByLabel('Label', { exact: true }).fill('Personal');
    await page.getByLabel('API key', { exact: true }).fill('sk-or-v1-bad-key');
    await page.getByRole('button', { name: 'Add OpenRouter' }).click();
    await page.getByText('already has a connection labelled "Personal"').waitFor();
    await page.getByLabel('Label', { exact: true }).fill('work');
    await page.getByRole('button', { name: 'Add OpenRouter' }).click();
    await page.getByTestId('connection-list').getByText('work').waitFor();
    await page.locator('[data-testid=connection-list] li[data-state]').nth(1).waitFor();

    await page.getByRole('button', { name: 'Test OpenRouter · work' }).click();
    await page.getByText('Test failed: OpenRouter answered HTTP 401').waitFor();
    // The failed test and the row's state agree: refused, with what to do, never "Connected" beside it.
    const work = page.locator('[data-testid=connection-list] li[data-state=error]', { hasText: 'work' });
    await work.locator('.badge', { hasText: 'Refused' }).waitFor();
    await work.getByText('OpenRouter refused the credential (HTTP 401) — replace the credential.').waitFor();
    await page.screenshot({ path: join(SHOTS, '05-two-accounts.png'), fullPage: true });
    expect(await axeSeriousViolations(page)).toEqual([]);
  });

  it('shows the audit trail', async () => {
    await page.getByRole('button', { name: 'Audit', exact: true }).click();
    await page.locator('.audit-sentence').first().waitFor();
    const text = await page.getByTestId('audit-view').textContent();
    expect(text).toContain('You added OpenRouter · personal');
    expect(text).toContain('You used the credential of OpenRouter · personal');
    expect(text).not.toContain(GOOD_KEY);
    await page.screenshot({ path: join(SHOTS, '06-audit.png'), fullPage: true });
    expect(await axeSeriousViolations(page)).toEqual([]);
  });

  it('switches to the dark theme, remembers it, and stays accessible', async () => {
    await page.getByRole('button', { name: 'Connections', exact: true }).click();
    await page.getByLabel('Theme').selectOption('dark');
    await page.locator('html[data-theme=dark]').waitFor({ state: 'attached' });
    await page.reload();
    await page.locator('html[data-theme=dark]').waitFor({ state: 'attached' });
    await page.getByTestId('connection-list').waitFor();
    await page.screenshot({ path: join(SHOTS, '07-dark.png'), fullPage: true });
    expect(await axeSeriousViolations(page)).toEqual([]);
    await page.getByLabel('Theme').selectOption('system');
  });

  it('removes a connection only after confirmation, by keyboard too', async () => {
    await page.getByRole('button', { name: 'Remove OpenRouter · work' }).click();
    const dialog = page.getByRole('dialog', { name: /Remove OpenRouter · work/ });
    await dialog.waitFor();
    await page.screenshot({ path: join(SHOTS, '08-confirm-remove.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    // The row is still there (the closed dialog's own heading also says "work", so look
    // for the row's button rather than the word).
    const removeButton = page.getByRole('button', { name: 'Remove OpenRouter · work' });
    await removeButton.waitFor();

    // By keyboard: focus the button and press Enter. A list refresh may re-render the row
    // between the two (focus then lands nowhere), so try again until the dialog is open.
    await expect
      .poll(
        async () => {
          if (!(await dialog.isVisible())) {
            await removeButton.focus();
            await page.keyboard.press('Enter');
          }
          return dialog.isVisible();
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await page.getByText('Removed OpenRouter · work.').waitFor();
    expect(await page.getByTestId('connection-list').getAttribute('data-count')).toBe('1');
  });

  it('before a first OAuth sign-in, shows the redirect URI to register and refuses a missing required secret', async () => {
    const open = async (search: string, name: RegExp, heading: string) => {
      await page.goto(`${served.origin}/`);
      await page.getByRole('button', { name: 'Add connection' }).first().click();
      await page.getByLabel('Search services').fill(search);
      await page.getByRole('button', { name }).click();
      await page.getByRole('heading', { name: heading }).waitFor();
    };
    await open('dropbox', /^Dropbox/, 'Connect Dropbox');
    // The form says what to register in words; the address itself is under Details, once.
    await page.getByText('copy the address from Details below').waitFor();
    await page.getByTestId('service-details').locator('summary').click();
    expect(await page.getByRole('list', { name: 'Redirect URIs to register' }).locator('code').allTextContents()).toEqual(['http://127.0.0.1:53682/oauth/callback']);
    expect(await axeSeriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, '16-oauth-client-redirect.png'), fullPage: true });
    // A Google "Desktop app" client needs nothing registered, but its secret is required.
    await open('gmail', /^Gmail/, 'Connect Gmail');
    expect(await page.getByRole('list', { name: 'Redirect URIs to register' }).count()).toBe(0);
    await page.getByLabel('Client ID').fill('1234-abc.apps.googleusercontent.com');
    await page.getByRole('button', { name: 'Save client' }).click();
    await page.getByText('Gmail requires the client secret too').waitFor();
  });

  it('had no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });

  it('refuses requests without the token or cookie, with a foreign Host, or a foreign Origin', async () => {
    const { port } = served;
    const [cookie] = await context.cookies();
    const jar = `${cookie!.name}=${cookie!.value}`;
    expect(await status(port, '/', { host: `127.0.0.1:${port}` })).toBe(401);
    expect(await status(port, '/?token=guess', { host: `127.0.0.1:${port}` })).toBe(401);
    expect(await status(port, new URL(served.loginUrl).search ? `/${new URL(served.loginUrl).search}` : '/', { host: `127.0.0.1:${port}` })).toBe(401);
    expect(await status(port, '/', { host: `127.0.0.1:${port}`, cookie: jar })).toBe(200);
    expect(await status(port, '/', { host: `attacker.example:${port}`, cookie: jar })).toBe(403);
    expect(await upgradeStatus(port, { cookie: jar, origin: served.origin })).toBe(101);
    expect(await upgradeStatus(port, { origin: served.origin })).toBe(401);
    expect(await upgradeStatus(port, { cookie: jar, origin: 'http://attacker.example' })).toBe(403);
    expect(await upgradeStatus(port, { cookie: jar, origin: served.origin, host: `attacker.example:${port}` })).toBe(403);
  });
});
