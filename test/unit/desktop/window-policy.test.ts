import { describe, expect, it } from 'vitest';
import { APP_CSP, ExternalUrls, appFileFor, closeAction, mayNavigate, windowOpenDecision } from '../../../main/desktop/window-policy.ts';

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
});
