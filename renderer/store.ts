import { createStore, type StoreApi } from 'zustand/vanilla';
import type {
  ApiError,
  ConnectionView,
  EventPayload,
  RequestInput,
  RequestName,
  RequestOutput,
  ServiceSummary,
  SettingsView,
  SignInStarted,
  SignInStatus,
  SkillView,
  TestResultView,
  VaultHealthView,
  ApiResult,
} from '../main/api/contract.ts';
import { callApi, type Bridge } from './bridge.ts';
import { EMPTY_MODELS, PROVIDER_SERVICES, createModelsActions, type ModelsActions, type ModelsState } from './models-store.ts';
import type { LinkStatus } from './ws-client.ts';
import { EMPTY_AGENTS, createAgentsActions, waiting, type AgentsActions, type AgentsState } from './agents-store.ts';
import { forWindow } from './humanize.ts';
import { EMPTY_AUDIT, createAuditActions, type AuditActions, type AuditState } from './audit-store.ts';

export type View = 'connections' | 'models' | 'add' | 'agents' | 'audit';
export type Theme = SettingsView['theme'];

export interface Notice {
  readonly id: number;
  readonly kind: 'error' | 'success';
  readonly text: string;
}

export interface TestState {
  readonly running: boolean;
  readonly result?: TestResultView;
  readonly error?: string;
}

/** The sign-in the window is showing (one at a time). */
export interface SignInView {
  readonly attemptId: string;
  readonly service: string;
  readonly reconnectOf?: string;
  readonly kind: SignInStarted['kind'];
  readonly redirect?: string;
  readonly status: SignInStatus;
  readonly message: string;
  readonly userCode?: string;
  readonly verificationUri?: string;
  readonly verificationUriComplete?: string;
  readonly authorizationUrl?: string;
  readonly expiresAt?: number;
  readonly connection?: ConnectionView;
}


export interface SophonState {
  readonly bridgeKind: Bridge['kind'];
  readonly link: LinkStatus;
  readonly loaded: boolean;
  readonly loadError?: string;
  readonly connections: Readonly<Record<string, ConnectionView>>;
  readonly catalog: readonly ServiceSummary[];
  readonly health?: VaultHealthView;
  readonly theme: Theme;
  readonly view: View;
  readonly addService?: string;
  /** A mailbox whose Reconnect was chosen: the add page shows its new-password form. */
  readonly mailReauth?: string;
  readonly signin?: SignInView;
  readonly signinError?: string;
  /** The service whose sign-in could not start (its card shows signinError). */
  readonly signinErrorFor?: string;
  readonly tests: Readonly<Record<string, TestState>>;
  readonly notices: readonly Notice[];
  readonly audit: AuditState;
  readonly highlight?: string;
  readonly models: ModelsState;
  readonly agents: AgentsState;
}

export interface SophonActions extends ModelsActions, AgentsActions, AuditActions {
  init(): Promise<void>;
  setView(view: View): void;
  chooseService(service: string | undefined): void;
  /** The service's own page (in the Add view). */
  openService(service: string): void;
  addSecret(input: RequestInput<'connections.add'>): Promise<ApiResult<RequestOutput<'connections.add'>>>;
  addMail(input: RequestInput<'mail.add'>): Promise<ApiResult<RequestOutput<'mail.add'>>>;
  updateMail(input: RequestInput<'mail.update'>): Promise<ApiResult<RequestOutput<'mail.update'>>>;
  configureClient(input: RequestInput<'oauth.configure'>): Promise<ApiResult<RequestOutput<'oauth.configure'>>>;
  test(id: string): Promise<void>;
  remove(id: string): Promise<boolean>;
  startSignIn(input: RequestInput<'signin.start'>): Promise<void>;
  reconnect(id: string): Promise<void>;
  cancelSignIn(): Promise<void>;
  completePasted(redirectUrl: string): Promise<ApiError | undefined>;
  dismissSignIn(): void;
  setTheme(theme: Theme): Promise<void>;
  notify(kind: Notice['kind'], text: string): void;
  dismissNotice(id: number): void;
}

export type SophonStore = StoreApi<SophonState & SophonActions>;

const FINAL: ReadonlySet<SignInStatus> = new Set(['completed', 'failed', 'expired', 'cancelled']);

