import { describe, expect, it } from 'vitest';
import { deepLinkFromArgv, parseDeepLink } from '../../../main/desktop/deep-link.ts';

describe('parseDeepLink', () => {
  it('accepts the OAuth callback we register and keeps its query as sent', () => {
    expect(parseDeepLink('sophon://oauth/callback?code=abc&state=xyz&iss=https%3A%2F%2Fid.example')).toEqual({
      kind: 'oauth-callback',
      url: 'sophon://oauth/callback?code=abc&state=xyz&iss=https%3A%2F%2Fid.example',
    });
    expect(parseDeepLink('SOPHON://oauth/callback?error=access_denied&state=s1')).toEqual({ kind: 'oauth-callback', url: 'sophon://oauth/callback?error=access_denied&state=s1' });
  });

  it('accepts sophon://open', () => {
    expect(parseDeepLink('sophon://open')).toEqual({ kind: 'open' });
  });

  const hostile: ReadonlyArray<readonly [string, unknown]> = [
    ['not a string', 42],
    ['undefined', undefined],
    ['empty', ''],
    ['another scheme', 'https://oauth/callback?code=a&state=b'],
    ['javascript:', 'javascript:alert(1)//sophon://oauth/callback?code=a&state=b'],
    ['file:', 'file:///etc/passwd'],
    ['scheme lookalike', 'sophonx://oauth/callback?code=a&state=b'],
    ['no slashes', 'sophon:oauth/callback?code=a&state=b'],
    ['credentials', 'sophon://user:pass@oauth/callback?code=a&state=b'],
    ['credentials without password', 'sophon://evil.example@oauth/callback?code=a&state=b'],
    ['a port', 'sophon://oauth:8080/callback?code=a&state=b'],
    ['a fragment', 'sophon://oauth/callback?code=a&state=b#frag'],
    ['an empty fragment', 'sophon://oauth/callback?code=a&state=b#'],
    ['another host', 'sophon://evil.example/oauth/callback?code=a&state=b'],
    ['host case games', 'sophon://OAUTH/callback?code=a&state=b'],
    ['dot segments', 'sophon://oauth/x/../callback?code=a&state=b'],
    ['encoded dot segments', 'sophon://oauth/%2e%2e/oauth/callback?code=a&state=b'],
    ['encoded slash', 'sophon://oauth%2Fcallback?code=a&state=b'],
    ['trailing path', 'sophon://oauth/callback/extra?code=a&state=b'],
    ['double slash path', 'sophon://oauth//callback?code=a&state=b'],
    ['backslash', 'sophon://oauth\\callback?code=a&state=b'],
    ['leading space', ' sophon://oauth/callback?code=a&state=b'],
    ['embedded newline', 'sophon://oauth/callback?code=a\n&state=b'],
    ['embedded tab', 'sophon://oauth/cal\tlback?code=a&state=b'],
    ['NUL', 'sophon://oauth/callback?code=a\u0000&state=b'],
    ['DEL', 'sophon://oauth/callback?code=a\u007f&state=b'],
    ['line separator', 'sophon://oauth/callback?code=a\u2028&state=b'],
    ['no query', 'sophon://oauth/callback'],
    ['empty query', 'sophon://oauth/callback?'],
    ['no state', 'sophon://oauth/callback?code=a'],
    ['empty state', 'sophon://oauth/callback?code=a&state='],
    ['neither code nor error', 'sophon://oauth/callback?state=b'],
    ['repeated state', 'sophon://oauth/callback?code=a&state=b&state=c'],
    ['repeated code', 'sophon://oauth/callback?code=a&code=x&state=b'],
    ['repeated iss', 'sophon://oauth/callback?code=a&state=b&iss=x&iss=y'],
    ['open with a query', 'sophon://open?next=https://evil.example'],
    ['unknown target', 'sophon://settings/delete-everything'],
    ['too long', `sophon://oauth/callback?code=${'a'.repeat(9000)}&state=b`],
    ['unicode host', 'sophon://оauth/callback?code=a&state=b'],
  ];

  for (const [name, input] of hostile) {
    it(`refuses ${name}`, () => {
      const link = parseDeepLink(input);
      expect(link.kind).toBe('unknown');
      if (link.kind === 'unknown') {
        expect(link.reason.length).toBeGreaterThan(0);
        // The reason never echoes a code or state (a link may carry one).
        expect(link.reason).not.toMatch(/code=|state=/);
      }
    });
  }
});

describe('deepLinkFromArgv', () => {
  it('finds the link among Chromium flags (Windows and Linux second instance)', () => {
    expect(deepLinkFromArgv(['/opt/Sophon/sophon', '--allow-file-access-from-files', 'sophon://oauth/callback?code=a&state=b'])).toBe('sophon://oauth/callback?code=a&state=b');
  });
  it('ignores a link smuggled into a flag value and argv without a link', () => {
    expect(deepLinkFromArgv(['/opt/Sophon/sophon', '--foo=sophon://oauth/callback?code=a&state=b'])).toBeUndefined();
    expect(deepLinkFromArgv(['/opt/Sophon/sophon', '.'])).toBeUndefined();
  });
});
