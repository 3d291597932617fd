import type { ServiceDefinitionInput } from '../schema.ts';

export const TELEPHONY_SERVICES: readonly ServiceDefinitionInput[] = [
  {
    id: 'twilio',
    name: 'Twilio',
    category: 'telephony',
    description: 'The Twilio REST APIs with your Account SID and Auth Token. Standard API keys (SK…) work for most calls but cannot read /Accounts, which the connection test uses.',
    docsUrl: 'https://www.twilio.com/docs/usage/api',
    auth: [
      {
        type: 'basic',
        usernameLabel: 'Account SID',
        passwordLabel: 'Auth token',
        help: 'https://console.twilio.com/',
        attach: [{ in: 'header', name: 'Authorization', value: 'Basic {basic}' }],
      },
    ],
    api: {
      baseUrl: 'https://api.twilio.com',
      additionalBaseUrls: ['https://messaging.twilio.com', 'https://verify.twilio.com', 'https://lookups.twilio.com'],
    },
    test: { path: '/2010-04-01/Accounts.json' },
  },
  {
    id: 'telnyx',
    name: 'Telnyx',
    category: 'telephony',
    description: 'The Telnyx API v2 with an API key.',
    docsUrl: 'https://developers.telnyx.com/api/overview',
    auth: [{ type: 'api_key', help: 'https://portal.telnyx.com/#/api-keys' }],
    api: { baseUrl: 'https://api.telnyx.com' },
    test: { path: '/v2/balance' },
  },
];
