import { describe, it, expect } from 'vitest';
import { BUILTIN_SERVICES } from '../../main/core/catalog/builtin/index.ts';
import { EnvVar, ServiceDefinition } from '../../main/core/catalog/schema.ts';
import { findToken, runEnvironment, tokenPlaces, toolBaseName, type TokenConnection } from '../../main/core/index.ts';
import { targetPath } from '../../main/core/agents/proxy-client.ts';
import { defaultTool, runChildEnvironment } from '../../main/cli/agents/run-program.ts';

const catalog = BUILTIN_SERVICES.map((s) => ServiceDefinition.parse(s));
const service = (id: string) => catalog.find((s) => s.id === id);
const TOKEN = `sbt_${'A'.repeat(43)}`;
const OTHER = `sbt_${'B'.repeat(43)}`;
const PROXY = 'http://127.0.0.1:4000/proxy';

function granted(id: string, svc: string, label: string, provider?: string): TokenConnection {
  return { connectionId: id, service: svc, label, methods: null, paths: ['/'], ...(provider ? { provider, billing: 'per-token' as const } : {}) };
}

describe('sophon run: the child\'s variables', () => {
  it('points each granted service\'s SDK variables at its proxy address, a provider by its name', () => {
    const run = runEnvironment({ catalog, service, proxyUrl: PROXY, token: TOKEN, connections: [granted('openai-1', 'openai', 'default', 'openai'), granted('github-1', 'github', 'work')] });
    expect(run.env).toEqual({
      OPENAI_BASE_URL: `${PROXY}/openai/v1`,
      OPENAI_API_KEY: TOKEN,
      GH_TOKEN: TOKEN,
      GITHUB_TOKEN: TOKEN,
      GITHUB_API_URL: `${PROXY}/github-1`,
      SOPHON_BROKER_URL: PROXY,
      SOPHON_BROKER_TOKEN: TOKEN,
    });
    expect(run.warnings).toEqual([]);
    // Every key variable any service names is cleared first, granted or not.
    for (const name of ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN', 'GEMINI_API_KEY', 'OPENROUTER_API_KEY', 'COPILOT_GITHUB_TOKEN', 'OPENAI_ADMIN_KEY']) expect(run.unset).toContain(name);
  });

  it('leaves out what would be a guess: two connections of one service, or two services wanting one variable', () => {
    const two = runEnvironment({ catalog, service, proxyUrl: PROXY, token: TOKEN, connections: [granted('github-1', 'github', 'work'), granted('github-2', 'github', 'personal')] });
    expect(two.env['GH_TOKEN']).toBeUndefined();
    expect(two.warnings).toEqual(['GH_TOKEN, GITHUB_TOKEN, GITHUB_API_URL not set: the skill may use 2 GitHub connections (github:work, github:personal) — pass --connection github:work to choose one']);
    const provider = runEnvironment({ catalog, service, proxyUrl: PROXY, token: TOKEN, connections: [granted('a-1', 'anthropic', 'console', 'anthropic'), granted('s-1', 'anthropic-subscription', 'sub', 'anthropic')] });
    expect(provider.env['ANTHROPIC_BASE_URL']).toBe(`${PROXY}/anthropic`);
    expect(provider.warnings).toEqual([]);
    const clash = runEnvironment({
      catalog: [...catalog, ServiceDefinition.parse({ id: 'other-ai', name: 'Other', category: 'ai', auth: [{ type: 'api_key' }], api: { baseUrl: 'https://o.example' }, env: [{ name: 'OPENAI_API_KEY', value: '{token}' }, { name: 'OPENAI_BASE_URL', value: '{baseUrl}' }] })],
      service: (id) => (id === 'other-ai' ? ServiceDefinition.parse({ id: 'other-ai', name: 'Other', category: 'ai', auth: [{ type: 'api_key' }], api: { baseUrl: 'https://o.example' }, env: [{ name: 'OPENAI_API_KEY', value: '{token}' }, { name: 'OPENAI_BASE_URL', value: '{baseUrl}' }] }) : service(id)),
      proxyUrl: PROXY,
      token: TOKEN,
      connections: [granted('openai-1', 'openai', 'default', 'openai'), granted('other-1', 'other-ai', 'default')],
    });
    expect(clash.env['OPENAI_BASE_URL']).toBeUndefined();
    expect(clash.env['OPENAI_API_KEY']).toBe(TOKEN);
    expect(clash.warnings).toEqual(['OPENAI_BASE_URL not set: both openai and other-ai:default would set it — pass --connection to choose one']);
  });

  it('takes the parent\'s environment less Sophon\'s secrets and every cleared key, then the run\'s variables', () => {
    const { env, removed } = runChildEnvironment(
      { PATH: '/bin', SOPHON_HOME: '/h', SOPHON_VAULT_PASSPHRASE: 'p', SOPHON_ANYTHING_ELSE: 'x', OPENAI_API_KEY: 'sk-real', GH_TOKEN: 'ghp_real', EDITOR: 'vi' },
      { env: { OPENAI_API_KEY: TOKEN }, unset: ['GH_TOKEN', 'OPENAI_API_KEY'] },
    );
    expect(env).toEqual({ PATH: '/bin', SOPHON_HOME: '/h', EDITOR: 'vi', OPENAI_API_KEY: TOKEN });
    expect(removed).toEqual(['GH_TOKEN', 'SOPHON_ANYTHING_ELSE', 'SOPHON_VAULT_PASSPHRASE']);
    expect(defaultTool('/usr/local/bin/claude')).toBe('claude');
    expect(defaultTool('C:\\weird name!.exe')).toMatch(/^[A-Za-z0-9]/);
  });

  it('refuses an env template with another placeholder', () => {
    expect(EnvVar.safeParse({ name: 'X_URL', value: '{baseUrl}/v1' }).success).toBe(true);
    expect(EnvVar.safeParse({ name: 'X_KEY', value: '{password}' }).success).toBe(false);
    expect(EnvVar.safeParse({ name: 'lower', value: '{token}' }).success).toBe(false);
  });
});

describe('finding the broker token in a request', () => {
  const places = tokenPlaces(catalog);

  it('knows the places the catalog names', () => {
    expect([...places.headers].sort()).toEqual(['private-token', 'x-api-key', 'x-goog-api-key']);
    expect(places.query).toEqual(['key']);
  });

  it('accepts Bearer, token and bare values of the broker token\'s shape only', () => {
    expect(findToken({ authorization: `Bearer ${TOKEN}` }, '/proxy/x/y', places)).toMatchObject({ token: TOKEN, conflict: false, headers: undefined });
    expect(findToken({ authorization: `token ${TOKEN}` }, '/proxy/x/y', places).token).toBe(TOKEN);
    expect(findToken({ 'x-api-key': TOKEN }, '/proxy/x/y', places)).toMatchObject({ token: TOKEN, headers: new Set(['x-api-key']) });
    expect(findToken({ 'x-api-key': 'sk-ant-real' }, '/proxy/x/y', places).token).toBeUndefined();
    expect(findToken({}, `/proxy/gemini/v1beta/models?alt=sse&key=${TOKEN}`, places)).toMatchObject({ token: TOKEN, query: new Set(['key']) });
    expect(findToken({}, `/proxy/gemini/v1beta/models?notkey=${TOKEN}`, places).token).toBeUndefined();
    expect(findToken({ authorization: `Bearer ${TOKEN}`, 'x-goog-api-key': OTHER }, '/p', places).conflict).toBe(true);
  });

  it('a tool name\'s call id is not part of what a manifest names; a model\'s path is encoded and checked', () => {
    expect(toolBaseName('http_request#17')).toBe('http_request');
    expect(toolBaseName('summarise')).toBe('summarise');
    expect(targetPath('repos/a b/issues?state=open', { per_page: 5, labels: ['x', 'y'] })).toBe('/repos/a%20b/issues?state=open&per_page=5&labels=x&labels=y');
    expect(targetPath('/caf\u00e9', undefined)).toBe('/caf%C3%A9');
    expect(() => targetPath('/a/%2e%2e/b', undefined)).toThrow(/"\." or "\.\." segment/);
    expect(() => targetPath('/../other-connection/x', undefined)).toThrow(/segment/);
  });
});
