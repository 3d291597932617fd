import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Connection, connectionKey, headlessProtectors, secretKey, type VaultOp } from '../../main/core/index.ts';
import { openHostApi } from '../../main/api/host.ts';
import { BUILTIN_SERVICES } from '../../main/core/catalog/builtin/index.ts';
import { ensureRendererBuild } from '../../main/headless/renderer-build.ts';
import { axeSeriousViolations, launchChromium, openPage } from '../helpers/browser.ts';
import { serveDashboard, type ServedDashboard } from '../helpers/dashboard-serve.ts';
import { startUpstream } from '../helpers/http-upstream.ts';
import { runCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

// How the window looks and reads (issue 15): every view at the tray's 420 px and at 1280 px,
// light and dark, with screenshots in test-results/ui/; nothing overflows its box; every
// catalog service has a mark; search ranks what people mean; a changed skill is approved in
// the window and then gets tokens; opening pages writes no audit line.

const SHOTS = join(process.cwd(), 'test-results', 'ui');
const KEY = 'sk-or-v1-look-good-key';
const ENV_PASS = 'look passphrase long enough';

const SUMMARIZE_V1 = { id: 'summarize', name: 'Summarize', description: 'Summarises pages and threads for you.', credentials: [{ ref: 'openrouter:personal', methods: ['POST'], paths: ['/chat/completions'] }], tools: ['summarize'] };
const TRIAGE_V1 = { id: 'mail-triage', name: 'Mail triage', credentials: [{ ref: 'github:work', methods: ['GET'], paths: ['/repos/me', '/user'] }], tools: ['label'] };
// The new version asks for more: writing to issues, and a second connection.
const TRIAGE_V2 = { ...TRIAGE_V1, credentials: [{ ref: 'github:work', methods: ['GET', 'POST'], paths: ['/repos/me', '/user'] }, 'notion'], tools: ['label', 'file-issue'] };
const RESEARCH = { id: 'research', name: 'Research helper', description: 'Reads your docs to answer questions.', credentials: ['notion', { ref: 'google-drive', methods: ['GET'] }] };

async function seedConnections(home: string, env: NodeJS.ProcessEnv): Promise<void> {
  const host = await openHostApi({ home, ownerName: 'seed', protectors: headlessProtectors({ env }), scheduler: false });
  const now = Date.now();
  const iso = (msAgo: number) => new Date(now - msAgo).toISOString();
  const rows: Array<Record<string, unknown>> = [
    { service: 'openrouter', label: 'personal', authMethod: 'api_key', state: 'active', lastUsedAt: iso(4 * 60_000) },
    { service: 'github', label: 'work', authMethod: 'oauth2', state: 'needs_reauth', stateReason: 'the provider refused the refresh token: invalid_grant', expiresAt: now - 3_600_000, refreshable: true, account: 'octo-work' },
    { service: 'gmail', label: 'me', authMethod: 'oauth2', state: 'needs_reauth', stateReason: 'the provider revoked it', account: 'me@example.com' },
    { service: 'anthropic', label: 'team', authMethod: 'api_key', state: 'active', lastTest: { at: iso(60_000), ok: false, status: 429, message: 'Anthropic API answered HTTP 429: rate_limit_error', durationMs: 80 } },
    { service: 'linear', label: 'main', authMethod: 'api_key', state: 'error', stateReason: 'Linear answered HTTP 403: insufficient scope', lastTest: { at: iso(120_000), ok: false, status: 403, message: 'Linear answered HTTP 403: insufficient scope', durationMs: 90 } },
    { service: 'slack', label: 'acme', authMethod: 'bearer', state: 'expiring', expiresAt: now + 3 * 3_600_000 },
    { service: 'notion', label: 'wiki', authMethod: 'bearer', state: 'active', lastUsedAt: iso(3 * 86_400_000) },
    { service: 'ifttt', label: 'home automation with a long label', authMethod: 'api_key', state: 'active' },
    { service: 'acme-crm', label: 'sales', authMethod: 'bearer', state: 'active' },
  ];
  const ops: VaultOp[] = [];
  for (const [i, row] of rows.entries()) {
    const id = `${row['service']}-look${i}`;
    const connection = Connection.parse({ id, scopes: [], createdAt: iso((i + 1) * 86_400_000), params: {}, ...row });
    ops.push({ type: 'put', key: secretKey(id), value: row['service'] === 'openrouter' ? { type: 'api_key', key: KEY } : { type: 'api_key', key: `look-${i}` } });
    ops.push({ type: 'put', key: connectionKey(id), value: connection });
  }
  await host.core.vault.batch(ops);
  await host.dispose();
}

interface El {
  readonly scrollWidth: number;
  readonly clientWidth: number;
  readonly scrollHeight: number;
  readonly clientHeight: number;
  readonly className: string | { baseVal: string };
  readonly tagName: string;
  readonly textContent: string | null;
  readonly children: ArrayLike<El>;
  getBoundingClientRect(): { left: number; right: number; width: number };
  querySelectorAll(s: string): ArrayLike<El>;
}

/**
 * Every card, row and badge keeps its content inside its box, the page does not scroll
 * sideways, and nothing inside a box is clipped: no element wider than its own box (a label
 * cut to "C"), and no text cut off by an ellipsis or a line clamp (a name or a summary).
 */
async function overflowProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const g = globalThis as unknown as { document: { documentElement: El; querySelectorAll(s: string): ArrayLike<El> }; getComputedStyle(e: El): { overflowX: string; overflowY: string; textOverflow: string; webkitLineClamp: string; display: string } };
    const doc = g.document;
    const out: string[] = [];
    const name = (e: El) => `${e.tagName.toLowerCase()}.${typeof e.className === 'string' ? e.className.split(' ').join('.') : e.className.baseVal}`;
    const text = (e: El) => (e.textContent ?? '').trim().slice(0, 60);
    if (doc.documentElement.scrollWidth > doc.documentElement.clientWidth + 1) out.push(`page scrolls sideways (${doc.documentElement.scrollWidth} > ${doc.documentElement.clientWidth})`);
    const boxes = doc.querySelectorAll('.card, .catalog-card, .row, .badge, .notice, .segmented, .status-line, .banner');
    const seen = new Set<El>();
    for (let i = 0; i < boxes.length; i++) {
      const box = boxes[i]!;
      const rect = box.getBoundingClientRect();
      if (rect.width === 0) continue;
      if (box.scrollWidth > box.clientWidth + 1) out.push(`${name(box)}: content ${box.scrollWidth}px in ${box.clientWidth}px — "${text(box)}"`);
      const kids = box.children;
      for (let k = 0; k < kids.length; k++) {
        const r = kids[k]!.getBoundingClientRect();
        if (r.width > 0 && (r.right > rect.right + 1 || r.left < rect.left - 1)) out.push(`${name(box)}: a child sticks out — "${text(box)}"`);
      }
      // Inside the box: any element whose content is wider than it, or cut off below a clamp.
      const inner = box.querySelectorAll('*');
      for (let k = 0; k < inner.length; k++) {
        const el = inner[k]!;
        // Form fields scroll their own text; screen-reader-only text is clipped on purpose.
        if (seen.has(el) || /^(INPUT|SELECT|TEXTAREA|svg|path|OPTION)$/i.test(el.tagName) || el.clientWidth === 0 || name(el).includes('.visually-hidden')) continue;
        seen.add(el);
        const style = g.getComputedStyle(el);
        if (el.scrollWidth > el.clientWidth + 1) out.push(`${name(el)} is clipped or overflows (${el.scrollWidth}px in ${el.clientWidth}px) — "${text(el)}"`);
        const clips = style.overflowY !== 'visible' || (style.webkitLineClamp !== '' && style.webkitLineClamp !== 'none');
        if (clips && el.scrollHeight > el.clientHeight + 1) out.push(`${name(el)} is cut off below (${el.scrollHeight}px in ${el.clientHeight}px) — "${text(el)}"`);
      }
    }
    return out;
  });
}

