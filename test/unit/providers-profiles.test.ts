import { describe, it, expect } from 'vitest';
import { Catalog, DEFAULT_SETTINGS, Settings, SophonError } from '../../main/core/index.ts';
import { githubHosts } from '../../main/core/providers/github-host.ts';
import { checkProfiles, defaultOrder, effectiveOrder, expiryState, normaliseProfileId, type Profile } from '../../main/core/providers/profiles.ts';
import { jwtExpiry, openaiIdentity } from '../../main/core/providers/jwt.ts';
import { refreshErrorCode } from '../../main/core/providers/codex-oauth.ts';
import { openaiJwt } from '../helpers/provider-env.ts';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const HOUR = 3_600_000;

function profile(id: string, source: Profile['source'], state: Profile['state'] = 'usable', extra: Partial<Profile> = {}): Profile {
  const [provider, name] = id.split(':') as [string, string];
  return { id, provider, name, service: provider, source, state, refreshable: false, billing: 'subscription', ...extra };
}

describe('profile states and --check', () => {
  it('classifies expiry: far is usable, within 24 h expiring, past expired; what Sophon renews stays usable', () => {
    expect(expiryState(undefined, false, NOW)).toBe('usable');
    expect(expiryState(NOW + 48 * HOUR, false, NOW)).toBe('usable');
    expect(expiryState(NOW + 2 * HOUR, false, NOW)).toBe('expiring');
    expect(expiryState(NOW - 1, false, NOW)).toBe('expired');
    expect(expiryState(NOW - HOUR, true, NOW)).toBe('usable');
  });

  it('exits 0 when all are usable, 2 when one expires within 24 h, 1 when one is expired or missing, or none exist', () => {
    expect(checkProfiles([profile('anthropic:a', 'cli-sync')]).exitCode).toBe(0);
    expect(checkProfiles([profile('anthropic:a', 'cli-sync'), profile('openai-codex:b', 'oauth', 'expiring')]).exitCode).toBe(2);
    const broken = checkProfiles([profile('anthropic:a', 'cli-sync', 'expiring'), profile('github-copilot:c', 'token', 'missing', { reason: 'gone — fix it' })]);
    expect(broken.exitCode).toBe(1);
    expect(broken.problems).toEqual(['github-copilot:c: missing — gone — fix it']);
    expect(checkProfiles([profile('x:y', 'oauth', 'needs_reauth')]).exitCode).toBe(1);
    expect(checkProfiles([]).exitCode).toBe(1);
  });
});

describe('auth order', () => {
  const profiles = [profile('anthropic:work', 'token'), profile('anthropic:api', 'api-key'), profile('anthropic:claude-cli', 'cli-sync'), profile('anthropic:default', 'token')];

  it('defaults to tokens, CLI sign-ins, then pay-per-use keys; "default" first within a source', () => {
    expect(defaultOrder(profiles)).toEqual(['anthropic:default', 'anthropic:work', 'anthropic:claude-cli', 'anthropic:api']);
  });

  it('puts an explicit order first, then the rest', () => {
    expect(effectiveOrder(profiles, ['anthropic:api', 'anthropic:later'])).toEqual(['anthropic:api', 'anthropic:later', 'anthropic:default', 'anthropic:work', 'anthropic:claude-cli']);
  });

  it('accepts provider:name or a bare name, and refuses another provider\'s profile', () => {
    expect(normaliseProfileId('anthropic', 'work')).toBe('anthropic:work');
    expect(normaliseProfileId('anthropic', 'anthropic:work')).toBe('anthropic:work');
    expect(() => normaliseProfileId('anthropic', 'openai-codex:default')).toThrow(SophonError);
  });
});

describe('GitHub Enterprise host override', () => {
  it('maps a host to OAuth on the host, REST under /api/v3, and *.ghe.com to api.HOST', () => {
    expect(githubHosts(undefined)).toMatchObject({ web: 'https://github.com', api: 'https://api.github.com', enterprise: false });
    expect(githubHosts('github.example.com')).toMatchObject({ web: 'https://github.example.com', api: 'https://github.example.com/api/v3', enterprise: true });
    expect(githubHosts('https://acme.ghe.com')).toMatchObject({ web: 'https://acme.ghe.com', api: 'https://api.acme.ghe.com', copilotApi: 'https://copilot-api.acme.ghe.com' });
    expect(githubHosts('http://127.0.0.1:8123')).toMatchObject({ web: 'http://127.0.0.1:8123', api: 'http://127.0.0.1:8123/api/v3' });
    expect(() => githubHosts('http://github.example.com')).toThrow(/must be https/);
  });

  it('moves the Copilot and GitHub definitions to the host; an explicit endpoint still wins', async () => {
    const settings = Settings.parse({ Sophon: { Services: { 'github-copilot': { host: 'github.example.com' }, github: { host: 'github.example.com', tokenEndpoint: 'https://sso.example.com/token' } } } });
    const catalog = await Catalog.load({ connectorsDir: '/nonexistent', settings });
    const copilot = catalog.require('github-copilot').auth.find((m) => m.type === 'device');
    expect(copilot).toMatchObject({ deviceAuthorizationEndpoint: 'https://github.example.com/login/device/code', tokenEndpoint: 'https://github.example.com/login/oauth/access_token' });
    const github = catalog.require('github');
    expect(github.api.baseUrl).toBe('https://github.example.com/api/v3');
    expect(github.auth.find((m) => m.type === 'oauth2')).toMatchObject({ authorizationEndpoint: 'https://github.example.com/login/oauth/authorize', tokenEndpoint: 'https://sso.example.com/token' });
    const plain = await Catalog.load({ connectorsDir: '/nonexistent', settings: DEFAULT_SETTINGS });
    expect(plain.require('github-copilot').auth.find((m) => m.type === 'device')).toMatchObject({ tokenEndpoint: 'https://github.com/login/oauth/access_token', defaultClientId: 'Iv1.b507a08c87ecfe98' });
  });
});

describe('OpenAI token claims', () => {
  it('reads plan, account and expiry without trusting them for anything else', () => {
    const token = openaiJwt({ exp: 2_000_000_000, accountId: 'acct-1', plan: 'pro', email: 'x@example.com' });
    expect(openaiIdentity(token)).toEqual({ accountId: 'acct-1', plan: 'pro', email: 'x@example.com' });
    expect(jwtExpiry(token)).toBe(2_000_000_000_000);
    expect(openaiIdentity('not-a-jwt')).toEqual({});
  });

  it('finds the refresh error code in each shape OpenAI has used', () => {
    expect(refreshErrorCode({ error: 'refresh_token_reused' })).toBe('refresh_token_reused');
    expect(refreshErrorCode({ error: { code: 'refresh_token_expired', message: 'x' } })).toBe('refresh_token_expired');
    expect(refreshErrorCode({ code: 'refresh_token_invalidated' })).toBe('refresh_token_invalidated');
    expect(refreshErrorCode('nope')).toBeUndefined();
  });
});
