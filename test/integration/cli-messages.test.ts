// Messages people were misled by: each is one line naming the cause and the fix.
import { describe, it, expect, afterEach } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { runCli, startCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { fastPassphrase } from '../helpers/protectors.ts';
import { openHostApi } from '../../main/api/host.ts';
import { connectSocket } from '../../main/api/wire.ts';

const PASSPHRASE = 'messages test passphrase';
let home: TempHome | undefined;
afterEach(async () => {
  await home?.dispose();
  home = undefined;
});

async function fresh(): Promise<NodeJS.ProcessEnv> {
  home = await tempHome();
  return { SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: PASSPHRASE, HOME: home.dir };
}

function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^sophon: .+ — .+/);
  return lines[0]!;
}

describe('sophon catalog', () => {
  it('needs no vault and no passphrase, and lists an invalid connector with its error', async () => {
    home = await tempHome();
    await mkdir(join(home.dir, 'connectors'), { recursive: true });
    await writeFile(join(home.dir, 'connectors', 'broken.json'), JSON.stringify({ id: 'broken', name: 'Broken', category: 'other', auth: [{ type: 'telepathy' }], api: { baseUrl: 'https://x.example' } }));
    await writeFile(
      join(home.dir, 'connectors', 'acme.json'),
      JSON.stringify({ id: 'acme', name: 'Acme', category: 'other', auth: [{ type: 'api_key', help: 'https://acme.example/keys' }], api: { baseUrl: 'https://api.acme.example' } }),
    );
    // No SOPHON_VAULT_PASSPHRASE and no terminal: opening a vault would fail, so none may be opened.
    const env = { SOPHON_HOME: home.dir, HOME: home.dir };
    const human = await runCli(['catalog'], { env });
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^acme +Acme \(custom\) +other +api_key$/m);
    expect(human.stdout).toMatch(/^openrouter +OpenRouter +ai +api_key$/m);
    expect(human.stdout).toMatch(/\nINVALID \(not loaded; fix or remove the file\):\n {2}.*broken\.json: .*auth.*\n$/);
    expect(human.stderr).toBe('');
    const json = await runCli(['catalog', '--json'], { env });
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as Array<{ id: string }>).map((s) => s.id)).toContain('acme');
    expect(json.stderr).toMatch(/^sophon: .*broken\.json is not loaded: .+ — fix or remove the file\n$/);
    expect(existsSync(join(home.dir, 'config', 'vault.enc'))).toBe(false);
  });
});

describe('messages', () => {
  it('a key that is far too long: says so, reads no further, stores nothing', async () => {
    const env = await fresh();
    for (const size of [9000, 5 * 1024 * 1024]) {
      const add = await runCli(['connect', 'add', 'openrouter'], { env, input: 'k'.repeat(size) });
      expect(add.code).toBe(1);
      expect(oneLine(add.stderr)).toBe('sophon: the OpenRouter API key is longer than 8 KiB — is this the right file? nothing was stored');
    }
    const list = JSON.parse((await runCli(['connect', 'list', '--json'], { env })).stdout) as unknown[];
    expect(list).toEqual([]);
  });

  it('through the owner: the same size message, and a request over 1 MiB is named as such, not as a lost owner', async () => {
    const env = await fresh();
    const serve = startCli(['serve'], { env, ready: /listening on/ });
    await serve.ready;
    try {
      const add = await runCli(['connect', 'add', 'openrouter'], { env: { SOPHON_HOME: env['SOPHON_HOME'] }, input: 'k'.repeat(20_000) });
      expect(oneLine(add.stderr)).toBe('sophon: the OpenRouter API key is longer than 8 KiB — is this the right file? nothing was stored');

      const socketFile = join(String(env['SOPHON_HOME']), 'run', 'sophon.sock');
      const client = await connectSocket(socketFile);
      const refused = await client!.call('connections.add', { service: 'openrouter', secret: { type: 'api_key', key: 'k'.repeat(2 * 1024 * 1024) } });
      await client!.close();
      expect(refused).toEqual({ ok: false, error: { code: 'INPUT_TOO_LARGE', message: 'the input to connections.add is larger than 1 MiB, more than the Sophon owner accepts — is the input the right file? nothing was changed' } });

      // A client that sends it anyway is told why before the owner hangs up.
      const answer = await new Promise<string>((resolve) => {
        const raw = connect(socketFile);
        let text = '';
        raw.setEncoding('utf8').on('data', (d: string) => (text += d));
        raw.on('close', () => resolve(text));
        raw.on('error', () => undefined);
        raw.write(`{"id":1,"method":"connections.list","params":{"pad":"${'x'.repeat(1_100_000)}"}}\n`);
      });
      expect(JSON.parse(answer.split('\n')[0]!)).toEqual({ result: { ok: false, error: { code: 'INPUT_TOO_LARGE', message: expect.stringMatching(/^the request is larger than 1 MiB/) } } });
      // And the owner is still there for everyone else.
      expect((await runCli(['connect', 'list', '--json'], { env })).code).toBe(0);
    } finally {
      await serve.stop();
    }
  });

  it('in the window and dashboard path, the contract says it in words, not zod wording', async () => {
    home = await tempHome();
    const host = await openHostApi({ home: home.dir, ownerName: 'test', protectors: fastPassphrase(), scheduler: false });
    try {
      const result = await host.dispatcher.call('connections.add', { service: 'openrouter', secret: { type: 'api_key', key: 'k'.repeat(8193) } }, { actor: 'window' });
      expect(result).toEqual({ ok: false, error: { code: 'INPUT_TOO_LARGE', message: 'the key is longer than 8 KiB — is this the right file? nothing was stored' } });
    } finally {
      await host.dispose();
    }
  });

  it('without --label when several connections exist: names all of them, not one at random', async () => {
    const env = await fresh();
    for (const label of ['work', 'personal']) expect((await runCli(['connect', 'add', 'openrouter', '--label', label], { env, input: `sk-or-v1-${label}` })).code).toBe(0);
    const add = await runCli(['connect', 'add', 'openrouter'], { env, input: 'sk-or-v1-third' });
    expect(add.code).toBe(1);
    expect(oneLine(add.stderr)).toBe('sophon: openrouter already has 2 connections (personal, work) — name this one with --label NAME, or reconnect an existing one with `sophon connect reauth`');
  });
});
