import { readFile } from 'node:fs/promises';
import { authMethod, connectionKey, readOrigin, type SophonCore, type AuthMethod, type ServiceDefinition } from '../../core/index.ts';
import type { Handlers } from '../dispatch.ts';
import { connectionView, serviceSummary } from '../views.ts';
import { writeUiSettings, readUiSettings } from '../ui-settings.ts';

/** Whether an OAuth method has a client id to use: the user's, from settings, or a published one. */
export function hasClientId(core: SophonCore, service: ServiceDefinition, method: AuthMethod): boolean {
  if (method.type !== 'oauth2' && method.type !== 'device') return false;
  return method.defaultClientId !== undefined || core.vault.has(`oauth-client/${service.id}`);
}

export function foundationHandlers(core: SophonCore): Handlers {
  return {
    'catalog.list': async () => core.catalog.list().map((s) => serviceSummary(s, core.catalog, (svc, m) => hasClientId(core, svc, m))),
    'catalog.get': async (input) => serviceSummary(core.catalog.require(input.id), core.catalog, (svc, m) => hasClientId(core, svc, m)),
    'connections.list': async () => (await core.connections.list()).map(connectionView),
    'connections.add': async (input, ctx) => {
      const { connection, warnings } = await core.connections.add(
        { service: input.service, ...(input.label !== undefined ? { label: input.label } : {}), secret: input.secret, ...(input.params ? { params: input.params } : {}) },
        { actor: ctx.actor },
      );
      return { connection: connectionView(connection), warnings };
    },
    'connections.test': async (input, ctx) => {
      const connection = await core.connections.resolve(input.ref);
      const { connection: updated, result } = await core.connections.test(connection.id, { actor: ctx.actor });
      return { connection: connectionView(updated), result };
    },
    'connections.status': async (input) => {
      const connection = await core.connections.resolve(input.ref);
      const origin = readOrigin(core.vault, connectionKey(connection.id));
      const anchorFailure = core.audit.anchorFailure();
      const vault = {
        backend: origin.backend,
        ...(origin.cachedForMs !== undefined ? { cachedForSeconds: Math.round(origin.cachedForMs / 1000) } : {}),
        ...(origin.reason ? { reason: origin.reason } : {}),
        ...(anchorFailure ? { anchorFailure } : {}),
      };
      return { ...connectionView(connection), vault };
    },
    'audit.list': async (input) => core.audit.read(input),
    'audit.verify': async () => {
      const result = await core.audit.verify();
      return { ...result, problems: [...result.problems] };
    },
    'vault.health': async () => {
      const health = core.vault.health();
      const anchorFailure = core.audit.anchorFailure();
      const anchorEveryMs = core.audit.anchorEveryMs;
      return {
        ...health,
        owner: { name: core.lock.info.owner, pid: core.lock.info.pid, since: core.lock.info.startedAt },
        permissionProblems: await core.permissions(),
        connectorProblems: [...core.catalog.problems],
        home: core.paths.home,
        audit: { ...(anchorEveryMs !== undefined ? { anchorEveryMs } : {}), ...(anchorFailure ? { anchorFailure } : {}) },
      };
    },
    'settings.get': async () => readUiSettings(await readFile(core.paths.settingsFile, 'utf8').catch(() => '{}')),
    'settings.set': async (input) => writeUiSettings(core.paths.settingsFile, input),
  };
}

export { authMethod };
