import { describe, it, expect, afterEach } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalFileVault, PassphraseProtector, SophonError, type ProtectorResolver } from '../../main/core/index.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

const MAGIC = 'SOPHON-VAULT 1\n';
let home: TempHome;
afterEach(async () => home?.dispose());

/** A passphrase resolver that counts how often the passphrase was asked for. */
function counting(passphrase: string) {
  const state = { asked: 0 };
  const make = () =>
    new PassphraseProtector(async () => {
      state.asked++;
      return passphrase;
    }, { N: 2 ** 12, r: 8, p: 1 });
  const protectors: ProtectorResolver = { forNewVault: async () => make(), forExisting: async () => make() };
  return { protectors, state };
}

/** A vault with two writes (so vault.enc.bak exists), then its header's sealing parameters edited. */
async function vaultWithEditedHeader(edit: (sealed: Record<string, unknown>) => void): Promise<string> {
  home = await tempHome();
  const file = join(home.dir, 'vault.enc');
  const vault = await LocalFileVault.open({ file, backup: `${file}.bak`, protectors: counting('correct horse battery staple').protectors });
  await vault.put('secret/a', { key: 'one' });
  await vault.put('secret/b', { key: 'two' });
  await vault.dispose();
  const bytes = await readFile(file);
  const end = bytes.indexOf(0x0a, MAGIC.length);
  const header = JSON.parse(bytes.subarray(MAGIC.length, end).toString('utf8')) as { protector: Record<string, unknown> };
  edit(header.protector);
  await writeFile(file, Buffer.concat([Buffer.from(MAGIC), Buffer.from(JSON.stringify(header)), bytes.subarray(end)]));
  return file;
}

async function failure(file: string, protectors: ProtectorResolver): Promise<SophonError> {
  const error = await LocalFileVault.open({ file, backup: `${file}.bak`, protectors }).then(
    () => new Error('opened'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SophonError);
  return error as SophonError;
}

describe('scrypt parameters in the vault header', () => {
  for (const [what, edit] of [
    ['N=2^22 (4 GiB, half a minute per open)', (s: Record<string, unknown>) => (s['N'] = 2 ** 22)],
    ['N=2^20 with r=16', (s: Record<string, unknown>) => ((s['N'] = 2 ** 20), (s['r'] = 16))],
    ['p=64', (s: Record<string, unknown>) => (s['p'] = 64)],
    ['N not a power of two', (s: Record<string, unknown>) => (s['N'] = 100_000)],
    ['a salt of the wrong length', (s: Record<string, unknown>) => (s['salt'] = Buffer.alloc(4096).toString('base64'))],
  ] as const) {
    it(`refuses ${what} as an edited header, before asking for the passphrase or deriving anything`, async () => {
      const file = await vaultWithEditedHeader(edit);
      const { protectors, state } = counting('correct horse battery staple');
      const error = await failure(file, protectors);
      expect(error.code).toBe('VAULT_TAMPERED');
      expect(error.message).toMatch(/header was edited .*`sophon vault restore`/);
      expect(state.asked).toBe(0);
    });
  }

  it('tells an edited (in-range) header from a wrong passphrase by the backup, which has the same header', async () => {
    const file = await vaultWithEditedHeader((s) => (s['N'] = 2 ** 11));
    const edited = await failure(file, counting('correct horse battery staple').protectors);
    expect(edited.code).toBe('VAULT_TAMPERED');
    expect(edited.message).toMatch(/opens vault\.enc\.bak but not vault\.enc/);
    const wrong = await failure(file, counting('not the passphrase at all').protectors);
    expect(wrong.code).toBe('VAULT_WRONG_PASSPHRASE');
  });

  it('a wrong passphrase on an untouched vault is a wrong passphrase', async () => {
    const file = await vaultWithEditedHeader(() => undefined);
    expect((await failure(file, counting('not the passphrase at all').protectors)).code).toBe('VAULT_WRONG_PASSPHRASE');
  });
});
