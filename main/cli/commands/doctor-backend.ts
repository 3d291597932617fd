import { probeBackend, type Settings, type SophonPaths } from '../../core/index.ts';

export interface BackendCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/**
 * `sophon doctor` for a remote vault backend: which one, who it authenticates as, and
 * whether it can read and write its prefix. Nothing for the local vault (the vault.enc
 * checks cover it).
 */
export async function vaultBackendChecks(paths: SophonPaths, settings: Settings, env: NodeJS.ProcessEnv): Promise<BackendCheck[]> {
  const probe = await probeBackend({ paths, credentials: settings.Sophon.Credentials, env });
  if (!probe) return [];
  return [
    { name: 'backend', ok: true, detail: `${probe.title} (${probe.backend}) at ${probe.location} — vault.enc is not used` },
    { name: 'identity', ok: probe.identity.ok, detail: probe.identity.ok ? `authenticates as ${probe.identity.detail}` : probe.identity.detail },
    { name: 'read', ok: probe.read.ok, detail: probe.read.detail },
    { name: 'write', ok: probe.write.ok, detail: probe.write.detail },
  ];
}
