import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, startCli } from '../helpers/run-cli.ts';
import { startOpenAIApi } from '../helpers/model-api-standins.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

const OPENAI_KEY = 'sk-proj-CANARY-renew-0123456789abcdef';
const fixture = fileURLToPath(new URL('../fixtures/openai-twice.mjs', import.meta.url));

let home: TempHome;
let env: NodeJS.ProcessEnv;
let openai: Awaited<ReturnType<typeof startOpenAIApi>>;
let serve: ReturnType<typeof startCli>;

beforeAll(async () => {
  home = await tempHome('sophon-run-renew-');
  openai = await startOpenAIApi(OPENAI_KEY);
  await mkdir(join(home.dir, 'config'), { recursive: true });
  // Broker tokens live 3 s here, so a program that works for 8 s outlives two of them unless they are renewed.
  await writeFile(
    join(home.dir, 'config', 'appsettings.json'),
    JSON.stringify({ Sophon: { Broker: { DefaultTtlSeconds: 3, MaxTtlSeconds: 3 }, Services: { openai: { baseUrl: openai.url } } } }),
  );
  env = { SOPHON_HOME: home.dir, HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'renew test passphrase' };
  serve = startCli(['serve'], { env, ready: /listening on/ });
  await serve.ready;
  const manifest = join(home.dir, 'long.json');
  await writeFile(manifest, JSON.stringify({ id: 'long-job', name: 'Long job', credentials: ['openai'] }));
  for (const [args, input] of [
    [['connect', 'add', 'openai'], `${OPENAI_KEY}\n`],
    [['skills', 'add', manifest], undefined],
    [['skills', 'approve', 'long-job'], undefined],
  ] as const) {
    const result = await runCli(args, { env, ...(input !== undefined ? { input } : {}) });
    expect(result.code, result.stderr).toBe(0);
  }
}, 60_000);

afterAll(async () => {
  await serve?.stop();
  await openai?.dispose();
  await home?.dispose();
});

describe('sophon run keeps the child\'s token alive while it runs', () => {
  it('a program that outlives its token\'s lifetime still gets through: the token is renewed, then dies with the child', async () => {
    const result = await runCli(['run', '--skill', 'long-job', '--', process.execPath, fixture], { env: { ...env, WAIT_MS: '8000' }, timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^first: openai says hello/m);
    expect(result.stdout).toMatch(/^second: openai says hello/m);
    expect(result.stderr).not.toMatch(/could not be renewed/);
    expect(`${result.stdout}${result.stderr}`).not.toContain(OPENAI_KEY);
    const token = /with broker token (\S+)/.exec(result.stderr)?.[1];
    expect(token).toBeDefined();
    const live = await runCli(['broker', 'status', '--json'], { env });
    expect(live.stdout).not.toContain(token!);
  }, 90_000);
});
