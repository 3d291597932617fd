import { describe, it, expect, afterAll } from 'vitest';
import { runCli, startCli } from '../helpers/run-cli.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

const KEY = 'sk-or-v1-CONCURRENT0123456789abcdef';
let home: TempHome;
afterAll(async () => home?.dispose());

describe('sophon commands started at the same moment on a stale lock', () => {
  it('6 × `connect add` after `sophon serve` was killed with SIGKILL: every acknowledged write is kept', async () => {
    home = await tempHome();
    const env = { SOPHON_HOME: home.dir, SOPHON_VAULT_PASSPHRASE: 'a long test passphrase', HOME: home.dir };
    expect((await runCli(['connect', 'add', 'openrouter', '--label', 'first'], { env, input: KEY })).code).toBe(0);
    const acknowledged = ['first'];
    const failures: string[] = [];
    for (let round = 0; round < 3; round++) {
      // A real stale lock: the owner dies without letting go.
      const serve = startCli(['serve'], { env, ready: /listening on/ });
      await serve.ready;
      expect(await serve.stop('SIGKILL')).toBe(null);
      const labels = Array.from({ length: 6 }, (_, i) => `r${round}-${i}`);
      const results = await Promise.all(labels.map((label) => runCli(['connect', 'add', 'openrouter', '--label', label], { env, input: KEY, timeoutMs: 90_000 })));
      results.forEach((result, i) => {
        if (result.code === 0) acknowledged.push(labels[i] as string);
        else failures.push(`${labels[i]}: ${result.stderr.trim()}`);
      });
    }
    const list = await runCli(['connect', 'list', '--json'], { env });
    expect(list.code).toBe(0);
    const stored = new Set((JSON.parse(list.stdout) as Array<{ label: string }>).map((c) => c.label));
    const lost = acknowledged.filter((label) => !stored.has(label));
    expect(lost, `acknowledged but lost: ${lost.join(', ')}`).toEqual([]);
    // They take turns instead of failing.
    expect(failures).toEqual([]);
    expect(stored.size).toBe(19);
    const verify = await runCli(['audit', 'verify', '--json'], { env });
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
  }, 300_000);
});
