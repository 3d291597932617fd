import { forWindow } from './humanize.ts';
import type { ApiResult, AuthOrderView, CliStatusView, ModelsStatusView, ProfileResultView, RequestInput, RequestName, RequestOutput } from '../main/api/contract.ts';

/**
 * The model providers' part of the store: profiles (`models.status`), the CLI sign-ins
 * (`models.cliStatus`), each provider's order, and what the cards do (link a CLI, paste
 * a token, reorder, test). Loaded when the Models view or a provider's card first shows:
 * every load reads the CLIs' stores, which the core audits as credential reads.
 */

/** The services whose card replaces the generic add form (issue 5). */
export const PROVIDER_SERVICES: ReadonlySet<string> = new Set(['anthropic-subscription', 'openai-codex', 'github-copilot']);

export interface ProfileTest {
  readonly running: boolean;
  readonly ok?: boolean;
  readonly message?: string;
}

export interface ModelsState {
  readonly loaded: boolean;
  readonly loading: boolean;
  readonly error?: string;
  readonly cliError?: string;
  readonly status?: ModelsStatusView;
  readonly cli: readonly CliStatusView[];
  /** models.orderGet per provider that has profiles. */
  readonly orders: Readonly<Record<string, AuthOrderView>>;
  readonly tests: Readonly<Record<string, ProfileTest>>;
}

export const EMPTY_MODELS: ModelsState = { loaded: false, loading: false, cli: [], orders: {}, tests: {} };

export interface ModelsActions {
  loadModels(): Promise<void>;
  /** models.sync: links Claude Code's, Codex's or gh's sign-in as a profile, read in place. */
  linkCli(provider: string): Promise<ApiResult<ProfileResultView>>;
  /** models.pasteToken: the token goes to the core once; the caller clears its field. */
  pasteModelToken(input: RequestInput<'models.pasteToken'>): Promise<ApiResult<ProfileResultView>>;
  moveProfile(provider: string, profile: string, by: -1 | 1): Promise<void>;
  resetOrder(provider: string): Promise<void>;
  testProfile(profile: string): Promise<void>;
}

type Call = <N extends RequestName>(name: N, input: RequestInput<N>) => Promise<ApiResult<RequestOutput<N>>>;

interface Deps {
  readonly call: Call;
  readonly get: () => ModelsState;
  readonly set: (update: (models: ModelsState) => Partial<ModelsState>) => void;
  readonly notify: (kind: 'error' | 'success', text: string) => void;
}

export function createModelsActions({ call, get, set, notify }: Deps): ModelsActions {
  let inFlight: Promise<void> | undefined;
  let again = false;

  const loadOnce = async () => {
    set(() => ({ loading: true }));
    const [status, cli] = await Promise.all([call('models.status', {}), call('models.cliStatus', {})]);
    if (!status.ok) {
      set(() => ({ loading: false, loaded: true, error: status.error.message }));
      return;
    }
    const withProfiles = status.data.providers.filter((p) => status.data.profiles.some((profile) => profile.provider === p.id));
    const answers = await Promise.all(withProfiles.map((p) => call('models.orderGet', { provider: p.id })));
    const orders: Record<string, AuthOrderView> = {};
    for (const answer of answers) if (answer.ok) orders[answer.data.provider] = answer.data;
    set(() => ({
      loading: false,
      loaded: true,
      error: undefined,
      status: status.data,
      cli: cli.ok ? cli.data : [],
      cliError: cli.ok ? undefined : cli.error.message,
      orders,
    }));
  };

  const loadModels = (): Promise<void> => {
    // One load at a time; a request meanwhile (an event, a click) runs once more after it.
    if (inFlight) {
      again = true;
      return inFlight;
    }
    inFlight = (async () => {
      do {
        again = false;
        await loadOnce();
      } while (again);
    })().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  const announce = (result: ApiResult<ProfileResultView>, done: string) => {
    if (!result.ok) return;
    const warning = result.data.warnings[0];
    notify('success', `${done} ${result.data.profile.id}.${warning ? ` Note: ${forWindow(warning)}` : ''}`);
    void loadModels();
  };

  const setOrder = async (provider: string, profiles: string[]) => {
    const result = await call('models.orderSet', { provider, profiles });
    if (!result.ok) return notify('error', forWindow(result.error.message));
    set((m) => ({ orders: { ...m.orders, [provider]: result.data.order } }));
    if (result.data.warnings[0]) notify('success', `Order saved. Note: ${forWindow(result.data.warnings[0])}`);
    void loadModels();
  };

  return {
    loadModels,

    async linkCli(provider) {
      const result = await call('models.sync', { provider });
      announce(result, 'Linked as profile');
      return result;
    },

    async pasteModelToken(input) {
      const result = await call('models.pasteToken', input);
      announce(result, 'Saved the token as profile');
      return result;
    },

    async moveProfile(provider, profile, by) {
      const order = [...(get().orders[provider]?.effective ?? [])];
      const from = order.indexOf(profile);
      const to = from + by;
      if (from < 0 || to < 0 || to >= order.length) return;
      [order[from], order[to]] = [order[to] as string, order[from] as string];
      await setOrder(provider, order);
    },

    async resetOrder(provider) {
      const result = await call('models.orderClear', { provider });
      if (!result.ok) return notify('error', forWindow(result.error.message));
      set((m) => ({ orders: { ...m.orders, [provider]: result.data } }));
      void loadModels();
    },

    async testProfile(profile) {
      set((m) => ({ tests: { ...m.tests, [profile]: { running: true } } }));
      const result = await call('models.test', { profile });
      const outcome: ProfileTest = result.ok ? { running: false, ok: result.data.ok, message: result.data.message } : { running: false, ok: false, message: result.error.message };
      set((m) => ({
        tests: { ...m.tests, [profile]: outcome },
        ...(result.ok && m.status ? { status: { ...m.status, profiles: m.status.profiles.map((p) => (p.id === profile ? result.data.profile : p)) } } : {}),
      }));
    },
  };
}