describe('the window, at 420 and 1280 px, light and dark (Chromium against `sophon serve --dashboard`)', () => {
  let home: TempHome;
  let served: ServedDashboard;
  let browser: Browser;
  let page: Page;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  let env: NodeJS.ProcessEnv;
  const problems: string[] = [];

  const brokerCall = async (path: string, body: unknown) => {
    const info = JSON.parse(await readFile(join(home.dir, 'run', 'broker.json'), 'utf8')) as { url: string };
    const key = (await readFile(join(home.dir, 'run', 'runtime.key'), 'utf8')).trim();
    const res = await fetch(`${info.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown>, url: info.url };
  };
  const auditLines = async () => (await readFile(join(home.dir, 'audit', 'audit.jsonl'), 'utf8')).split('\n').filter(Boolean).length;

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    await ensureRendererBuild();
    home = await tempHome();
    env = { SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: ENV_PASS };
    upstream = await startUpstream((req, res) => {
      const ok = req.headers.authorization === `Bearer ${KEY}`;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { id: 'x', choices: [] } : { error: 'bad key' }));
    });
    await mkdir(join(home.dir, 'config'), { recursive: true, mode: 0o700 });
    await mkdir(join(home.dir, 'connectors'), { recursive: true, mode: 0o700 });
    await writeFile(join(home.dir, 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Services: { openrouter: { baseUrl: upstream.url } } } }));
    // A custom connector: no brand mark, so a monogram.
    await writeFile(
      join(home.dir, 'connectors', 'acme-crm.json'),
      JSON.stringify({ id: 'acme-crm', name: 'Acme CRM', category: 'other', auth: [{ type: 'bearer' }], api: { baseUrl: 'https://api.acme.example' }, test: { path: '/me' } }),
    );
    await seedConnections(home.dir, env);
    // Skills the way a person adds and approves them: the CLI, with no owner running yet.
    for (const [name, manifest] of [['summarize', SUMMARIZE_V1], ['mail-triage', TRIAGE_V1], ['research', RESEARCH]] as const) {
      await writeFile(join(home.dir, `${name}.json`), JSON.stringify(manifest));
      expect((await runCli(['skills', 'add', join(home.dir, `${name}.json`)], { env })).code).toBe(0);
    }
    expect((await runCli(['skills', 'approve', 'summarize'], { env })).code).toBe(0);
    expect((await runCli(['skills', 'approve', 'mail-triage'], { env })).code).toBe(0);
    // The agent's new version of mail-triage asks for more than was approved.
    await writeFile(join(home.dir, 'skills', 'mail-triage.json'), JSON.stringify(TRIAGE_V2), { mode: 0o600 });

    served = await serveDashboard(env);
    // An agent at work: a token for Summarize and a few calls through the broker.
    const minted = await brokerCall('/broker/mint', { skill: 'summarize', tool: 'summarize', connection: 'openrouter:personal', ttlSeconds: 600 });
    expect(minted.status).toBe(201);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${minted.url}/proxy/openrouter:personal/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${String(minted.json['token'])}`, 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const refused = await fetch(`${minted.url}/proxy/openrouter:personal/credits`, { headers: { authorization: `Bearer ${String(minted.json['token'])}` } });
    expect(refused.status).toBe(403);
    await refused.arrayBuffer();

    browser = await launchChromium();
    ({ page } = await openPage(browser, { width: 1280, height: 860, timeoutMs: 20_000 }, problems));
    await page.goto(served.loginUrl);
    await page.getByTestId('connection-list').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    const code = await served?.stop();
    await upstream?.dispose();
    await home?.dispose();
    expect(code).toBe(0);
  });

  const VIEWS: ReadonlyArray<{ readonly name: string; readonly open: (page: Page) => Promise<void> }> = [
    { name: 'connections', open: async (p) => { await p.getByRole('button', { name: 'Connections', exact: true }).click(); await p.getByTestId('needs-reauth').waitFor(); } },
    { name: 'catalog', open: async (p) => { await p.getByRole('button', { name: 'Add connection' }).click(); await p.getByRole('heading', { name: 'Add a connection' }).waitFor(); } },
    {
      name: 'service',
      open: async (p) => {
        await p.getByRole('button', { name: 'Add connection' }).click();
        await p.locator('.catalog-card[data-service=slack]').click();
        await p.getByRole('heading', { name: 'Connect Slack' }).waitFor();
        await p.getByTestId('service-details').locator('summary').click();
      },
    },
    { name: 'models', open: async (p) => { await p.getByRole('button', { name: 'Models', exact: true }).click(); await p.getByTestId('models-view').locator('[data-provider=anthropic]').waitFor(); } },
    { name: 'agents', open: async (p) => { await p.getByRole('button', { name: /^Agents/ }).click(); await p.getByTestId('skills-waiting').waitFor(); } },
    { name: 'audit', open: async (p) => { await p.getByRole('button', { name: 'Audit', exact: true }).click(); await p.locator('.audit-row').first().waitFor(); } },
  ];

  it('opening every view writes no audit line (no secret is read to show them)', async () => {
    const before = await auditLines();
    for (const view of VIEWS) await view.open(page);
    for (const view of VIEWS) await view.open(page);
    expect(await auditLines()).toBe(before);
  });

  for (const width of [420, 1280]) {
    for (const theme of ['light', 'dark'] as const) {
      it(`every view at ${width} px, ${theme}: screenshot, nothing overflows, no serious axe issue`, async () => {
        await page.setViewportSize({ width, height: width === 420 ? 720 : 860 });
        await page.getByRole('button', { name: 'Connections', exact: true }).click();
        await page.getByLabel('Theme').selectOption(theme);
        await page.locator(`html[data-theme=${theme}]`).waitFor({ state: 'attached' });
        for (const view of VIEWS) {
          await view.open(page);
          // From the top: the header is sticky, and a full-page shot keeps it where the view was scrolled.
          await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
          await page.screenshot({ path: join(SHOTS, `look-${view.name}-${width}-${theme}.png`), fullPage: true });
          // What the tray's window shows first, without scrolling.
          if (width === 420) await page.screenshot({ path: join(SHOTS, `look-${view.name}-${width}-${theme}-fold.png`) });
          expect(await overflowProblems(page), `${view.name} at ${width} px, ${theme}`).toEqual([]);
          expect(await axeSeriousViolations(page), `${view.name} at ${width} px, ${theme}`).toEqual([]);
        }
      });
    }
  }

  it('every service in the catalog has a mark: its brand icon where the catalog names one, else a monogram', async () => {
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.getByRole('button', { name: 'Add connection' }).click();
    const cards = page.locator('.catalog-card');
    await cards.first().waitFor();
    const marks = await cards.evaluateAll((els) => els.map((el) => ({ id: el.getAttribute('data-service'), logo: el.querySelector('.logo')?.getAttribute('data-logo') ?? null, drawn: Boolean(el.querySelector('.logo svg path[d]') ?? el.querySelector('.logo')?.textContent?.trim()) })));
    expect(marks.length).toBe(BUILTIN_SERVICES.length + 1);
    for (const mark of marks) expect(mark.drawn, `${mark.id} has a mark`).toBe(true);
    for (const service of BUILTIN_SERVICES) {
      expect(marks.find((m) => m.id === service.id)?.logo, service.id).toBe(service.icon ?? 'monogram');
    }
    expect(marks.find((m) => m.id === 'acme-crm')?.logo).toBe('monogram');
  });

  it('search ranks what people mean: "claude" → the subscription before the API; "mail" → Gmail, then Outlook', async () => {
    const search = page.getByLabel('Search services');
    const order = () => page.locator('.catalog-card').evaluateAll((els) => els.map((el) => el.getAttribute('data-service')));
    await search.fill('claude');
    await expect.poll(async () => (await order())[0]).toBe('anthropic-subscription');
    const claude = await order();
    expect(claude.indexOf('anthropic-subscription')).toBeLessThan(claude.indexOf('anthropic'));
    await search.fill('mail');
    await expect.poll(async () => (await order()).slice(0, 2)).toEqual(['gmail', 'outlook']);
    const mail = await order();
    // A mail server entry (smtp_imap), where the catalog has one, comes right after them.
    const mailServers = BUILTIN_SERVICES.filter((s) => s.auth.some((m) => m.type === 'smtp_imap')).map((s) => s.id);
    for (const id of mailServers) expect(mail.indexOf(id)).toBeLessThan(2 + mailServers.length + 1);
    await search.fill('');
  });

  it('the Slack page leads in plain words, shows its redirect URIs once (under Details, each with Copy) and no CLI command', async () => {
    await page.setViewportSize({ width: 420, height: 720 });
    await page.getByRole('button', { name: 'Add connection' }).click();
    await page.locator('.catalog-card[data-service=slack]').click();
    await page.getByRole('heading', { name: 'Connect Slack' }).waitFor();
    const form = page.locator('.method-card');
    // First what to do, in words: sign in with Slack, through an app registered there (linked), then its client ID.
    expect(await form.locator('h3').first().textContent()).toBe('Sign in with Slack');
    expect(await form.getByRole('link', { name: 'api.slack.com' }).count()).toBe(1);
    await form.getByLabel('Client ID').waitFor();
    await form.getByLabel(/^Client secret/).waitFor();
    const outsideDetails = await page.locator('.service-page > :not([data-testid=service-details])').allInnerTexts();
    expect(outsideDetails.join('\n')).not.toMatch(/PKCE|sophon:\/\/|localhost|127\.0\.0\.1|client_secret/i);
    // The addresses to register: folded under Details, shown once, each with its own Copy button.
    expect(await page.getByRole('list', { name: 'Redirect URIs to register' }).count()).toBe(0);
    await page.getByTestId('service-details').locator('summary').click();
    const list = page.getByRole('list', { name: 'Redirect URIs to register' });
    expect(await list.count()).toBe(1);
    expect(await page.locator('code', { hasText: 'sophon://oauth/callback' }).count()).toBe(1);
    const uris = await list.locator('code').allTextContents();
    expect(uris).toContain('sophon://oauth/callback');
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: served.origin });
    await list.getByRole('button', { name: 'Copy sophon://oauth/callback' }).click();
    await list.getByText('Copied').waitFor();
    expect(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())).toBe('sophon://oauth/callback');
    // No text on the page sends the person to a terminal.
    expect(await page.locator('.service-page').innerText()).not.toMatch(/sophon (connect|models|skills)/);
    await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, 'look-service-slack-420-details.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.getByRole('button', { name: 'All services' }).click();
    await page.getByRole('heading', { name: 'Add a connection' }).waitFor();
  });

  it('reads a rate-limited key the same in Models and in Connections: never "Usable" beside "Rate limited"', async () => {
    await page.getByRole('button', { name: 'Connections', exact: true }).click();
    const connection = page.locator('[data-testid=connection-list] li[data-state]', { hasText: 'team' });
    const connectionWord = (await connection.locator('.badge').first().textContent())?.trim();
    expect(connectionWord).toBe('Rate limited');
    await page.getByRole('button', { name: 'Models', exact: true }).click();
    const profile = page.getByTestId('models-view').locator('[data-provider=anthropic] li[data-profile="anthropic:team"]');
    await profile.waitFor();
    expect((await profile.locator('.badge').textContent())?.trim()).toBe(connectionWord);
    expect(await profile.locator('.row-reason').textContent()).toMatch(/limiting requests/);
    const check = page.getByTestId('models-check');
    expect(await check.textContent()).not.toContain('Every profile is usable');
    expect(await check.textContent()).toMatch(/team: Rate limited/);
  });

  it('reaches a service by keyboard alone: search, Tab to the card, Enter', async () => {
    await page.getByRole('button', { name: 'Add connection' }).click();
    await page.getByLabel('Search services').fill('openrouter');
    await page.keyboard.press('Tab'); // the "All" category chip
    const card = page.locator('.catalog-card[data-service=openrouter]');
    for (let i = 0; i < 20 && !(await card.evaluate((el) => el === el.ownerDocument.activeElement)); i++) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Connect OpenRouter' }).waitFor();
  });

  it('approves a changed skill in the window, seeing what changed, and its agent then gets a token', async () => {
    expect((await brokerCall('/broker/mint', { skill: 'mail-triage', tool: 'label', ttlSeconds: 60 })).status).toBe(403);
    await page.getByRole('button', { name: /^Agents/ }).click();
    const card = page.locator('article.approval[data-skill=mail-triage]');
    await card.waitFor();
    expect(await card.getAttribute('data-status')).toBe('changed');
    const diff = await card.locator('.diff li').allTextContents();
    expect(diff.join('\n')).toMatch(/GitHub · work may now also POST/);
    expect(diff.join('\n')).toMatch(/any Notion account/);
    expect(diff.join('\n')).toMatch(/New tool: file-issue/);
    await page.screenshot({ path: join(SHOTS, 'look-agents-approve-changed.png'), fullPage: true });
    await card.getByRole('button', { name: 'Approve the changes' }).click();
    await page.getByText('Approved Mail triage.').waitFor();
    await card.waitFor({ state: 'detached' });
    await page.locator('li[data-skill=mail-triage][data-status=approved]').waitFor();
    const minted = await brokerCall('/broker/mint', { skill: 'mail-triage', tool: 'file-issue', ttlSeconds: 60 });
    expect(minted.status).toBe(201);
    // The new token shows with its skill, tool and time left; the kill switch ends them all.
    const live = page.getByTestId('live-tokens');
    await live.locator('li[data-token]', { hasText: 'file-issue' }).waitFor();
    await live.getByRole('button', { name: 'End all' }).click();
    await live.getByText('No agent holds a token').waitFor();
  });

  it('shows the audit as sentences in groups, filters by outcome, and shows the detail on demand', async () => {
    await page.getByRole('button', { name: 'Audit', exact: true }).click();
    const sentence = page.locator('.audit-sentence', { hasText: 'Summarize (skill) called OpenRouter · personal 3 times' });
    await sentence.waitFor();
    await page.getByLabel('Outcome').selectOption('failed');
    await page.locator('.audit-sentence', { hasText: 'Summarize (skill) was refused access to OpenRouter · personal' }).waitFor();
    // The refused line is in the unfiltered list too: wait for the filtered answer to replace it.
    await expect.poll(() => page.locator('.audit-sentence', { hasText: 'called OpenRouter' }).count(), { timeout: 15_000 }).toBe(0);
    await page.locator('.audit-row summary', { hasText: 'was refused access to OpenRouter' }).click();
    await page.locator('.audit-details[open] .audit-lines dt', { hasText: 'Request' }).first().waitFor();
    expect(await page.content()).not.toContain(KEY);
    await page.getByLabel('Outcome').selectOption('');
  });

  it('had no script errors or CSP violations', () => {
    expect(problems).toEqual([]);
  });
});
