// Electron glue for the window: the app:// protocol and a hardened BrowserWindow.
// The decisions live in window-policy.ts (tested without Electron).
import { BrowserWindow, protocol, screen, shell, type Rectangle, type WebContents } from 'electron';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { APP_CSP, APP_ORIGIN, APP_SCHEME, CONTENT_TYPES, appFileFor, closeAction, mayNavigate, windowOpenDecision, windowPlacement, type ExternalUrls } from './window-policy.ts';

/** Must run before `ready`: app:// behaves like a secure, standard origin. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** Serves the renderer build from disk under app://sophon/, with the CSP on every answer. */
export function serveAppScheme(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const relative = appFileFor(request.url);
    if (!relative) return new Response('not found', { status: 404 });
    try {
      const body = await readFile(join(rendererDir, relative));
      return new Response(new Uint8Array(body), {
        status: 200,
        headers: {
          'content-type': CONTENT_TYPES[extname(relative)] ?? 'application/octet-stream',
          'content-security-policy': APP_CSP,
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-store',
        },
      });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}

/** Navigation and new windows are refused for every webContents the app ever creates (app 'web-contents-created'). */
export function hardenContents(contents: WebContents, external: ExternalUrls): void {
  contents.on('will-navigate', (event, url) => {
    if (!mayNavigate(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!mayNavigate(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (windowOpenDecision(url, external).openExternal) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

export interface MainWindowOptions {
  readonly preload: string;
  readonly isQuitting: () => boolean;
  readonly icon?: string;
  /** Where the tray icon is (macOS, Windows); the window opens beside it. */
  readonly trayBounds?: Rectangle;
}

/** The work area of the screen the tray icon is on, else the one under the pointer. */
function workAreaFor(trayBounds: Rectangle | undefined): Rectangle {
  const known = trayBounds && trayBounds.width > 0 && trayBounds.height > 0;
  return (known ? screen.getDisplayMatching(trayBounds) : screen.getDisplayNearestPoint(screen.getCursorScreenPoint())).workArea;
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  // Tray-sized by default, beside the tray icon; resizable and maximizable up to the full screen.
  const placement = windowPlacement(workAreaFor(options.trayBounds), options.trayBounds);
  const window = new BrowserWindow({
    ...placement,
    resizable: true,
    maximizable: true,
    show: false,
    title: 'Sophon',
    ...(options.icon ? { icon: options.icon } : {}),
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  window.on('close', (event) => {
    if (closeAction(options.isQuitting()) === 'hide') {
      event.preventDefault();
      window.hide();
    }
  });
  void window.loadURL(`${APP_ORIGIN}/index.html`);
  return window;
}
