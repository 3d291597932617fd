import { describe, it, expect, afterEach, vi } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openHostApi, type HostApi } from '../../main/api/host.ts';
import { SophonError, type Clock, type Connection } from '../../main/core/index.ts';
import { fastPassphrase } from '../helpers/protectors.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { fakeEnvironment } from '../helpers/provider-env.ts';
import { startGithubStandin } from '../helpers/github-standin.ts';

let home: TempHome | undefined;
let host: HostApi | undefined;
let standin: Awaited<ReturnType<typeof startGithubStandin>> | undefined;

afterEach(async () => {
  await host?.dispose();
  await standin?.dispose();
  await home?.dispose();
  host = standin = home = undefined;
});

async function open(settings: Record<string, unknown>, options: { clock?: Clock; background?: boolean; env?: Record<string, string> } = {}): Promise<HostApi> {
  home = await tempHome('sophon-copilot-');
  await mkdir(join(home.dir, 'sophon', 'config'), { recursive: true });
  await writeFile(join(home.dir, 'sophon', 'config', 'appsettings.json'), JSON.stringify({ Sophon: { Services: { 'github-copilot': settings } } }));
  host = await openHostApi({
    home: join(home.dir, 'sophon'),
    ownerName: 'test',
    protectors: fastPassphrase(),
    tokens: { retries: 0 },
    providerEnvironment: fakeEnvironment({ home: home.dir, ...(options.env ? { env: options.env } : {}) }),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.background === false ? { scheduler: false as const } : {}),
  });
  return host;
}

function endpoints(url: string) {
  return { deviceAuthorizationEndpoint: `${url}/login/device/code`, tokenEndpoint: `${url}/login/oauth/access_token`, githubApiUrl: url };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof SophonError ? error.code : `unexpected: ${String(error)}`;
  }
  return 'no error';
}

