import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, startCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

const hooks = fileURLToPath(new URL('../fixtures/record-loads.mjs', import.meta.url));
let home: TempHome;
let serve: ReturnType<typeof startCli>;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  home = await tempHome('sophon-loads-');
  env = { SOPHON_HOME: home.dir, HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'loads test passphrase' };
  serve = startCli(['serve'], { env, ready: /listening on/ });
  await serve.ready;
}, 60_000);

afterAll(async () => {
  await serve?.stop();
  await home?.dispose();
});

/** What a fresh `sophon …` process loads, module by module. */
async function loads(args: string[]): Promise<string[]> {
  const log = join(home.dir, `loads-${args.join('-')}.txt`);
  const result = await runCli(args, { env: { ...env, SOPHON_VAULT_PASSPHRASE: '', NODE_OPTIONS: `--import ${hooks}`, SOPHON_TEST_LOAD_LOG: log } });
  expect(result.code, result.stderr).toBe(0);
  return (await readFile(log, 'utf8')).trim().split('\n');
}

describe('a command the running owner answers loads the socket client, not the core', () => {
  it.each([['connect', 'list'], ['skills', 'list']])('sophon %s %s loads no zod, no undici, no catalog and no vault code', async (...args) => {
    const urls = await loads(args);
    expect(urls.some((u) => u.includes('/dist/cli/') || u.includes('/main/cli/'))).toBe(true);
    const heavy = urls.filter((u) => /node_modules\/(zod|undici|imapflow|nodemailer|@aws-sdk|@azure)\//.test(u));
    expect(heavy).toEqual([]);
    // The core's own chunks carry the catalog and the vault: none of them is loaded.
    const sources = await Promise.all(urls.filter((u) => u.startsWith('file:') && u.includes('/dist/cli/')).map(async (u) => readFile(fileURLToPath(u), 'utf8')));
    expect(sources.filter((text) => /^\/\/ main\/core\/(catalog\/catalog|vault\/local-vault|connections\/connection-service)\.ts$/m.test(text))).toEqual([]);
  });
});
