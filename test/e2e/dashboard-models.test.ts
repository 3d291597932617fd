import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuild } from '../../main/headless/renderer-build.ts';
import { axeSeriousViolations, launchChromium, openPage } from '../helpers/browser.ts';
import { serveDashboard, type ServedDashboard } from '../helpers/dashboard-serve.ts';
import { startGithubStandin } from '../helpers/github-standin.ts';
import { startOpenAIStandin } from '../helpers/openai-standin.ts';
import { installStub, writeClaudeCredentials } from '../helpers/provider-env.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

const SHOTS = join(process.cwd(), 'test-results', 'ui');
const CLAUDE_TOKEN = 'sk-ant-oat01-CANARYclaudecode000';
const SETUP_TOKEN = 'sk-ant-oat01-CANARYsetuptoken000';

/** Whether something else holds a port (Codex's registration allows only localhost:1455 and 1457). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, 'localhost', () => server.close(() => resolve(true)));
  });
}

/**
 * The model providers in the window (issue 5, item 6), through a real `sophon serve
 * --dashboard` whose HOME holds a Claude Code sign-in and a `claude` on PATH, with GitHub
 * and OpenAI played by the stand-ins the integration tests use.
 */
describe('dashboard model providers (Claude Code card, Copilot device code, Codex paste-back, profiles)', () => {
  let home: TempHome;
  let github: Awaited<ReturnType<typeof startGithubStandin>>;
  let openai: Awaited<ReturnType<typeof startOpenAIStandin>>;
  let served: ServedDashboard;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    await ensureRendererBuild();
    home = await tempHome('sophon-models-e2e-');
    const userHome = join(home.dir, 'home');
    const sophonHome = join(home.dir, 'sophon');
    await writeClaudeCredentials(join(userHome, '.claude'), {
      accessToken: CLAUDE_TOKEN,
      refreshToken: 'sk-ant-ort01-CANARYrefresh0000',
      expiresAt: Date.now() + 7 * 86_400_000,
      scopes: ['user:inference', 'user:profile'],
      subscriptionType: 'max',
    });
    await installStub(userHome, 'claude');
    // Polls stay pending until the test has looked at the code; a 1 s interval keeps it quick.
    github = await startGithubStandin({ polls: ['authorization_pending'], interval: 1 });
    openai = await startOpenAIStandin({ accountId: 'acct-42', plan: 'plus' });
    await mkdir(join(sophonHome, 'config'), { recursive: true, mode: 0o700 });
    const services = {
      'github-copilot': { deviceAuthorizationEndpoint: `${github.url}/login/device/code`, tokenEndpoint: `${github.url}/login/oauth/access_token`, githubApiUrl: github.url },
      'openai-codex': { authorizationEndpoint: `${openai.url}/oauth/authorize`, tokenEndpoint: `${openai.url}/oauth/token`, baseUrl: `${openai.url}/backend-api/codex` },
    };
    await writeFile(join(sophonHome, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Services: services } }));
    served = await serveDashboard({
      SOPHON_HOME: sophonHome,
      SOPHON_VAULT_PASSPHRASE: 'e2e passphrase long enough',
      HOME: userHome,
      PATH: `${join(userHome, 'bin')}:${process.env['PATH'] ?? ''}`,
    });
    browser = await launchChromium();
    ({ page } = await openPage(browser, { width: 1100, height: 900, timeoutMs: 15_000 }, problems));
    await page.goto(served.loginUrl);
    await page.getByRole('heading', { name: 'No connections yet' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    const code = await served?.stop();
    await github?.dispose();
    await openai?.dispose();
    await home?.dispose();
    expect(code).toBe(0);
  });

  const profileRow = (id: string) => page.locator(`[data-testid=models-view] li[data-profile="${id}"]`);
  const section = (provider: string) => page.locator(`[data-testid=models-view] section[data-provider=${provider}]`);
  const isFocused = (el: Locator) => el.evaluate((node) => node === (node as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement);
  /** Presses the provider's "Add a sign-in" (unless its form is open already) and picks the way. */
  const addSignIn = async (provider: string, service: string, way: string) => {
    await section(provider).waitFor();
    const open = section(provider).getByRole('button', { name: 'Add a sign-in' });
    if ((await open.getAttribute('aria-expanded')) !== 'true') await open.click();
    const card = page.getByTestId(`provider-${service}`);
    await card.getByRole('radio', { name: way }).check();
    return card;
  };

  it('keeps the sign-in ways behind one "Add a sign-in" per provider: by keyboard, one form open at a time, Escape and Cancel close it', async () => {
    await page.getByRole('button', { name: 'Models', exact: true }).click();
    await section('github-copilot').waitFor();
    // Nothing open yet: each provider without a profile says so in one line, and no terms warning shows.
    await section('openai-codex').getByText('No sign-in yet. Use your ChatGPT plan through Codex.').waitFor();
    await section('github-copilot').getByText('No sign-in yet. Use your Copilot seat for models.').waitFor();
    expect(await page.locator('[data-testid^=provider-]').count()).toBe(0);
    expect(await page.getByTestId('models-view').getByRole('note').count()).toBe(0);

    const copilotButton = section('github-copilot').getByRole('button', { name: 'Add a sign-in' });
    const codexButton = section('openai-codex').getByRole('button', { name: 'Add a sign-in' });
    expect(await copilotButton.getAttribute('aria-expanded')).toBe('false');
    await copilotButton.focus();
    await page.keyboard.press('Enter');
    const copilot = page.getByTestId('provider-github-copilot');
    await copilot.waitFor();
    expect(await copilotButton.getAttribute('aria-expanded')).toBe('true');
    expect(await copilotButton.getAttribute('aria-controls')).toBe(await copilot.evaluate((el) => (el as { parentElement: { id: string } }).parentElement.id));
    // The keyboard is in the form, on the chosen way; the arrows pick another.
    await expect.poll(() => isFocused(copilot.getByRole('radio', { name: 'Use a code' }))).toBe(true);
    await page.keyboard.press('ArrowRight');
    await copilot.getByRole('form', { name: 'Paste a GitHub token' }).waitFor();
    expect(await page.getByTestId('models-view').getByRole('note').count()).toBe(1);
    await page.setViewportSize({ width: 420, height: 800 });
    await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, '29-models-add-open-420.png'), fullPage: true });
    expect(await axeSeriousViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 1100, height: 900 });

    // Opening another provider's form closes the first.
    await codexButton.click();
    const codex = page.getByTestId('provider-openai-codex');
    await codex.waitFor();
    await copilot.waitFor({ state: 'detached' });
    expect(await copilotButton.getAttribute('aria-expanded')).toBe('false');
    // Escape closes it and gives the keyboard back to the button.
    await page.keyboard.press('Escape');
    await codex.waitFor({ state: 'detached' });
    expect(await codexButton.getAttribute('aria-expanded')).toBe('false');
    expect(await isFocused(codexButton)).toBe(true);
    // So does Cancel.
    await page.keyboard.press('Enter');
    await codex.getByRole('button', { name: 'Cancel' }).click();
    await codex.waitFor({ state: 'detached' });
    expect(await isFocused(codexButton)).toBe(true);
  });

  it('shows Claude Code installed and signed in with its plan and the terms reminder, links it, and lists the profile', async () => {
    await page.getByRole('button', { name: 'Models', exact: true }).click();
    const card = await addSignIn('anthropic', 'anthropic-subscription', 'Link Claude Code');
    const cli = card.getByTestId('cli-claude-code');
    await cli.getByText('Signed in', { exact: true }).waitFor();
    expect(await cli.getAttribute('data-state')).toBe('usable');
    expect(await cli.getByTestId('cli-plan').textContent()).toBe('max');
    await cli.getByText('~/.claude/.credentials.json').waitFor();
    expect(await cli.locator('dd').first().textContent()).toBe('Yes');
    expect(await card.getByRole('note').textContent()).toMatch(/terms decide whether a subscription may be used programmatically/);
    // Found on this machine: already a profile, read in place, not yet linked.
    await profileRow('anthropic:claude-cli').getByText(/found on this machine, not linked/).waitFor();
    await page.screenshot({ path: join(SHOTS, '30-models-claude-found.png'), fullPage: true });

    // By keyboard: the button, then focus stays on what replaces it.
    await cli.getByRole('button', { name: 'Link Claude Code sign-in' }).focus();
    await page.keyboard.press('Enter');
    const linked = cli.getByTestId('cli-claude-code-linked');
    await linked.getByText('Linked as profile anthropic:claude-cli').waitFor();
    await expect.poll(() => linked.evaluate((el) => el === (el.ownerDocument as { activeElement: unknown }).activeElement)).toBe(true);
    await page.getByText('Linked as profile anthropic:claude-cli.').waitFor();
    const row = profileRow('anthropic:claude-cli');
    await row.getByText(/ · linked/).waitFor();
    const meta = await row.locator('.row-meta').textContent();
    expect(meta).toMatch(/CLI sign-in, read in place · linked · plan max · expires in \d+ days · no cost per token/);
    expect(await row.locator('.badge').textContent()).toBe('Usable');
    expect((await page.getByTestId('models-check').textContent())?.trim()).toBe('Every profile is usable.');
    expect(await page.content()).not.toContain('CANARY');
    await page.screenshot({ path: join(SHOTS, '31-models-claude-linked.png'), fullPage: true });
    expect(await axeSeriousViolations(page)).toEqual([]);

    // The linked sign-in is a connection like any other.
    await page.getByRole('button', { name: 'Connections', exact: true }).click();
    const connection = page.locator('[data-testid=connection-list] li', { hasText: 'claude-cli' });
    await connection.getByText('Read from a CLI').waitFor();
    await connection.getByText('Claude subscription (Claude Code) · claude-cli').waitFor();
  });

  it('takes a pasted setup-token in a hidden field it empties, and reorders the profiles', async () => {
    await page.getByRole('button', { name: 'Models', exact: true }).click();
    const card = await addSignIn('anthropic', 'anthropic-subscription', 'Paste a token');
    const form = card.getByRole('form', { name: 'Paste a setup-token' });
    const field = form.getByLabel('Token from claude setup-token');
    expect(await field.getAttribute('type')).toBe('password');
    await form.getByLabel('Profile name (optional)').fill('work');
    await field.fill(SETUP_TOKEN);
    await form.getByRole('button', { name: 'Save setup-token' }).click();
    await page.getByText('Saved the token as profile anthropic:work.').waitFor();
    expect(await field.inputValue()).toBe('');
    await profileRow('anthropic:work').getByText(/Pasted token · linked/).waitFor();
    expect(await page.content()).not.toContain('CANARY');

    const group = page.locator('[data-testid=models-view] section[data-provider=anthropic]');
    // By default a pasted token comes before a CLI sign-in.
    const order = () => group.locator('li[data-profile]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-profile')));
    await group.getByText('Tried in this order (the default)').waitFor();
    await expect.poll(order).toEqual(['anthropic:work', 'anthropic:claude-cli']);
    await page.getByRole('button', { name: 'Try anthropic:claude-cli earlier' }).click();
    await group.getByText('Tried in the order you set').waitFor();
    await expect.poll(order).toEqual(['anthropic:claude-cli', 'anthropic:work']);
    await page.screenshot({ path: join(SHOTS, '32-models-order.png'), fullPage: true });
    await group.getByRole('button', { name: 'Reset the order of Claude (Anthropic)' }).click();
    await group.getByText('Tried in this order (the default)').waitFor();
    await expect.poll(order).toEqual(['anthropic:work', 'anthropic:claude-cli']);
  });

  it('shows why a pasted GitHub token was refused, and does not keep it in the field', async () => {
    const card = await addSignIn('github-copilot', 'github-copilot', 'Paste a token');
    const form = card.getByRole('form', { name: 'Paste a GitHub token' });
    await form.getByLabel('GitHub token').fill('ghp_CANARYunknown000');
    await form.getByRole('button', { name: 'Save GitHub token' }).click();
    await form.getByRole('alert').getByText(/GitHub/).waitFor();
    expect(await form.getByLabel('GitHub token').inputValue()).toBe('');
    expect(await page.content()).not.toContain('CANARY');
  });

  it('signs in to Copilot with a device code: the code, the link and a countdown, then the profile', async () => {
    const card = await addSignIn('github-copilot', 'github-copilot', 'Import gh');
    await card.getByTestId('cli-gh').getByText('Not signed in', { exact: true }).waitFor();
    await card.getByRole('radio', { name: 'Use a code' }).check();
    await card.getByRole('button', { name: 'Sign in to GitHub with a code' }).click();
    const panel = page.getByTestId('signin-panel');
    await panel.getByRole('heading', { name: 'Sign in to GitHub Copilot' }).waitFor();
    expect(await panel.getByTestId('user-code').textContent()).toBe('WDJB-MJHT');
    expect(await panel.getByTestId('verification-link').getAttribute('href')).toBe('https://github.com/login/device');
    await panel.getByText(/Code expires in \d+:\d\d/).waitFor();
    await page.screenshot({ path: join(SHOTS, '33-models-copilot-code.png'), fullPage: true });
    expect(await axeSeriousViolations(page)).toEqual([]);

    github.setPolls(['approve']);
    await page.locator('[data-testid=signin-panel][data-status=completed]').waitFor();
    await panel.getByText(/^Signed in to GitHub Copilot/).waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    const row = profileRow('github-copilot:default');
    await row.getByText(/Signed in through Sophon · linked/).waitFor();
    await row.locator('.badge', { hasText: 'Usable' }).waitFor();
    expect(github.state.exchangeTimes.length).toBeGreaterThan(0);
  });

  it('signs in to ChatGPT through Codex by pasting back the address the browser ended on', async (ctx) => {
    if (!(await portFree(1455)) && !(await portFree(1457))) ctx.skip('localhost:1455 and :1457 are both taken — the Codex sign-in needs one');
    const card = await addSignIn('openai-codex', 'openai-codex', 'Link Codex');
    await card.getByTestId('cli-codex').getByText('Not signed in', { exact: true }).waitFor();
    await card.getByRole('radio', { name: 'Sign in with ChatGPT' }).check();
    const popup = page.waitForEvent('popup');
    await card.getByRole('button', { name: 'Sign in with ChatGPT in your browser' }).click();
    await (await popup).close();
    const panel = page.getByTestId('signin-panel');
    await panel.getByRole('heading', { name: 'Sign in to ChatGPT plan (Codex)' }).waitFor();
    const authorizationUrl = (await panel.getByRole('link', { name: 'Open the sign-in page' }).getAttribute('href')) ?? '';
    expect(authorizationUrl.startsWith(`${openai.url}/oauth/authorize?`)).toBe(true);
    const box = panel.getByLabel('Address your browser ended on');
    await page.screenshot({ path: join(SHOTS, '34-models-codex-paste.png'), fullPage: true });

    await box.fill('http://localhost:1455/auth/callback?code=nope&state=wrong');
    await panel.getByRole('button', { name: 'Finish sign-in' }).click();
    await panel.getByRole('alert').getByText(/matches no pending sign-in/).waitFor();

    await box.fill(openai.approve(authorizationUrl));
    await panel.getByRole('button', { name: 'Finish sign-in' }).click();
    await page.locator('[data-testid=signin-panel][data-status=completed]').waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    const row = profileRow('openai-codex:default');
    await row.getByText(/Signed in through Sophon · linked · plan plus/).waitFor();
    await row.getByText(/renewed by Sophon/).waitFor();
  });

  it('shows the same card when the provider is picked from the catalog, like any other service', async () => {
    await page.getByRole('button', { name: 'Add connection' }).first().click();
    await page.getByLabel('Search services').fill('claude');
    await page.getByRole('button', { name: /^Claude subscription \(Claude Code\)/ }).click();
    await page.getByRole('heading', { name: 'Connect Claude subscription (Claude Code)' }).waitFor();
    const card = page.getByTestId('provider-anthropic-subscription');
    await card.getByTestId('cli-claude-code-linked').waitFor();
    expect(await card.getByRole('note').textContent()).toMatch(/terms decide/);
    expect(await axeSeriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'See all model profiles' }).click();
    await page.getByRole('heading', { name: /^Model profiles/ }).waitFor();
  });

  it('passes the accessibility scan in the dark theme too', async () => {
    await page.getByLabel('Theme').selectOption('dark');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { dataset: Record<string, string> } } }).document.documentElement.dataset['theme'])).toBe('dark');
    await page.getByTestId('models-view').waitFor();
    await page.screenshot({ path: join(SHOTS, '35-models-dark.png'), fullPage: true });
    expect(await axeSeriousViolations(page)).toEqual([]);
    await page.getByLabel('Theme').selectOption('system');
  });

  it('had no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
