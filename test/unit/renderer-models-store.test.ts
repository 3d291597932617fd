import { describe, expect, it } from 'vitest';
import type { ApiResult, ModelsStatusView, ProfileView, RequestInput, RequestName, RequestOutput } from '../../main/api/contract.ts';
import { EMPTY_MODELS, createModelsActions, type ModelsState } from '../../renderer/models-store.ts';

const profile = (id: string, source: ProfileView['source']): ProfileView => {
  const [provider, name] = id.split(':') as [string, string];
  return { id, provider, name, service: 'anthropic-subscription', source, state: 'usable', refreshable: false, billing: 'subscription', cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 } };
};

const STATUS: ModelsStatusView = {
  providers: [
    { id: 'anthropic', services: ['anthropic-subscription'], billing: 'subscription', order: ['anthropic:work', 'anthropic:claude-cli'] },
    { id: 'openai', services: ['openai'], billing: 'per-token', order: [] },
  ],
  profiles: [profile('anthropic:work', 'token'), profile('anthropic:claude-cli', 'cli-sync')],
  check: { exitCode: 0, problems: [] },
  notice: 'terms',
};

/** The store's models slice over a fake transport: every call is recorded; `hold` keeps models.status pending until released. */
function harness(answers: Partial<Record<RequestName, (input: unknown) => ApiResult<unknown>>> = {}) {
  let state: ModelsState = EMPTY_MODELS;
  const calls: Array<[RequestName, unknown]> = [];
  const notices: string[] = [];
  const held: Array<() => void> = [];
  let hold = false;
  const defaults: Partial<Record<RequestName, (input: unknown) => ApiResult<unknown>>> = {
    'models.status': () => ({ ok: true, data: STATUS }),
    'models.cliStatus': () => ({ ok: true, data: [] }),
    'models.orderGet': () => ({ ok: true, data: { provider: 'anthropic', scope: 'default', explicit: [], effective: ['anthropic:work', 'anthropic:claude-cli'] } }),
  };
  const call = async <N extends RequestName>(name: N, input: RequestInput<N>): Promise<ApiResult<RequestOutput<N>>> => {
    calls.push([name, input]);
    if (name === 'models.status' && hold) await new Promise<void>((resolve) => held.push(resolve));
    const answer = answers[name] ?? defaults[name];
    return (answer ? answer(input) : { ok: false, error: { code: 'NOT_SUPPORTED', message: name } }) as ApiResult<RequestOutput<N>>;
  };
  const actions = createModelsActions({
    call,
    get: () => state,
    set: (update) => {
      state = { ...state, ...update(state) };
    },
    notify: (kind, text) => notices.push(`${kind}: ${text}`),
  });
  return {
    actions,
    calls,
    notices,
    state: () => state,
    count: (name: RequestName) => calls.filter(([n]) => n === name).length,
    hold(on: boolean) {
      hold = on;
    },
    release() {
      held.splice(0).forEach((resolve) => resolve());
    },
  };
}

describe('the window\'s models store', () => {
  it('loads status, CLI sign-ins and the order of each provider that has profiles', async () => {
    const h = harness();
    await h.actions.loadModels();
    expect(h.state()).toMatchObject({ loaded: true, loading: false, status: STATUS, cli: [] });
    expect(h.calls.filter(([n]) => n === 'models.orderGet')).toEqual([['models.orderGet', { provider: 'anthropic' }]]);
  });

  it('runs one load at a time: requests meanwhile make one more load, not one each', async () => {
    const h = harness();
    h.hold(true);
    const first = h.actions.loadModels();
    const second = h.actions.loadModels();
    const third = h.actions.loadModels();
    h.hold(false);
    h.release();
    await Promise.all([first, second, third]);
    expect(h.count('models.status')).toBe(2);
  });

  it('moves a profile by saving the swapped order', async () => {
    const h = harness({ 'models.orderSet': (input) => ({ ok: true, data: { order: { provider: 'anthropic', scope: 'provider', explicit: (input as { profiles: string[] }).profiles, effective: (input as { profiles: string[] }).profiles }, warnings: [] } }) });
    await h.actions.loadModels();
    await h.actions.moveProfile('anthropic', 'anthropic:claude-cli', -1);
    expect(h.calls.find(([n]) => n === 'models.orderSet')?.[1]).toEqual({ provider: 'anthropic', profiles: ['anthropic:claude-cli', 'anthropic:work'] });
    expect(h.state().orders['anthropic']?.scope).toBe('provider');
    // Already first: nothing is sent.
    await h.actions.moveProfile('anthropic', 'anthropic:claude-cli', -1);
    expect(h.count('models.orderSet')).toBe(1);
  });

  it('announces a saved token by its profile, and leaves a refusal to the form', async () => {
    let refuse = true;
    const h = harness({
      'models.pasteToken': () =>
        refuse ? { ok: false, error: { code: 'INVALID_INPUT', message: 'GitHub rejected this token' } } : { ok: true, data: { profile: profile('anthropic:work', 'token'), warnings: [], notice: 'terms' } },
    });
    const refused = await h.actions.pasteModelToken({ provider: 'anthropic', secret: 'x' });
    expect(refused).toMatchObject({ ok: false, error: { message: 'GitHub rejected this token' } });
    expect(h.notices).toEqual([]);
    refuse = false;
    await h.actions.pasteModelToken({ provider: 'anthropic', secret: 'x', profile: 'work' });
    expect(h.notices).toEqual(['success: Saved the token as profile anthropic:work.']);
  });
});
