// Sophon Desktop's Electron main process: composition only. Everything that decides
// something lives in a plain module beside this one and is tested without Electron
// (deep-link.ts, deep-link-inbox.ts, ipc-router.ts, tray-model.ts, reauth-watch.ts,
// safe-storage-protector.ts, window-policy.ts). Bundled to dist/desktop/main.cjs by
// scripts/build-desktop.ts; tests never import this file (it needs the Electron binary).
import { app, dialog, ipcMain, Notification, safeStorage, session, shell, type BrowserWindow } from 'electron';
import { join, resolve } from 'node:path';
import { SophonError, assertNever, firstLine, resolveHome, startBroker, takeSecretsFromProcessEnv, type BrowserOpener, type Notifier } from '../core/index.ts';
import { openHostApi, type HostApi } from '../api/host.ts';
import { serveSocket } from '../api/wire.ts';
import type { ConnectionView } from '../api/contract.ts';
import { DeepLinkInbox } from './deep-link-inbox.ts';
import { DEEP_LINK_SCHEME, deepLinkFromArgv } from './deep-link.ts';
import { IpcRouter } from './ipc-router.ts';
import { ReauthWatch } from './reauth-watch.ts';
import { SkillApprovalWatch } from '../api/skill-watch.ts';
import { desktopProtectors } from './safe-storage-protector.ts';
import { createTray, type SophonTray } from './tray.ts';
import { APP_ORIGIN, ExternalUrls } from './window-policy.ts';
import { createMainWindow, hardenContents, registerAppScheme, serveAppScheme } from './window.ts';

const log = (line: string) => process.stderr.write(`sophon desktop: ${line}\n`);

