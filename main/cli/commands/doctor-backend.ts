import { probeBackend, type Settings, type SophonPaths } from '../../core/index.ts';

export interface BackendCheck {
  readonly name: string;
  readonly status: 'ok' | 'FAIL';
  readonly detail: string;
}

const status = (ok: boolean): BackendCheck['status'] => (ok ? 'ok' : 'FAIL');

/**
 * `sophon doctor` for a remote vault backend: which one, who it authenticates as, and
 * whether it can read and write its prefix. Nothing for the local vault (the vault.enc
 * checks cover it).
 */
export async function vaultBackendChecks(paths: SophonPaths, settings: Settings, env: NodeJS.ProcessEnv): Promise<BackendCheck[]> {
  const probe = await probeBackend({ paths, credentials: settings.Sophon.Credentials, env });
  if (!probe) return [];
  return [
    { name: 'backend', status: 'ok', detail: `${probe.title} (${probe.backend}) at ${probe.location} — vault.enc is not used` },
    { name: 'identity', status: status(probe.identity.ok), detail: probe.identity.ok ? `authenticates as ${probe.identity.detail}` : probe.identity.detail },
    { name: 'read', status: status(probe.read.ok), detail: probe.read.detail },
    { name: 'write', status: status(probe.write.ok), detail: probe.write.detail },
  ];
}
