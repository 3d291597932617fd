import { describe, expect, it } from 'vitest';
import { APP_CSP, ExternalUrls, WINDOW_SIZE, appFileFor, closeAction, mayNavigate, windowOpenDecision, windowPlacement, type Rect } from '../../../main/desktop/window-policy.ts';

describe('window policy', () => {
  it('opens in the system browser only http(s) URLs the app itself produced', () => {
    const external = new ExternalUrls();
    external.learn('signin.start', { attemptId: 'a', kind: 'device', userCode: 'X', verificationUri: 'https://github.com/login/device', expiresAt: 1, interval: 5 });
    external.learn('catalog.list', [{ id: 'o', auth: [{ type: 'api_key', help: 'https://openrouter.ai/settings/keys' }] }]);
    external.learn('signin.changed', { authorizationUrl: 'javascript:alert(1)' });
    external.allow('file:///etc/passwd');
    external.allow('https://user:pw@example.com/');

    expect(windowOpenDecision('https://github.com/login/device', external).openExternal).toBe(true);
    expect(windowOpenDecision('https://openrouter.ai/settings/keys', external).openExternal).toBe(true);
    expect(windowOpenDecision('https://evil.example/', external).openExternal).toBe(false);
    expect(windowOpenDecision('javascript:alert(1)', external).openExternal).toBe(false);
    expect(windowOpenDecision('file:///etc/passwd', external).openExternal).toBe(false);
    expect(windowOpenDecision('https://user:pw@example.com/', external).openExternal).toBe(false);
    expect(windowOpenDecision('smb://host/share', external).openExternal).toBe(false);
  });

  it('denies navigation away from the app origin', () => {
    expect(mayNavigate('app://sophon/index.html')).toBe(true);
    expect(mayNavigate('https://evil.example/')).toBe(false);
    expect(mayNavigate('app://other/index.html')).toBe(false);
    expect(mayNavigate('file:///etc/passwd')).toBe(false);
    expect(mayNavigate('nonsense')).toBe(false);
  });

  it('maps app:// requests to files in the build only', () => {
    expect(appFileFor('app://sophon/')).toBe('index.html');
    expect(appFileFor('app://sophon/index.html')).toBe('index.html');
    expect(appFileFor('app://sophon/assets/index-abc.js')).toBe('assets/index-abc.js');
    // The URL parser resolves dot segments first: what is left is inside the build.
    expect(appFileFor('app://sophon/../../etc/passwd')).toBe('etc/passwd');
    expect(appFileFor('app://sophon/assets/%2e%2e/%2e%2e/secret')).toBe('secret');
    // Encoded separators survive the parser and are refused after decoding.
    expect(appFileFor('app://sophon/assets%2F..%2F..%2Fsecret')).toBeUndefined();
    expect(appFileFor('app://sophon/a%5Cb')).toBeUndefined();
    expect(appFileFor('app://sophon/%00')).toBeUndefined();
    expect(appFileFor('app://sophon/%E0%A4%A')).toBeUndefined();
    expect(appFileFor('app://other/index.html')).toBeUndefined();
    expect(appFileFor('https://sophon/index.html')).toBeUndefined();
  });

  it('has a strict CSP and hides to the tray on close unless quitting', () => {
    expect(APP_CSP).toContain("default-src 'none'");
    expect(APP_CSP).toContain("script-src 'self'");
    expect(APP_CSP).not.toContain('unsafe');
    expect(closeAction(false)).toBe('hide');
    expect(closeAction(true)).toBe('close');
  });

  describe('where the window first opens', () => {
    const inside = (w: Rect, p: { x?: number; y?: number; width: number; height: number }) =>
      p.x !== undefined && p.y !== undefined && p.x >= w.x && p.y >= w.y && p.x + p.width <= w.x + w.width && p.y + p.height <= w.y + w.height;

    it('is tray-sized, resizable down to 400 px (the window is designed from 420 px up)', () => {
      const p = windowPlacement({ x: 0, y: 0, width: 1920, height: 1080 });
      expect(p).toEqual({ width: WINDOW_SIZE.width, height: WINDOW_SIZE.height, minWidth: 400, minHeight: 420 });
      expect(p.width).toBeLessThan(480);
      expect(p.width).toBeGreaterThanOrEqual(420);
    });

    it('opens below a macOS menu-bar icon, centred on it, inside the screen', () => {
      const work = { x: 0, y: 25, width: 1440, height: 875 };
      const p = windowPlacement(work, { x: 1000, y: 0, width: 24, height: 24 });
      expect(p.x).toBe(1012 - p.width / 2);
      expect(p.y).toBe(25 + 8);
      expect(inside(work, p)).toBe(true);
    });

    it('opens above a Windows taskbar icon in the corner, kept inside the work area', () => {
      const work = { x: 0, y: 0, width: 1920, height: 1040 };
      const p = windowPlacement(work, { x: 1880, y: 1045, width: 32, height: 32 });
      expect(p.x! + p.width).toBe(1920 - 8);
      expect(p.y! + p.height).toBe(1040 - 8);
      expect(inside(work, p)).toBe(true);
    });

    it('opens beside a taskbar on the left, and on a second screen to the right', () => {
      const left = { x: 60, y: 0, width: 1860, height: 1080 };
      const p = windowPlacement(left, { x: 14, y: 900, width: 32, height: 32 });
      expect(p.x).toBe(68);
      expect(inside(left, p)).toBe(true);
      const second = { x: 1920, y: 0, width: 2560, height: 1400 };
      const q = windowPlacement(second, { x: 4300, y: 1405, width: 24, height: 24 });
      expect(inside(second, q)).toBe(true);
    });

    it('fits a small screen, and lets the OS centre it when the tray says nothing of where it is (Linux)', () => {
      const small = { x: 0, y: 0, width: 800, height: 600 };
      const p = windowPlacement(small, { x: 780, y: 0, width: 20, height: 20 });
      expect(p.height).toBeLessThanOrEqual(600 - 16);
      expect(inside(small, p)).toBe(true);
      const unknown = windowPlacement(small, { x: 0, y: 0, width: 0, height: 0 });
      expect(unknown.x).toBeUndefined();
      expect(unknown.y).toBeUndefined();
    });
  });
});
