import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { firstLine } from '../errors.ts';
import type { SophonPaths } from '../paths.ts';
import { BACKEND_TITLES, remoteBackend, type CredentialsSettings, type RemoteBackendName } from './backend-settings.ts';
import { installationName, openStore } from './open-vault.ts';
import { serialiseRecord } from './record-layout.ts';
import { storeFailure, type SecretStore } from './secret-store.ts';

export interface ProbeResult {
  readonly ok: boolean;
  readonly detail: string;
}

export interface BackendProbe {
  readonly backend: RemoteBackendName;
  readonly title: string;
  readonly location: string;
  readonly identity: ProbeResult;
  readonly read: ProbeResult;
  readonly write: ProbeResult;
}

/**
 * What `sophon doctor` asks a remote backend without opening the vault: who it takes us
 * for, whether it lists and reads the prefix, and whether a probe record can be written,
 * read back and removed. Undefined for the local vault.
 */
export async function probeBackend(options: { paths: SophonPaths; credentials: CredentialsSettings; env: NodeJS.ProcessEnv }): Promise<BackendProbe | undefined> {
  const remote = remoteBackend(options.credentials);
  if (!remote) return undefined;
  const title = BACKEND_TITLES[remote.backend];
  const id = await readFile(join(options.paths.configDir, 'machine-id'), 'utf8').then((t) => t.trim(), () => `doctor${randomBytes(4).toString('hex')}`);
  let store: SecretStore;
  try {
    store = await openStore(remote, { env: options.env, holder: installationName(id) });
  } catch (error) {
    const detail = firstLine(storeFailure({ backend: remote.backend }, error, 'sign in').message);
    return { backend: remote.backend, title, location: '(not reached)', identity: { ok: false, detail }, read: { ok: false, detail: 'not tried' }, write: { ok: false, detail: 'not tried' } };
  }
  try {
    const failed = (error: unknown, doing: string): ProbeResult => ({ ok: false, detail: firstLine(storeFailure(store, error, doing).message) });
    const identity = await store.whoami().then((who) => ({ ok: true, detail: who }), (error: unknown) => failed(error, 'say who Sophon is signed in as'));
    const read = await store.list().then(
      (names) => ({ ok: true, detail: `lists ${store.location}: ${names.filter((n) => n.startsWith('connection/')).length} connection record(s), ${names.length} in all` }),
      (error: unknown) => failed(error, `list ${store.location}`),
    );
    const probeKey = `machine/${id}/internal/doctor-probe`;
    const write = await (async (): Promise<ProbeResult> => {
      try {
        const text = serialiseRecord({ sophon: 'record', v: 1, entries: { 'internal/doctor-probe': new Date().toISOString() } });
        const existing = await store.read(probeKey);
        await store.write(probeKey, text, existing?.version);
        const back = await store.read(probeKey);
        await store.remove(probeKey);
        if (back?.value !== text) return { ok: false, detail: 'a probe record did not read back as written' };
        return { ok: true, detail: 'wrote, read back and removed a probe record' };
      } catch (error) {
        return failed(error, `write a probe record under ${store.location}`);
      }
    })();
    return { backend: remote.backend, title, location: store.location, identity, read, write };
  } finally {
    await store.dispose();
  }
}
