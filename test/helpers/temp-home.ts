import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempHome {
  readonly dir: string;
  dispose(): Promise<void>;
}

export async function tempHome(prefix = 'sophon-test-'): Promise<TempHome> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}
