import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHostApi, type HostApi } from '../../main/api/host.ts';
import { DeepLinkInbox } from '../../main/desktop/deep-link-inbox.ts';
import { IpcRouter, type IpcInvokeEventLike, type IpcMainPort } from '../../main/desktop/ipc-router.ts';
import { APP_ORIGIN, ExternalUrls } from '../../main/desktop/window-policy.ts';
import type { ApiResult } from '../../main/api/contract.ts';
import { CONNECTOR_ID, writeOAuthHome } from '../helpers/oauth-fixture.ts';
import { startOidcServer, type OidcServer } from '../helpers/oidc-server.ts';
import { completeAuthorization } from '../helpers/oidc-user-agent.ts';
import { fastPassphrase } from '../helpers/protectors.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

/**
 * The desktop host's sign-in through a deep link, with the pieces main/desktop/main.ts wires
 * together (IPC router, external-URL allowlist, deep-link inbox) around the real core and a
 * real OpenID provider: the window asks for a sign-in, the browser comes back to
 * sophon://oauth/callback, the link waits until the core is ready, then completes the sign-in.
 */
describe('desktop sign-in by deep link (sophon://oauth/callback)', () => {
  let oidc: OidcServer;
  let home: TempHome;
  let host: HostApi;

  beforeAll(async () => {
    oidc = await startOidcServer();
    home = await tempHome();
    await writeOAuthHome(home.dir, oidc);
    host = await openHostApi({ home: home.dir, ownerName: 'test', protectors: fastPassphrase(), scheduler: false, deepLinks: true });
  });
  afterAll(async () => {
    await host?.dispose();
    await oidc?.dispose();
    await home?.dispose();
  });

  it('starts from the window, lets the host open only that page, and completes from the queued link', async () => {
    const handlers = new Map<string, (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>>();
    const ipc: IpcMainPort = { handle: (channel, listener) => void handlers.set(channel, listener), removeHandler: (channel) => void handlers.delete(channel) };
    const external = new ExternalUrls();
    const router = new IpcRouter(ipc, host.dispatcher, { appOrigin: APP_ORIGIN, observe: (method, data) => external.learn(method, data) });
    const sent: string[] = [];
    router.attach({ id: 1, send: (channel) => void sent.push(channel), isDestroyed: () => false });
    const fromWindow: IpcInvokeEventLike = { sender: { id: 1 }, senderFrame: { url: `${APP_ORIGIN}/index.html`, parent: null } };

    const started = (await handlers.get('signin.start')!(fromWindow, { service: CONNECTOR_ID, method: 'oauth2', redirect: 'deeplink', label: 'desk' })) as ApiResult<{ kind: string; authorizationUrl: string; attemptId: string }>;
    expect(started.ok).toBe(true);
    if (!started.ok) return;
    expect(started.data.kind).toBe('browser');
    const authorizationUrl = started.data.authorizationUrl;
    expect(new URL(authorizationUrl).searchParams.get('redirect_uri')).toBe('sophon://oauth/callback');
    // window.open of this page goes to the system browser; a page the core did not build does not.
    expect(external.isAllowed(authorizationUrl)).toBe(true);
    expect(external.isAllowed(`${oidc.issuer}/somewhere-else`)).toBe(false);

    const waiting = handlers.get('signin.wait')!(fromWindow, { attemptId: started.data.attemptId }) as Promise<ApiResult<{ state: string; label: string }>>;
    const redirect = await completeAuthorization(authorizationUrl);
    expect(redirect.startsWith('sophon://oauth/callback?')).toBe(true);

    // The OS hands the link over (open-url / second-instance) before the host says it is ready.
    const inbox = new DeepLinkInbox();
    inbox.receive(redirect);
    await inbox.idle();
    expect(inbox.pending).toBe(1);
    const completions: Array<ApiResult<unknown>> = [];
    inbox.ready(async (link) => {
      if (link.kind === 'oauth-callback') completions.push(await host.dispatcher.call('signin.complete', { redirectUrl: link.url }, { actor: 'window' }));
    });
    await inbox.idle();
    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatchObject({ ok: true, data: { label: 'desk', state: 'active', account: 'alice' } });
    expect(await waiting).toMatchObject({ ok: true, data: { label: 'desk', state: 'active' } });
    expect(sent).toContain('connections.changed');

    // The same link a second time (a replay) changes nothing.
    inbox.receive(redirect);
    await inbox.idle();
    expect(completions[1]).toMatchObject({ ok: false, error: { code: 'OAUTH_STATE_MISMATCH' } });
    inbox.dispose();
    router.dispose();
  });
});
