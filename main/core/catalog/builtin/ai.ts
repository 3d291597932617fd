import type { ServiceDefinitionInput } from '../schema.ts';

/**
 * What the Anthropic SDKs and Claude Code read: the base URL and the key; the other ways
 * they take a credential are cleared so a real one from the parent cannot reach the child.
 */
export const ANTHROPIC_ENV: NonNullable<ServiceDefinitionInput['env']> = [
  { name: 'ANTHROPIC_BASE_URL', value: '{baseUrl}' },
  { name: 'ANTHROPIC_API_KEY', value: '{token}' },
  { name: 'ANTHROPIC_AUTH_TOKEN' },
  { name: 'ANTHROPIC_IDENTITY_TOKEN' },
  { name: 'CLAUDE_CODE_OAUTH_TOKEN' },
];
export const ANTHROPIC_ENV_SOURCE = 'https://docs.anthropic.com/en/docs/claude-code/settings#environment-variables';

export const AI_SERVICES: readonly ServiceDefinitionInput[] = [
  {
    id: 'openrouter',
    name: 'OpenRouter',
    category: 'ai',
    description: 'OpenAI-compatible access to many models through one key.',
    docsUrl: 'https://openrouter.ai/docs/api-reference/overview',
    auth: [{ type: 'api_key', pattern: '^sk-or-', help: 'https://openrouter.ai/settings/keys' }],
    api: { baseUrl: 'https://openrouter.ai/api/v1' },
    test: { path: '/key' },
    provider: 'openrouter',
    // OpenRouter's docs name the key variable; the base URL one is what OpenAI-SDK programs are pointed at by convention.
    env: [
      { name: 'OPENROUTER_API_KEY', value: '{token}' },
      { name: 'OPENROUTER_BASE_URL', value: '{baseUrl}' },
    ],
    envSource: 'https://openrouter.ai/docs/api-reference/authentication',
  },
  {
    id: 'anthropic',
    name: 'Anthropic API',
    category: 'ai',
    description: 'The Claude API with a Console API key (billed per use, not a Claude subscription).',
    docsUrl: 'https://docs.anthropic.com/en/api/overview',
    auth: [
      {
        type: 'api_key',
        pattern: '^sk-ant-',
        help: 'https://console.anthropic.com/settings/keys',
        attach: [{ in: 'header', name: 'x-api-key', value: '{token}' }],
      },
    ],
    api: { baseUrl: 'https://api.anthropic.com', headers: { 'anthropic-version': '2023-06-01' } },
    test: { path: '/v1/models' },
    provider: 'anthropic',
    broker: { tokenIn: [{ in: 'header', name: 'x-api-key' }] },
    env: ANTHROPIC_ENV,
    envSource: ANTHROPIC_ENV_SOURCE,
  },
  {
    id: 'openai',
    name: 'OpenAI API',
    category: 'ai',
    description: 'The OpenAI API with a platform API key (billed per use, not a ChatGPT subscription).',
    docsUrl: 'https://platform.openai.com/docs/api-reference',
    auth: [{ type: 'api_key', pattern: '^sk-', help: 'https://platform.openai.com/api-keys' }],
    api: { baseUrl: 'https://api.openai.com' },
    test: { path: '/v1/models' },
    provider: 'openai',
    // The SDK's default base is https://api.openai.com/v1.
    env: [
      { name: 'OPENAI_BASE_URL', value: '{baseUrl}/v1' },
      { name: 'OPENAI_API_KEY', value: '{token}' },
      { name: 'OPENAI_ADMIN_KEY' },
    ],
    envSource: 'https://github.com/openai/openai-node#usage',
  },
  {
    id: 'gemini',
    name: 'Google Gemini API',
    category: 'ai',
    description: 'The Gemini API (Google AI Studio) with an API key.',
    docsUrl: 'https://ai.google.dev/api',
    auth: [
      {
        type: 'api_key',
        help: 'https://aistudio.google.com/apikey',
        attach: [{ in: 'header', name: 'x-goog-api-key', value: '{token}' }],
      },
    ],
    api: { baseUrl: 'https://generativelanguage.googleapis.com' },
    test: { path: '/v1beta/models' },
    provider: 'gemini',
    // The Gemini SDKs send the key as x-goog-api-key; the REST docs also show ?key=.
    broker: { tokenIn: [{ in: 'header', name: 'x-goog-api-key' }, { in: 'query', name: 'key' }] },
    // GOOGLE_GEMINI_BASE_URL is what the Gemini CLI reads (github.com/google-gemini/gemini-cli/pull/25357).
    env: [
      { name: 'GEMINI_API_KEY', value: '{token}' },
      { name: 'GOOGLE_API_KEY', value: '{token}' },
      { name: 'GOOGLE_GEMINI_BASE_URL', value: '{baseUrl}' },
    ],
    envSource: 'https://ai.google.dev/gemini-api/docs/api-key',
  },
  {
    id: 'ollama',
    name: 'Ollama (local)',
    category: 'ai',
    description: 'A local Ollama server. Ollama itself checks no credential: store a token only if a reverse proxy in front of it asks for one (any value works otherwise). For another machine, override baseUrl with an https URL.',
    docsUrl: 'https://github.com/ollama/ollama/blob/main/docs/api.md',
    auth: [{ type: 'bearer', label: 'Proxy token (optional for a plain local server)' }],
    api: { baseUrl: 'http://127.0.0.1:11434' },
    test: { path: '/api/tags' },
    provider: 'ollama',
  },
];