function statusForError(code: string): SignInStatus {
  if (code === 'OAUTH_EXPIRED') return 'expired';
  if (code === 'OAUTH_CANCELLED') return 'cancelled';
  return 'failed';
}

/** Opens a page the core built (the sign-in page) in a new browser tab or the system browser. */
export type PageOpener = (url: string) => void;

const openInBrowser: PageOpener = (url) => {
  window.open(url, '_blank', 'noopener,noreferrer');
};

/** Told about a skill that newly waits for approval (the dashboard raises a browser notification). */
export type SkillWaitingListener = (skill: SkillView) => void;

export function createSophonStore(bridge: Bridge, openPage: PageOpener = openInBrowser, onSkillWaiting?: SkillWaitingListener): SophonStore {
  const call = <N extends RequestName>(name: N, input: RequestInput<N>) => callApi(bridge.api, name, input);
  let noticeId = 0;

  const store = createStore<SophonState & SophonActions>()((set, get) => {
    const upsert = (connection: ConnectionView) => set((s) => ({ connections: { ...s.connections, [connection.id]: connection } }));
    const drop = (id: string) =>
      set((s) => {
        const { [id]: _gone, ...rest } = s.connections;
        return { connections: rest };
      });

    const serviceName = (id: string) => get().catalog.find((s) => s.id === id)?.name ?? id;
    /** mail.add / mail.update answer without a connection when nothing was stored; the form shows why. */
    const mailStored = (result: ApiResult<RequestOutput<'mail.add'>>, text: (c: ConnectionView) => string) => {
      const connection = result.ok ? result.data.connection : undefined;
      if (!connection) return;
      upsert(connection);
      set({ view: 'connections', addService: undefined, mailReauth: undefined, highlight: connection.id });
      get().notify('success', text(connection));
      void refreshHealth();
    };

    const refreshHealth = async () => {
      const health = await call('vault.health', {});
      if (health.ok) set({ health: health.data });
    };

    /** Follows an attempt to its end: progress comes as events, the outcome from signin.wait. */
    const follow = async (started: SignInStarted, service: string, reconnectOf?: string) => {
      const initial: SignInView =
        started.kind === 'device'
          ? {
              attemptId: started.attemptId,
              service,
              kind: 'device',
              status: 'polling',
              message: 'Waiting for you to enter the code…',
              userCode: started.userCode,
              verificationUri: started.verificationUri,
              expiresAt: started.expiresAt,
              ...(started.verificationUriComplete ? { verificationUriComplete: started.verificationUriComplete } : {}),
              ...(reconnectOf ? { reconnectOf } : {}),
            }
          : {
              attemptId: started.attemptId,
              service,
              kind: 'browser',
              redirect: started.redirect,
              status: 'waiting',
              message: started.redirect === 'paste' ? 'Sign in in your browser, then paste the address it ends on.' : 'Waiting for you to finish signing in in your browser…',
              authorizationUrl: started.authorizationUrl,
              expiresAt: started.expiresAt,
              ...(reconnectOf ? { reconnectOf } : {}),
            };
      set({ signin: initial, signinError: undefined, view: get().view === 'add' && !reconnectOf ? 'add' : get().view });
      // The sign-in page belongs in the person's browser, never in this window (RFC 8252 §8.12).
      // On the desktop the host sends it to the system browser; a blocked pop-up leaves the link on screen.
      if (started.kind === 'browser') openPage(started.authorizationUrl);
      const outcome = await call('signin.wait', { attemptId: started.attemptId });
      const current = get().signin;
      if (!current || current.attemptId !== started.attemptId) return;
      if (outcome.ok) {
        upsert(outcome.data);
        set({ signin: { ...current, status: 'completed', message: 'Signed in.', connection: outcome.data }, highlight: outcome.data.id });
        void refreshHealth();
      } else if (!FINAL.has(current.status)) {
        set({ signin: { ...current, status: statusForError(outcome.error.code), message: outcome.error.message } });
      }
    };

    return {
      bridgeKind: bridge.kind,
      link: bridge.kind === 'desktop' ? 'open' : 'connecting',
      loaded: false,
      connections: {},
      catalog: [],
      theme: 'system',
      view: 'connections',
      tests: {},
      notices: [],
      audit: EMPTY_AUDIT,
      ...createAuditActions({ call, get: () => get().audit, set: (audit) => set({ audit }) }),
      models: EMPTY_MODELS,
      agents: EMPTY_AGENTS,
      ...createAgentsActions({
        call,
        get: () => get().agents,
        set: (update) => set((s) => ({ agents: { ...s.agents, ...update } })),
        notify: (kind, text) => get().notify(kind, text),
      }),
      ...createModelsActions({
        call,
        get: () => get().models,
        set: (update) => set((s) => ({ models: { ...s.models, ...update(s.models) } })),
        notify: (kind, text) => get().notify(kind, text),
      }),

      async init() {
        const [connections, catalog, settings] = await Promise.all([call('connections.list', {}), call('catalog.list', {}), call('settings.get', {})]);
        performance.mark('sophon:data');
        if (!connections.ok) {
          set({ loaded: true, loadError: connections.error.message });
          return;
        }
        const byId: Record<string, ConnectionView> = {};
        for (const c of connections.data) byId[c.id] = c;
        set({
          loaded: true,
          loadError: undefined,
          connections: byId,
          catalog: catalog.ok ? catalog.data : [],
          ...(settings.ok ? { theme: settings.data.theme } : {}),
        });
        void refreshHealth();
        // Skills waiting for approval show on the Agents tab from the start (no credential is read).
        void get().loadAgents();
      },

      setView(view) {
        set({ view, ...(view !== 'add' ? { addService: undefined } : {}) });
        if (view === 'audit') void get().loadAudit(0);
        if (view === 'models') void get().loadModels();
        if (view === 'agents') void get().loadAgents();
      },

      chooseService(service) {
        set({ addService: service, mailReauth: undefined, signinError: undefined, signinErrorFor: undefined });
      },

      openService(service) {
        get().setView('add');
        get().chooseService(service);
      },

      async addSecret(input) {
        const result = await call('connections.add', input);
        if (result.ok) {
          upsert(result.data.connection);
          const warning = result.data.warnings[0];
          set({ view: 'connections', addService: undefined, highlight: result.data.connection.id });
          get().notify('success', `Added ${serviceName(result.data.connection.service)} · ${result.data.connection.label}.${warning ? ` Note: ${forWindow(warning)}` : ''}`);
          void refreshHealth();
        }
        return result;
      },

      async addMail(input) {
        const result = await call('mail.add', input);
        mailStored(result, (c) => `Added ${serviceName(c.service)} · ${c.label}: both servers accepted the login.`);
        return result;
      },

      async updateMail(input) {
        const result = await call('mail.update', input);
        mailStored(result, (c) => `${serviceName(c.service)} · ${c.label} has its new password.`);
        return result;
      },

      async configureClient(input) {
        const result = await call('oauth.configure', input);
        if (result.ok) {
          const catalog = await call('catalog.list', {});
          if (catalog.ok) set({ catalog: catalog.data });
        }
        return result;
      },

      async test(id) {
        set((s) => ({ tests: { ...s.tests, [id]: { running: true } } }));
        const result = await call('connections.test', { ref: id });
        if (result.ok) {
          upsert(result.data.connection);
          set((s) => ({ tests: { ...s.tests, [id]: { running: false, result: result.data.result } } }));
        } else {
          set((s) => ({ tests: { ...s.tests, [id]: { running: false, error: result.error.message } } }));
        }
      },

      async remove(id) {
        const before = get().connections[id];
        const result = await call('connections.remove', { ref: id });
        if (!result.ok) {
          get().notify('error', forWindow(result.error.message));
          return false;
        }
        drop(id);
        get().notify('success', `Removed ${before ? `${serviceName(before.service)} · ${before.label}` : id}.`);
        void refreshHealth();
        return true;
      },

      async startSignIn(input) {
        set({ signinError: undefined, signinErrorFor: undefined });
        const started = await call('signin.start', input);
        if (!started.ok) {
          set({ signinError: started.error.message, signinErrorFor: input.service });
          return;
        }
        await follow(started.data, input.service);
      },

      async reconnect(id) {
        const connection = get().connections[id];
        if (connection?.authMethod === 'smtp_imap') {
          // A mailbox reconnects with a new password, on its service's page.
          set({ view: 'add', addService: connection.service, mailReauth: id, signinError: undefined });
          return;
        }
        set({ signinError: undefined, view: 'connections' });
        const started = await call('connections.reauth', { ref: id });
        if (!started.ok) {
          get().notify('error', forWindow(started.error.message));
          return;
        }
        await follow(started.data, connection?.service ?? id, id);
      },

      async cancelSignIn() {
        const current = get().signin;
        if (!current) return;
        if (!FINAL.has(current.status)) await call('signin.cancel', { attemptId: current.attemptId });
        set({ signin: undefined });
      },

      async completePasted(redirectUrl) {
        const current = get().signin;
        if (!current) return undefined;
        const result = await call('signin.complete', { attemptId: current.attemptId, redirectUrl });
        return result.ok ? undefined : result.error;
      },

      dismissSignIn() {
        const current = get().signin;
        // Signed in from the add view: show where it landed (a model provider's profiles, or the list).
        const done = current?.status === 'completed' && get().view === 'add';
        const next: View = current && PROVIDER_SERVICES.has(current.service) ? 'models' : 'connections';
        set({ signin: undefined });
        if (done) get().setView(next);
      },


      async setTheme(theme) {
        set({ theme });
        const result = await call('settings.set', { theme });
        if (!result.ok) get().notify('error', forWindow(result.error.message));
      },

      notify(kind, text) {
        // One notice at a time: the newest replaces the last, so they never stack up.
        set({ notices: [{ id: ++noticeId, kind, text }] });
      },

      dismissNotice(id) {
        set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
      },
    };
  });

  // Subscribed before the first paint, so an event sent right after load (the tray) is not missed.
  bridge.api.on('connections.changed', (change) => {
    const { connection } = change;
    // A provider's connection changed (linked, signed in, renewed, removed): its profile did too.
    const state = store.getState();
    if (state.models.loaded && state.catalog.find((s) => s.id === connection.service)?.provider) void state.loadModels();
    if (change.type === 'removed') {
      store.setState((s) => {
        const { [connection.id]: _gone, ...rest } = s.connections;
        return { connections: rest };
      });
    } else store.setState((s) => ({ connections: { ...s.connections, [connection.id]: connection } }));
  });
  bridge.api.on('signin.changed', (event) => onSignInEvent(store, event));
  bridge.api.on('skills.changed', () => void reloadAgents(store, onSkillWaiting));
  bridge.api.on('broker.changed', () => {
    if (store.getState().agents.loaded) void store.getState().loadAgents();
  });
  bridge.api.on('tray.selected', (event) => {
    if (event.action === 'reconnect') void store.getState().reconnect(event.connectionId);
  });
  bridge.onStatus((link) => {
    store.setState({ link });
    // Back after a drop: what changed meanwhile was not pushed to us.
    if (link === 'open' && store.getState().loaded) void store.getState().init();
  });
  return store;
}

