// Placeholder until the full built-in catalog lands (being written now).
import type { ServiceDefinitionInput } from '../schema.ts';

export const BUILTIN_SERVICES: readonly ServiceDefinitionInput[] = [
  {
    id: 'openrouter',
    name: 'OpenRouter',
    category: 'ai',
    auth: [{ type: 'api_key', pattern: '^sk-or-', help: 'https://openrouter.ai/settings/keys' }],
    api: { baseUrl: 'https://openrouter.ai/api/v1' },
    test: { path: '/key' },
  },
];