function main(): void {
  // Read once, then gone from the process: shell.openExternal and Electron's helper processes inherit process.env.
  const env = takeSecretsFromProcessEnv();
  // A second instance hands its argv (a sophon:// link on Windows and Linux) to the first and leaves.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  registerAppScheme();
  // Every renderer this app ever makes is sandboxed, whatever its options say.
  app.enableSandbox();
  if (process.defaultApp && process.argv[1]) app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME, process.execPath, [resolve(process.argv[1])]);
  else app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);

  const appDir = app.getAppPath();
  const external = new ExternalUrls();
  const inbox = new DeepLinkInbox({ onRefused: (reason) => log(`ignored a sophon:// link: ${reason}`), onError: (error) => log(`deep link failed: ${firstLine(String(error))}`) });
  let quitting = false;
  let window: BrowserWindow | undefined;
  let host: HostApi | undefined;
  let router: IpcRouter | undefined;
  let tray: SophonTray | undefined;
  let serviceNames: ReadonlyMap<string, string> = new Map();

  const coldStart = deepLinkFromArgv(process.argv);
  if (coldStart) inbox.receive(coldStart);
  app.on('open-url', (event, url) => {
    event.preventDefault();
    inbox.receive(url);
  });
  app.on('second-instance', (_event, argv) => {
    const link = deepLinkFromArgv(argv);
    if (link) inbox.receive(link);
    else showWindow();
  });
  // Every webContents, the main window's included: no navigation away, no new windows.
  app.on('web-contents-created', (_event, contents) => hardenContents(contents, external));
  // A tray app: closing the last window leaves it running in the tray.
  app.on('window-all-closed', () => undefined);
  app.on('activate', () => showWindow());
  app.on('before-quit', () => {
    quitting = true;
  });
  let disposed = false;
  app.on('will-quit', (event) => {
    if (disposed) return;
    event.preventDefault();
    disposed = true;
    void (async () => {
      inbox.dispose();
      router?.dispose();
      tray?.dispose();
      await host?.dispose().catch((error: unknown) => log(`closing the vault failed: ${firstLine(String(error))}`));
      app.exit(0);
    })();
  });

  function showWindow(): void {
    // Before the vault is open there is nothing to show; the window opens once it is.
    if (!host || !router) return;
    if (!window || window.isDestroyed()) {
      const trayBounds = tray?.bounds();
      window = createMainWindow({ preload: join(appDir, 'dist', 'desktop', 'preload.cjs'), isQuitting: () => quitting, icon: join(appDir, 'assets', 'icon.png'), ...(trayBounds ? { trayBounds } : {}) });
      const contents = window.webContents;
      const detach = router?.attach(contents);
      window.on('closed', () => detach?.());
    }
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  }

  const notifier: Notifier = {
    notify(title, body) {
      if (!Notification.isSupported()) return;
      const note = new Notification({ title, body });
      note.on('click', () => showWindow());
      note.show();
    },
  };
  const browser: BrowserOpener = {
    async open(url) {
      const parsed = new URL(url);
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new SophonError('INSECURE_URL', `refusing to open ${parsed.protocol} URL — only http(s) sign-in pages are opened`);
      external.allow(url);
      await shell.openExternal(parsed.href);
    },
  };

  void app.whenReady().then(async () => {
    serveAppScheme(join(appDir, 'dist', 'renderer'));
    // The window needs no camera, location, notifications API, …: only writing the copied device code.
    session.defaultSession.setPermissionRequestHandler((_contents, permission, callback) => callback(permission === 'clipboard-sanitized-write'));
    session.defaultSession.setPermissionCheckHandler((_contents, permission) => permission === 'clipboard-sanitized-write');
    try {
      host = await openHostApi({ home: resolveHome(env), ownerName: 'Sophon Desktop', protectors: desktopProtectors(safeStorage, env), browser, notifier, deepLinks: true });
    } catch (error) {
      const message = error instanceof SophonError ? error.message : `unexpected error: ${firstLine(String((error as Error)?.message ?? error))}`;
      dialog.showErrorBox('Sophon cannot open your vault', message);
      app.exit(1);
      return;
    }
    const { core, dispatcher } = host;
    const socket = await serveSocket(core.paths.socketFile, dispatcher, 'cli');
    core.onDispose(() => socket.dispose());
    // The app owns the vault, so it runs the broker proxy agents' skills call through.
    if (host.broker.settings.Enabled) {
      try {
        const broker = await startBroker(core, { broker: host.broker });
        log(`broker proxy on ${broker.url}/proxy`);
      } catch (error) {
        log(`the broker proxy did not start: ${firstLine(String((error as Error)?.message ?? error))}`);
      }
    }
    router = new IpcRouter(ipcMain, dispatcher, {
      appOrigin: APP_ORIGIN,
      observe: (method, data) => external.learn(method, data),
      onRefused: (channel, reason) => log(`refused ${channel}: ${reason}`),
    });
    serviceNames = new Map(core.catalog.list().map((s) => [s.id, s.name]));
    const watch = new ReauthWatch(notifier, (id) => serviceNames.get(id) ?? id);
    // A skill asking for approval is news for the person, not only for the window.
    const skillWatch = new SkillApprovalWatch(host, notifier);
    await skillWatch.start();
    core.onDispose(() => skillWatch.dispose());

    const refreshTray = async () => {
      const result = await dispatcher.call('connections.list', {}, { actor: 'host' });
      if (result.ok) tray?.update(result.data as ConnectionView[], serviceNames, host?.broker.tokens.list().length ?? 0);
    };
    let pending: NodeJS.Timeout | undefined;
    dispatcher.subscribe((event, payload) => {
      if (event === 'signin.changed') external.learn('signin.changed', payload);
      if (event === 'broker.changed') {
        clearTimeout(pending);
        pending = setTimeout(() => void refreshTray(), 200);
        return;
      }
      if (event !== 'connections.changed') return;
      watch.onChange(payload as Parameters<ReauthWatch['onChange']>[0]);
      // Many changes at once (a refresh sweep) redraw the menu once.
      clearTimeout(pending);
      pending = setTimeout(() => void refreshTray(), 200);
    });
    core.onDispose(() => clearTimeout(pending));

    tray = createTray(join(appDir, 'assets'), {
      open: () => showWindow(),
      quit: () => app.quit(),
      revokeAgents: () => void dispatcher.call('broker.revoke', { all: true }, { actor: 'host' }).then(() => refreshTray()),
      reconnect: (connectionId) => {
        showWindow();
        const target = window;
        // The window runs the sign-in (it shows the browser wait or the device code).
        const send = () => router?.send('tray.selected', { action: 'reconnect', connectionId });
        if (target?.webContents.isLoading()) target.webContents.once('did-finish-load', send);
        else send();
      },
    });
    const initial = await dispatcher.call('connections.list', {}, { actor: 'host' });
    if (initial.ok) {
      watch.seed(initial.data as ConnectionView[]);
      tray.update(initial.data as ConnectionView[], serviceNames);
    }
    const health = core.vault.health();
    log(`vault open (${health.protectorDescription}${health.strength === 'weak' ? ', WEAK' : ''}); CLI socket ${socket.path}`);

    inbox.ready(async (link) => {
      switch (link.kind) {
        case 'open':
          showWindow();
          return;
        case 'oauth-callback': {
          showWindow();
          const result = await dispatcher.call('signin.complete', { redirectUrl: link.url }, { actor: 'window' });
          if (!result.ok) {
            log(`sign-in from the browser failed: ${result.error.code}`);
            notifier.notify('Sign-in did not complete', result.error.message);
          }
          return;
        }
        default:
          assertNever(link, 'deep link');
      }
    });
    showWindow();
  });
}

main();
