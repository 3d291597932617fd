import { describe, expect, it } from 'vitest';
import { BUILTIN_SERVICES } from '../../main/core/catalog/builtin/index.ts';
import { Catalog, checkDefinition, resolveBaseUrl } from '../../main/core/catalog/catalog.ts';
import { Settings } from '../../main/core/settings.ts';
import { moveOrigins } from '../../main/core/catalog/origins.ts';
import { loopbackRedirectPattern, redirectsToRegister } from '../../main/core/catalog/redirects.ts';
import { ServiceDefinition, type AuthMethod } from '../../main/core/catalog/schema.ts';

const services = BUILTIN_SERVICES.map((input) => ServiceDefinition.parse(input));
const byId = (id: string) => services.find((s) => s.id === id)!;
const method = <T extends AuthMethod['type']>(id: string, type: T) => byId(id).auth.find((m): m is Extract<AuthMethod, { type: T }> => m.type === type)!;

describe('provider facts in the built-in catalog', () => {
  it('records a source for every entry and for every OAuth/device method', () => {
    for (const service of services) {
      expect(service.docsUrl, service.id).toMatch(/^https:\/\//);
      for (const m of service.auth) if (m.type === 'oauth2' || m.type === 'device') expect(m.docs, `${service.id}/${m.type}`).toMatch(/^https:\/\//);
    }
  });

  it('says for every browser sign-in which issuer the provider sends (or none), unless discovery says it', () => {
    for (const service of services) {
      for (const m of service.auth) {
        if (m.type !== 'oauth2') continue;
        expect(m.issuer !== undefined || m.responseIssuer !== undefined, `${service.id}: declare responseIssuer`).toBe(true);
      }
    }
    expect(method('gmail', 'oauth2').responseIssuer).toEqual({ issuer: 'https://accounts.google.com', always: false, idTokenIssuers: ['accounts.google.com'] });
    expect(method('github', 'oauth2').responseIssuer).toMatchObject({ issuer: 'https://github.com/login/oauth' });
  });

  it('says for every OAuth/device method how `connect remove` revokes, with a page to go to when Sophon cannot', () => {
    for (const service of services) {
      for (const m of service.auth) {
        if (m.type !== 'oauth2' && m.type !== 'device') continue;
        expect(m.revocation, `${service.id}/${m.type}`).toBeDefined();
        if (m.revocation?.kind === 'rfc7009') expect(m.revocationEndpoint !== undefined || m.issuer !== undefined, `${service.id}/${m.type}`).toBe(true);
      }
    }
  });

  it('passes the connector checks (placeholders declared or learnt, https everywhere)', () => {
    for (const service of services) expect(checkDefinition(service), service.id).toEqual([]);
  });

  it('shows the exact redirect URIs to register: without a port where it is ignored, with the fixed port where not', () => {
    expect(redirectsToRegister(method('gmail', 'oauth2'))).toEqual([]);
    expect(redirectsToRegister(method('github', 'oauth2')).map((r) => r.uri)).toEqual(['http://127.0.0.1/oauth/callback']);
    expect(redirectsToRegister(method('outlook', 'oauth2')).map((r) => r.uri)).toEqual(['sophon://oauth/callback', 'http://localhost/oauth/callback']);
    expect(redirectsToRegister(method('dropbox', 'oauth2')).map((r) => r.uri)).toEqual(['http://127.0.0.1:53682/oauth/callback']);
    expect(redirectsToRegister(method('openai-codex', 'oauth2'))).toEqual([]);
    expect(redirectsToRegister(method('github', 'device'))).toEqual([]);
  });

  it('reads the loopback redirect Sophon sends as whole URIs, one per fixed port', () => {
    expect(loopbackRedirectPattern(method('openai-codex', 'oauth2'))).toBe('http://localhost:1455/auth/callback or http://localhost:1457/auth/callback');
    expect(loopbackRedirectPattern(method('dropbox', 'oauth2'))).toBe('http://127.0.0.1:53682/oauth/callback');
    expect(loopbackRedirectPattern(method('gmail', 'oauth2'))).toBe('http://127.0.0.1:{any free port}/oauth/callback');
  });

  it('sends Atlassian OAuth tokens through api.atlassian.com with the learnt cloud id, API tokens to the site', () => {
    const jira = byId('jira');
    expect(resolveBaseUrl(jira, { site: 'acme', cloudId: 'c-1' }, method('jira', 'oauth2'))).toBe('https://api.atlassian.com/ex/jira/c-1');
    expect(resolveBaseUrl(jira, { site: 'acme' }, method('jira', 'basic'))).toBe('https://acme.atlassian.net');
  });

  it('accepts every documented current token format (a typo check, not a gate)', () => {
    const re = (id: string, type: 'bearer' | 'api_key') => new RegExp((method(id, type) as { pattern: string }).pattern);
    for (const token of ['ghp_x', 'github_pat_x', 'gho_x', 'ghu_x', 'ghs_x']) expect(token).toMatch(re('github', 'bearer'));
    for (const token of ['xoxb-1', 'xoxp-1', 'xoxe.xoxp-1-abc', 'xoxe.xoxb-1-abc']) expect(token).toMatch(re('slack', 'bearer'));
    for (const token of ['ntn_abc', 'secret_abc']) expect(token).toMatch(re('notion', 'bearer'));
    for (const token of ['sk-proj-a', 'sk-svcacct-a', 'sk-admin-a', 'sk-abc']) expect(token).toMatch(re('openai', 'api_key'));
    expect('sk-ant-admin01-a').toMatch(re('anthropic', 'api_key'));
  });
});

describe('Sophon.Services.<id> overrides of provider facts', () => {
  it('responseIssuer and loopbackPort change what is expected and where Sophon listens', async () => {
    const settings = Settings.parse({ Sophon: { Services: { outlook: { responseIssuer: 'https://login.microsoftonline.com/t1/v2.0' }, dropbox: { loopbackPort: 41234 }, gmail: { loopbackPort: 41234 } } } });
    const catalog = await Catalog.load({ connectorsDir: '/nonexistent-sophon-connectors', settings });
    const outlook = catalog.require('outlook').auth.find((m) => m.type === 'oauth2') as Extract<AuthMethod, { type: 'oauth2' }>;
    expect(outlook.responseIssuer).toEqual({ issuer: 'https://login.microsoftonline.com/t1/v2.0', always: false, idTokenIssuers: [] });
    expect(redirectsToRegister(catalog.require('dropbox').auth[0]!).map((r) => r.uri)).toEqual(['http://127.0.0.1:41234/oauth/callback']);
    // GitHub Enterprise: the revocation call and the callback issuer move with the host.
    const ghe = (await Catalog.load({ connectorsDir: '/nonexistent-sophon-connectors', settings: Settings.parse({ Sophon: { Services: { github: { host: 'github.acme.example' } } } }) })).require('github').auth[0] as Extract<AuthMethod, { type: 'oauth2' }>;
    expect(ghe.revocation).toMatchObject({ url: 'https://github.acme.example/api/v3/applications/{client_id}/token' });
    expect(ghe.responseIssuer).toMatchObject({ issuer: 'https://github.acme.example/login/oauth' });
    // Google ignores the port: nothing to fix there.
    expect((catalog.require('gmail').auth[0] as Extract<AuthMethod, { type: 'oauth2' }>).loopback.ports).toBeUndefined();
  });
});

describe('Sophon.Services.<id>.origins', () => {
  it('moves every endpoint and API URL of an origin, and never the issuer a provider names or the scopes', () => {
    const moved = moveOrigins(byId('gmail'), { 'https://accounts.google.com': 'http://127.0.0.1:9', 'https://oauth2.googleapis.com': 'http://127.0.0.1:9', 'https://gmail.googleapis.com': 'http://127.0.0.1:9' }, 'test');
    const m = moved.auth[0] as Extract<AuthMethod, { type: 'oauth2' }>;
    expect(m.authorizationEndpoint).toBe('http://127.0.0.1:9/o/oauth2/v2/auth');
    expect(m.tokenEndpoint).toBe('http://127.0.0.1:9/token');
    expect(moved.api.baseUrl).toBe('http://127.0.0.1:9');
    expect(m.responseIssuer).toMatchObject({ issuer: 'https://accounts.google.com' });
    expect(m.scopes).toEqual(['https://www.googleapis.com/auth/gmail.readonly']);
    expect(m.clientRegistrationUrl).toBe('https://console.cloud.google.com/apis/credentials');
  });

  it('refuses a plain-http origin off this machine and a URL with a path', () => {
    expect(() => moveOrigins(byId('gmail'), { 'https://accounts.google.com': 'http://proxy.example' }, 'Sophon.Services.gmail.origins')).toThrow(/must be https/);
    expect(() => moveOrigins(byId('gmail'), { 'https://accounts.google.com/o': 'https://proxy.example' }, 'Sophon.Services.gmail.origins')).toThrow(/origin only/);
  });
});