describe('GitHub Copilot', () => {
  it('signs in by device flow (pending, slow_down as HTTP 200), then keeps a usable Copilot token, re-exchanged before it expires', async () => {
    const clock = new ManualClock(Date.now());
    standin = await startGithubStandin({ polls: ['authorization_pending', 'slow_down', 'approve'], now: () => clock.now() });
    const api = await open(endpoints(standin.url), { clock });
    const { signin } = api.core.oauth;
    const started = await signin.start({ service: 'github-copilot', method: 'device' }, { actor: 'cli' });
    expect(started).toMatchObject({ kind: 'device', userCode: 'WDJB-MJHT', verificationUri: 'https://github.com/login/device', interval: 5 });
    expect(new URLSearchParams(standin.state.deviceRequests[0]!.body).get('client_id')).toBe('Iv1.b507a08c87ecfe98');
    const t0 = clock.now();
    const done = signin.wait(started.attemptId);

    await clock.advance(5_000);
    await vi.waitFor(() => expect(standin!.state.pollTimes.length === 1 && clock.pending === 2).toBe(true));
    await clock.advance(5_000);
    await vi.waitFor(() => expect(standin!.state.pollTimes.length === 2 && clock.pending === 2).toBe(true));
    // slow_down: the interval is now 10 s.
    await clock.advance(5_000);
    expect(standin.state.pollTimes.length).toBe(2);
    await clock.advance(5_000);
    const connection: Connection = await done;
    expect(standin.state.pollTimes.map((t) => t - t0)).toEqual([5_000, 10_000, 20_000]);
    expect(connection).toMatchObject({ service: 'github-copilot', label: 'default', authMethod: 'device', state: 'active' });

    // Right after sign-in the seat is checked and a Copilot token kept ready.
    await api.core.providers.idle();
    expect(standin.state.exchangeTimes.length).toBe(1);
    const first = standin.state.issuedCopilot[0]!;
    const material = await api.core.connections.credential(connection, { actor: 'skill', skill: 'coder' }, 'broker');
    expect(material.token).toBe(first.token);
    expect(standin.state.exchangeTimes.length).toBe(1);
    const profile = (await api.core.providers.profiles({ actor: 'cli' })).find((p) => p.id === 'github-copilot:default');
    expect(profile).toMatchObject({ source: 'oauth', state: 'usable', plan: 'copilot_for_individual_user', billing: 'subscription', connectionId: connection.id });

    // refresh_in (1500 s) comes before expires_at (1800 s): one timer renews it.
    expect(api.core.providers.copilot.tokens.timerArmed).toBe(true);
    await clock.advance(1_500_000);
    await vi.waitFor(() => expect(standin!.state.exchangeTimes.length).toBe(2));
    expect(standin.state.exchangeTimes[1]!).toBeLessThan(first.expiresAt);
    await api.core.providers.idle();
    const renewed = await api.core.connections.credential((await api.core.connections.get(connection.id))!, { actor: 'skill', skill: 'coder' }, 'broker');
    expect(renewed.token).toBe(standin.state.issuedCopilot[1]!.token);
    expect(renewed.token).not.toBe(first.token);
    // The broker learns of the renewal through connections.onChange.
    expect((await api.core.connections.get(connection.id))!.lastRefreshAt).toBe(new Date(standin.state.exchangeTimes[1]!).toISOString());

    await clock.advance(1_500_000);
    await vi.waitFor(() => expect(standin!.state.exchangeTimes.length).toBe(3));
    await host!.dispose();
    expect(api.core.providers.copilot.tokens.timerArmed).toBe(false);
    host = undefined;
  });

  it('turns a device sign-in of an account without a Copilot seat into a clear error', async () => {
    const clock = new ManualClock(Date.now());
    standin = await startGithubStandin({ issued: 'gho_CANARYnoseat0000', tokens: { gho_CANARYnoseat0000: { login: 'nocopilot', seat: false } }, now: () => clock.now() });
    const api = await open(endpoints(standin.url), { clock });
    const started = await api.core.oauth.signin.start({ service: 'github-copilot', method: 'device' }, { actor: 'cli' });
    const done = api.core.oauth.signin.wait(started.attemptId);
    await clock.advance(5_000);
    const connection = await done;
    await api.core.providers.idle();
    expect((await api.core.connections.get(connection.id))!).toMatchObject({ state: 'error', stateReason: expect.stringMatching(/^this GitHub account has no Copilot seat/) });
    const status = await api.dispatcher.call('models.status', {}, { actor: 'window' });
    expect(status).toMatchObject({ ok: true, data: { check: { exitCode: 1 }, profiles: [expect.objectContaining({ id: 'github-copilot:default', state: 'error' })] } });
    expect(await codeOf(api.core.connections.credential(connection, { actor: 'skill' }, 'broker'))).toBe('NO_COPILOT_SEAT');
    expect(api.core.providers.copilot.tokens.timerArmed).toBe(false);
  });

  it('validates a pasted GitHub token with GET /user and the Copilot seat before storing it', async () => {
    standin = await startGithubStandin({ tokens: { ghp_CANARYnoseat000: { login: 'nocopilot', seat: false }, ghp_CANARYseat0000: { login: 'octocat', seat: true } } });
    const api = await open(endpoints(standin.url), { background: false });
    const call = (secret: string) => api.dispatcher.call('models.pasteToken', { provider: 'github-copilot', secret }, { actor: 'window' });

    const bad = await call('ghp_CANARYunknown00');
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    const noSeat = await call('ghp_CANARYnoseat000');
    expect(noSeat).toMatchObject({ ok: false, error: { code: 'NO_COPILOT_SEAT' } });
    expect(!noSeat.ok && noSeat.error.message).toMatch(/^this GitHub account has no Copilot seat \(GitHub answered HTTP 404/);
    expect(await api.core.connections.list()).toEqual([]);

    const ok = await call('ghp_CANARYseat0000');
    expect(ok).toMatchObject({ ok: true, data: { profile: { id: 'github-copilot:default', source: 'token', account: 'octocat', state: 'usable' } } });
    expect(JSON.stringify(ok)).not.toContain('CANARY');
    const [connection] = await api.core.connections.list();
    const material = await api.core.connections.credential(connection!, { actor: 'skill' }, 'broker');
    expect(material.token).toBe(standin.state.issuedCopilot[0]!.token);
    expect(standin.state.exchangeTimes.length).toBe(1);
    expect(standin.requests.filter((r) => r.url === '/user').map((r) => r.headers.authorization)).toEqual(['Bearer ghp_CANARYunknown00', 'Bearer ghp_CANARYnoseat000', 'Bearer ghp_CANARYseat0000']);
    expect(standin.requests.filter((r) => r.url === '/copilot_internal/v2/token').map((r) => r.headers.authorization)).toEqual(['token ghp_CANARYnoseat000', 'token ghp_CANARYseat0000']);
  });

  it('follows a GitHub Enterprise host (OAuth at /login, REST at /api/v3) and uses the gh CLI\'s token read in place', async () => {
    standin = await startGithubStandin({ tokens: { gho_CANARYghcli0000: { login: 'monalisa', seat: true } } });
    const hostName = new URL(standin.url).host;
    const api = await open({ host: standin.url }, { background: false });
    await mkdir(join(home!.dir, '.config', 'gh'), { recursive: true });
    await writeFile(join(home!.dir, '.config', 'gh', 'hosts.yml'), `github.com:\n    user: someone-else\n${hostName}:\n    oauth_token: gho_CANARYghcli0000\n    user: monalisa\n`);
    const started = await api.core.oauth.signin.start({ service: 'github-copilot', method: 'device' }, { actor: 'cli' });
    expect(started.kind).toBe('device');
    expect(standin.state.deviceRequests.length).toBe(1);
    api.core.oauth.signin.cancel(started.attemptId);

    const status = await api.dispatcher.call('models.status', {}, { actor: 'window' });
    expect(status).toMatchObject({ ok: true, data: { profiles: [expect.objectContaining({ id: 'github-copilot:gh-cli', source: 'cli-sync', state: 'usable', account: 'monalisa' })] } });
    const test = await api.dispatcher.call('models.test', { profile: 'github-copilot:gh-cli' }, { actor: 'window' });
    expect(test).toMatchObject({ ok: true, data: { ok: true } });
    expect(standin.requests.some((r) => r.url === '/api/v3/copilot_internal/v2/token' && r.headers.authorization === 'token gho_CANARYghcli0000')).toBe(true);
    const resolved = await api.core.providers.resolve('github-copilot', {}, { actor: 'skill' });
    expect(resolved.profile.id).toBe('github-copilot:gh-cli');
    expect(resolved.material.token).toBe(standin.state.issuedCopilot[0]!.token);
    expect(await codeOf(api.core.providers.resolve('openai-codex', {}, { actor: 'skill' }))).toBe('NO_USABLE_PROFILE');
  });
});