/** Live progress of the attempt on screen (the device code's status, a refreshed code, the end). */
function onSignInEvent(store: SophonStore, event: EventPayload<'signin.changed'>): void {
  const current = store.getState().signin;
  if (!current || current.attemptId !== event.attemptId || FINAL.has(current.status)) return;
  store.setState({
    signin: {
      ...current,
      status: event.status,
      message: event.message,
      ...(event.userCode ? { userCode: event.userCode } : {}),
      ...(event.verificationUri ? { verificationUri: event.verificationUri } : {}),
      ...(event.verificationUriComplete ? { verificationUriComplete: event.verificationUriComplete } : {}),
      ...(event.authorizationUrl ? { authorizationUrl: event.authorizationUrl } : {}),
      ...(event.expiresAt ? { expiresAt: event.expiresAt } : {}),
      ...(event.connection ? { connection: event.connection } : {}),
    },
  });
  if (event.connection) {
    const connection = event.connection;
    store.setState((s) => ({ connections: { ...s.connections, [connection.id]: connection } }));
  }
}

/** Reloads skills after a change and reports the ones that newly wait for approval. */
async function reloadAgents(store: SophonStore, onWaiting: SkillWaitingListener | undefined): Promise<void> {
  const before = new Map(store.getState().agents.skills.map((s) => [s.id, s.grantHash]));
  const wasWaiting = new Set(waiting(store.getState().agents.skills).map((s) => `${s.id} ${s.grantHash}`));
  await store.getState().loadAgents();
  if (!onWaiting) return;
  for (const skill of waiting(store.getState().agents.skills)) {
    if (!wasWaiting.has(`${skill.id} ${skill.grantHash}`) && (before.get(skill.id) !== skill.grantHash || !before.has(skill.id))) onWaiting(skill);
  }
}
