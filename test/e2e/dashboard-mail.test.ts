import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuild } from '../../main/headless/renderer-build.ts';
import { axeSeriousViolations, launchChromium, openPage } from '../helpers/browser.ts';
import { serveDashboard, type ServedDashboard } from '../helpers/dashboard-serve.ts';
import { ALICE, startMailFixture, type MailFixture } from '../helpers/mail-fixture.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

const SHOTS = join(process.cwd(), 'test-results', 'ui');

describe('connecting a mailbox in the window (Chromium against `sophon serve --dashboard`, real Dovecot and SMTP)', () => {
  let fx: MailFixture;
  let home: TempHome;
  let served: ServedDashboard;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    await ensureRendererBuild();
    fx = await startMailFixture();
    home = await tempHome();
    await fx.writeSettings(home.dir);
    served = await serveDashboard({ SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'e2e passphrase long enough' });
    browser = await launchChromium();
    ({ page } = await openPage(browser, { width: 1100, height: 900, timeoutMs: 30_000 }, problems));
    await page.goto(served.loginUrl);
    await page.getByRole('heading', { name: 'No connections yet' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    const code = await served?.stop();
    await home?.dispose();
    await fx?.stop();
    expect(code).toBe(0);
  });

  const fillServers = async () => {
    await page.getByLabel('Server', { exact: true }).first().fill('127.0.0.1');
    await page.getByLabel('Security', { exact: true }).first().selectOption('starttls');
    await page.getByLabel('Port', { exact: true }).first().fill(String(fx.dovecot.imapPort));
    await page.getByLabel('Server', { exact: true }).nth(1).fill('127.0.0.1');
    await page.getByLabel('Security', { exact: true }).nth(1).selectOption('implicit');
    await page.getByLabel('Port', { exact: true }).nth(1).fill(String(fx.implicit.port));
  };

  it('shows a preset with its servers and where the app password is made', async () => {
    await page.getByRole('button', { name: 'Add connection' }).first().click();
    await page.getByLabel('Search services').fill('fastmail');
    await page.getByRole('button', { name: /^Fastmail/ }).click();
    await page.getByRole('heading', { name: 'Connect Fastmail' }).waitFor();
    await page.getByText('Servers: imap.fastmail.com:993 and smtp.fastmail.com:465').waitFor();
    await page.getByRole('link', { name: 'https://www.fastmail.com/help/clients/apppassword.html' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'mail-01-fastmail-preset.png'), fullPage: true });
    expect(await axeSeriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'All services' }).click();
  });

  it('a wrong password shows what each server answered and stores nothing', async () => {
    await page.getByLabel('Search services').fill('mail server');
    await page.getByRole('button', { name: /^Mail server \(IMAP\/SMTP\)/ }).click();
    await page.getByRole('heading', { name: 'Connect Mail server (IMAP/SMTP)' }).waitFor();
    await page.getByRole('button', { name: 'Connect Mail server (IMAP/SMTP)' }).click();
    await page.getByText('Enter the email address').waitFor();
    await page.getByText("Enter the IMAP server's host name.").waitFor();
    await page.getByLabel('Email address').fill(ALICE.address);
    await page.getByLabel('Label (optional)').fill('work');
    await page.getByLabel('Password', { exact: true }).fill('a wrong password');
    await fillServers();
    await page.getByLabel('Security', { exact: true }).first().selectOption('plain');
    await page.getByLabel('Server', { exact: true }).first().fill('imap.example.com');
    await page.getByText('Without TLS the password would cross the network in plain text').waitFor();
    await page.getByLabel('Server', { exact: true }).first().fill('127.0.0.1');
    await page.getByLabel('Security', { exact: true }).first().selectOption('starttls');
    await page.getByRole('button', { name: 'Connect Mail server (IMAP/SMTP)' }).click();
    await page.getByText('IMAP refused the password: NO [AUTHENTICATIONFAILED] Authentication failed.').waitFor({ timeout: 30_000 });
    await page.getByText('SMTP refused the password: 535 5.7.8 Authentication credentials invalid').waitFor();
    await page.getByText('nothing was stored — check the username and password').waitFor();
    await page.screenshot({ path: join(SHOTS, 'mail-02-wrong-password.png'), fullPage: true });
    expect(await axeSeriousViolations(page)).toEqual([]);
  });

  it('connects with the right password and lists the mailbox; Test shows IMAP and SMTP', async () => {
    await page.getByLabel('Password', { exact: true }).fill(ALICE.password);
    await page.getByRole('button', { name: 'Connect Mail server (IMAP/SMTP)' }).click();
    await page.getByText('Added Mail server (IMAP/SMTP) · work: both servers accepted the login.').waitFor({ timeout: 30_000 });
    const list = page.getByTestId('connection-list');
    await list.getByText(ALICE.address).waitFor();
    expect(await page.content()).not.toContain(ALICE.password);
    await page.getByRole('button', { name: 'Test Mail server (IMAP/SMTP) · work' }).click();
    await list.getByText(/IMAP ok — INBOX has 0 messages/).waitFor({ timeout: 30_000 });
    await list.getByText(/SMTP ok — 127\.0\.0\.1:\d+ \(TLS\) accepted the login/).waitFor();
    await page.screenshot({ path: join(SHOTS, 'mail-03-connected-tested.png'), fullPage: true });
  });

  it('a password the provider revoked turns it to needs re-auth; Reconnect takes a new one', async () => {
    await fx.dovecot.setPassword(ALICE.address, 'fresh-app-password');
    fx.implicit.setPassword(ALICE.address, 'fresh-app-password');
    try {
      await page.getByRole('button', { name: 'Test Mail server (IMAP/SMTP) · work' }).click();
      await page.locator('[data-state=needs_reauth]').first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(SHOTS, 'mail-04-needs-reauth.png'), fullPage: true });
      await page.getByRole('button', { name: 'Reconnect Mail server (IMAP/SMTP) · work' }).first().click();
      await page.getByRole('heading', { name: `New password for ${ALICE.address}` }).waitFor();
      await page.getByLabel('Password', { exact: true }).fill('fresh-app-password');
      await page.screenshot({ path: join(SHOTS, 'mail-05-reconnect.png'), fullPage: true });
      expect(await axeSeriousViolations(page)).toEqual([]);
      await page.getByRole('button', { name: 'Save the new password' }).click();
      await page.getByText('Mail server (IMAP/SMTP) · work has its new password.').waitFor({ timeout: 30_000 });
      await page.locator('[data-state=active]').first().waitFor();
    } finally {
      await fx.dovecot.setPassword(ALICE.address, ALICE.password);
      fx.implicit.setPassword(ALICE.address, ALICE.password);
    }
  });

  it('had no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
