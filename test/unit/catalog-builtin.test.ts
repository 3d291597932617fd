import { describe, it, expect } from 'vitest';
import { BUILTIN_SERVICES } from '../../main/core/catalog/builtin/index.ts';
import { ServiceDefinition, type AuthMethod } from '../../main/core/catalog/schema.ts';

const EXPECTED_IDS = [
  'gmail', 'google-calendar', 'google-drive', 'google-docs', 'google-sheets',
  'outlook', 'microsoft-calendar', 'onedrive', 'microsoft-graph',
  'github', 'gitlab',
  'slack', 'discord', 'microsoft-teams',
  'jira', 'confluence', 'linear', 'notion',
  'trello', 'asana', 'todoist',
  'zapier', 'make', 'ifttt',
  'twilio', 'telnyx',
  'openrouter', 'anthropic', 'openai', 'gemini', 'ollama',
  'anthropic-subscription', 'openai-codex', 'github-copilot',
  'dropbox', 'box',
  'mail', 'fastmail', 'icloud-mail', 'yahoo-mail', 'zoho-mail', 'gmx', 'web-de',
];

const services = BUILTIN_SERVICES.map((input) => ServiceDefinition.parse(input));

function fillParams(service: ServiceDefinition, template: string): string {
  return template.replace(/\{([a-zA-Z][a-zA-Z0-9_]*)\}/g, (_m, name: string) => {
    const param = service.params.find((p) => p.name === name);
    if (!param?.example) throw new Error(`${service.id}: {${name}} has no declared param with an example`);
    return param.example;
  });
}

function oauthLike(method: AuthMethod): method is Extract<AuthMethod, { type: 'oauth2' | 'device' }> {
  return method.type === 'oauth2' || method.type === 'device';
}

describe('built-in catalog', () => {
  it('parses every entry with the ServiceDefinition schema', () => {
    for (const input of BUILTIN_SERVICES) {
      const result = ServiceDefinition.safeParse(input);
      expect(result.success, `${input.id}: ${result.error?.message ?? ''}`).toBe(true);
    }
  });

  it('has unique ids and exactly the expected services', () => {
    const ids = services.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...EXPECTED_IDS].sort());
  });

  it('gives every oauth2/device method endpoints or an issuer, and a registration page', () => {
    for (const service of services) {
      for (const method of service.auth.filter(oauthLike)) {
        const where = `${service.id}/${method.type}`;
        if (method.type === 'oauth2') {
          expect(method.issuer !== undefined || (method.authorizationEndpoint !== undefined && method.tokenEndpoint !== undefined), where).toBe(true);
        } else {
          expect(method.issuer !== undefined || (method.deviceAuthorizationEndpoint !== undefined && method.tokenEndpoint !== undefined), where).toBe(true);
        }
        expect(method.clientRegistrationUrl, where).toMatch(/^https:\/\//);
        for (const url of [method.issuer, method.tokenEndpoint, method.revocationEndpoint]) {
          if (url !== undefined) expect(url, where).toMatch(/^https:\/\//);
        }
        if (method.clientSecret === 'required') expect(method.tokenEndpointAuth, where).not.toBe('none');
      }
    }
  });

  it('uses https base URLs (after filling params) except the local Ollama server', () => {
    for (const service of services) {
      for (const template of [service.api.baseUrl, ...service.api.additionalBaseUrls]) {
        const url = new URL(fillParams(service, template));
        if (service.id === 'ollama') {
          expect(url.protocol === 'https:' || (url.protocol === 'http:' && url.hostname === '127.0.0.1'), service.id).toBe(true);
        } else {
          expect(url.protocol, `${service.id}: ${template}`).toBe('https:');
        }
      }
    }
  });

  it('declares every base URL placeholder as a param whose example matches its pattern', () => {
    for (const service of services) {
      const used = [...service.api.baseUrl.matchAll(/\{([a-zA-Z][a-zA-Z0-9_]*)\}/g)].map((m) => m[1]);
      expect(new Set(used), service.id).toEqual(new Set(service.params.map((p) => p.name)));
      for (const param of service.params) {
        if (param.pattern && param.example) expect(param.example, `${service.id}.${param.name}`).toMatch(new RegExp(param.pattern));
      }
    }
  });

  it('has patterns that compile as regular expressions', () => {
    for (const service of services) {
      for (const method of service.auth) {
        if ('pattern' in method && method.pattern !== undefined) {
          expect(() => new RegExp(method.pattern as string), `${service.id}/${method.type}`).not.toThrow();
        }
      }
      for (const param of service.params) {
        if (param.pattern !== undefined) expect(() => new RegExp(param.pattern as string), `${service.id}.${param.name}`).not.toThrow();
      }
    }
  });

  it('accepts documented token prefixes and rejects other ones', () => {
    const pattern = (id: string, type: AuthMethod['type']): RegExp => {
      const method = services.find((s) => s.id === id)?.auth.find((m) => m.type === type);
      if (!method || !('pattern' in method) || !method.pattern) throw new Error(`${id}/${type} has no pattern`);
      return new RegExp(method.pattern);
    };
    expect('sk-or-v1-abc').toMatch(pattern('openrouter', 'api_key'));
    expect('sk-ant-api03-abc').toMatch(pattern('anthropic', 'api_key'));
    expect('sk-proj-abc').toMatch(pattern('openai', 'api_key'));
    expect('github_pat_11ABC').toMatch(pattern('github', 'bearer'));
    expect('xoxp-123').toMatch(pattern('slack', 'bearer'));
    expect('lin_api_abc').toMatch(pattern('linear', 'api_key'));
    expect('AIzaSy-not-openrouter').not.toMatch(pattern('openrouter', 'api_key'));
    expect('xoxa-123').not.toMatch(pattern('slack', 'bearer'));
  });

  it('has test calls with relative paths', () => {
    for (const service of services) {
      if (service.test) expect(service.test.path.startsWith('/'), service.id).toBe(true);
    }
  });

  it('keeps the provider-specific attach rules', () => {
    const byId = (id: string) => services.find((s) => s.id === id)!;
    const rules = (id: string, type: AuthMethod['type']) => {
      const service = byId(id);
      const method = service.auth.find((m) => m.type === type)!;
      return ('attach' in method && method.attach) || service.attach;
    };
    expect(rules('anthropic', 'api_key')).toEqual([{ in: 'header', name: 'x-api-key', value: '{token}' }]);
    expect(rules('gemini', 'api_key')).toEqual([{ in: 'header', name: 'x-goog-api-key', value: '{token}' }]);
    expect(rules('linear', 'api_key')).toEqual([{ in: 'header', name: 'Authorization', value: '{token}' }]);
    expect(rules('discord', 'bearer')[0]?.value).toBe('Bot {token}');
    expect(rules('github', 'bearer')[0]?.value).toBe('Bearer {token}');
    expect(byId('notion').api.headers['Notion-Version']).toBe('2022-06-28');
    expect(byId('anthropic').api.headers['anthropic-version']).toBe('2023-06-01');
  });

  it('asks Google for a refresh token and never offers Google a custom scheme', () => {
    for (const service of services.filter((s) => s.id.startsWith('google-') || s.id === 'gmail')) {
      const method = service.auth.find((m) => m.type === 'oauth2');
      expect(method?.type).toBe('oauth2');
      if (method?.type !== 'oauth2') continue;
      expect(method.extraAuthParams).toMatchObject({ access_type: 'offline', prompt: 'consent' });
      expect(method.redirects).not.toContain('deeplink');
    }
  });
});
