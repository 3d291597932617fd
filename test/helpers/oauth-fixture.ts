import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OidcServer } from './oidc-server.ts';

export const CONNECTOR_ID = 'oidc-test';

/** A custom connector naming only the issuer: endpoints come from discovery. */
export function connectorFor(server: OidcServer, overrides: Record<string, unknown> = {}) {
  return {
    id: CONNECTOR_ID,
    name: 'OIDC Test',
    category: 'other',
    auth: [
      {
        type: 'oauth2',
        issuer: server.issuer,
        scopes: ['openid', 'offline_access', 'email', 'api:read'],
        redirects: ['loopback', 'deeplink', 'paste'],
        clientRegistrationUrl: `${server.issuer}/clients`,
      },
      { type: 'device', issuer: server.issuer, scopes: ['openid', 'offline_access', 'api:read'], clientRegistrationUrl: `${server.issuer}/clients` },
    ],
    api: { baseUrl: server.issuer },
    test: { method: 'GET', path: '/me' },
    ...overrides,
  };
}

/** Writes connectors/oidc-test.json and appsettings.json with the client id (and any extra settings). */
export async function writeOAuthHome(home: string, server: OidcServer, settings: Record<string, unknown> = {}): Promise<void> {
  await mkdir(join(home, 'connectors'), { recursive: true, mode: 0o700 });
  await mkdir(join(home, 'config'), { recursive: true, mode: 0o700 });
  await writeFile(join(home, 'connectors', `${CONNECTOR_ID}.json`), JSON.stringify(connectorFor(server), null, 2));
  await writeFile(
    join(home, 'config', 'appsettings.json'),
    JSON.stringify({ Sophon: { Services: { [CONNECTOR_ID]: { clientId: server.clientId } }, ...settings } }, null, 2),
  );
}

/** A clock that runs in real time plus an offset tests can move forward. */
export function offsetClock() {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
    advance(ms: number) {
      offset += ms;
    },
  };
}

/** Real time, but every timer fires at once: the delays asked for are recorded instead. */
export function hurryingClock() {
  const delays: number[] = [];
  return {
    delays,
    now: () => Date.now(),
    setTimeout: (fn: () => void, ms: number) => {
      delays.push(ms);
      return setTimeout(fn, ms >= 60_000 ? ms : 5);
    },
    clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
  };
}
