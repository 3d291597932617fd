import type { RequestName } from '../api/contract.ts';
import { WINDOW_CONTENT_TYPES, WINDOW_CSP } from '../api/window-csp.ts';

/** Where our renderer is served from: a privileged custom scheme, never a remote page. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'sophon';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** The window's Content-Security-Policy (shared with the headless dashboard). */
export const APP_CSP = WINDOW_CSP;

const MAX_REMEMBERED = 256;

/**
 * The http(s) URLs this app built or received from its own core (sign-in pages, device
 * verification links, where to create a key). Only these may go to shell.openExternal:
 * a compromised renderer cannot make the OS open an arbitrary URL or a `file:` path.
 */
export class ExternalUrls {
  private readonly urls = new Set<string>();

  allow(candidate: unknown): void {
    const url = normaliseHttpUrl(candidate);
    if (!url) return;
    if (this.urls.size >= MAX_REMEMBERED) {
      const oldest = this.urls.values().next().value;
      if (oldest !== undefined) this.urls.delete(oldest);
    }
    this.urls.add(url);
  }

  isAllowed(candidate: unknown): boolean {
    const url = normaliseHttpUrl(candidate);
    return url !== undefined && this.urls.has(url);
  }

  /** Learns the URLs in an answer of the core (IpcRouter's `observe`) or an event payload. */
  learn(method: RequestName | 'signin.changed', data: unknown): void {
    switch (method) {
      case 'signin.start':
      case 'connections.reauth':
      case 'signin.changed': {
        const d = data as Record<string, unknown> | undefined;
        for (const key of ['authorizationUrl', 'verificationUri', 'verificationUriComplete']) this.allow(d?.[key]);
        return;
      }
      case 'catalog.list':
      case 'catalog.get': {
        const services = Array.isArray(data) ? data : [data];
        for (const service of services as Array<{ auth?: Array<Record<string, unknown>> } | undefined>) {
          for (const method of service?.auth ?? []) {
            this.allow(method['help']);
            this.allow(method['clientRegistrationUrl']);
          }
        }
        return;
      }
      default:
        return;
    }
  }
}

function normaliseHttpUrl(candidate: unknown): string | undefined {
  if (typeof candidate !== 'string' || candidate.length > 8192) return undefined;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  return url.href;
}

/** In-window navigation: only within our own origin (a reload); everything else is refused. */
export function mayNavigate(target: string): boolean {
  try {
    const url = new URL(target);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
}

/**
 * `window.open` and target=_blank: never a new Electron window. An allowed http(s) URL
 * goes to the system browser; anything else is dropped.
 */
export function windowOpenDecision(target: string, external: ExternalUrls): { readonly openExternal: boolean } {
  return { openExternal: external.isAllowed(target) };
}

/**
 * Maps `app://sophon/<path>` to a file under the renderer build, or undefined. Only
 * plain relative paths: no "..", no encoded separators, no other host.
 */
export function appFileFor(requestUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return undefined;
  }
  if (path === '/' || path === '') return 'index.html';
  const relative = path.replace(/^\/+/, '');
  if (relative.split('/').some((part) => part === '' || part === '.' || part === '..') || /[\\\0]/.test(relative)) return undefined;
  return relative;
}

export const CONTENT_TYPES = WINDOW_CONTENT_TYPES;

/** Hide to the tray on close, unless the person chose Quit (or the OS is shutting down). */
export function closeAction(quitting: boolean): 'hide' | 'close' {
  return quitting ? 'close' : 'hide';
}

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The tray's window is the primary size (issue 15): the renderer is designed at 420 px and up. */
export const WINDOW_SIZE = { width: 440, height: 720, minWidth: 400, minHeight: 420 } as const;

/** The gap kept between the window and the screen's edges (and the tray icon). */
const EDGE = 8;

export interface WindowPlacement {
  readonly width: number;
  readonly height: number;
  readonly minWidth: number;
  readonly minHeight: number;
  /** Absent: no tray position is known (Linux AppIndicator reports none), so the OS centres it. */
  readonly x?: number;
  readonly y?: number;
}

/**
 * Where the window first opens: tray-sized, next to the tray icon when the OS says where that
 * is (the menu bar at the top on macOS, the taskbar at the bottom or a side on Windows), always
 * inside the work area of that screen. It stays resizable up to the full screen.
 */
export function windowPlacement(workArea: Rect, trayBounds?: Rect): WindowPlacement {
  const width = Math.min(WINDOW_SIZE.width, Math.max(WINDOW_SIZE.minWidth, workArea.width - 2 * EDGE));
  const height = Math.min(WINDOW_SIZE.height, Math.max(WINDOW_SIZE.minHeight, workArea.height - 2 * EDGE));
  const size = { width, height, minWidth: Math.min(WINDOW_SIZE.minWidth, width), minHeight: Math.min(WINDOW_SIZE.minHeight, height) };
  if (!trayBounds || trayBounds.width <= 0 || trayBounds.height <= 0) return size;
  const clamp = (value: number, low: number, high: number) => Math.round(Math.max(low, Math.min(value, high)));
  const left = workArea.x + EDGE;
  const right = workArea.x + workArea.width - width - EDGE;
  const top = workArea.y + EDGE;
  const bottom = workArea.y + workArea.height - height - EDGE;
  const trayX = trayBounds.x + trayBounds.width / 2;
  const trayY = trayBounds.y + trayBounds.height / 2;
  // A taskbar on the left or right side: beside it, level with the icon.
  const sideTaskbar = trayX < workArea.x || trayX > workArea.x + workArea.width;
  if (sideTaskbar) {
    const x = trayX < workArea.x ? left : right;
    return { ...size, x: clamp(x, left, right), y: clamp(trayY - height / 2, top, bottom) };
  }
  // The menu bar or a taskbar at the top: below it; at the bottom: above it. Centred on the icon.
  const y = trayY < workArea.y + workArea.height / 2 ? top : bottom;
  return { ...size, x: clamp(trayX - width / 2, left, right), y: clamp(y, top, bottom) };
}
