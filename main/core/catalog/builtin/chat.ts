import type { ServiceDefinitionInput } from '../schema.ts';
import { microsoftAuth } from './microsoft.ts';

const DISCORD_APPLICATIONS = 'https://discord.com/developers/applications';

export const CHAT_SERVICES: readonly ServiceDefinitionInput[] = [
  {
    id: 'slack',
    name: 'Slack',
    category: 'chat',
    description: 'The Slack Web API with a user token. Turn on PKCE in the app\'s OAuth settings (one-way: it makes the app a public client) and add sophon://oauth/callback and http://127.0.0.1/oauth/callback as redirect URLs. Desktop redirects cannot request bot scopes; paste a bot token (xoxb-) instead.',
    docsUrl: 'https://docs.slack.dev/reference/methods',
    auth: [
      {
        type: 'oauth2',
        // The user-token flow: `scope` carries user scopes here, unlike /oauth/v2/authorize.
        authorizationEndpoint: 'https://slack.com/oauth/v2_user/authorize',
        tokenEndpoint: 'https://slack.com/api/oauth.v2.user.access',
        revocationEndpoint: 'https://slack.com/api/auth.revoke',
        redirects: ['deeplink', 'loopback'],
        clientRegistrationUrl: 'https://api.slack.com/apps?new_app=1',
        clientSecret: 'optional',
        tokenEndpointAuth: 'client_secret_basic',
        scopes: ['users:read'],
      },
      { type: 'bearer', label: 'Slack token', pattern: '^xox[bpe]-', help: 'https://api.slack.com/apps' },
    ],
    api: { baseUrl: 'https://slack.com/api' },
    // Slack answers 200 even for a bad token; only "ok" tells.
    test: { method: 'POST', path: '/auth.test', expect: { json: { path: 'ok', equals: true } } },
  },
  {
    id: 'discord',
    name: 'Discord',
    category: 'chat',
    description: 'The Discord HTTP API, as a user (OAuth, identify scope) or as your bot (bot token from the application\'s Bot page).',
    docsUrl: 'https://discord.com/developers/docs/reference',
    auth: [
      {
        type: 'oauth2',
        authorizationEndpoint: 'https://discord.com/oauth2/authorize',
        tokenEndpoint: 'https://discord.com/api/oauth2/token',
        revocationEndpoint: 'https://discord.com/api/oauth2/token/revoke',
        redirects: ['loopback'],
        clientRegistrationUrl: DISCORD_APPLICATIONS,
        clientSecret: 'required',
        tokenEndpointAuth: 'client_secret_basic',
        scopes: ['identify'],
      },
      {
        type: 'bearer',
        label: 'Bot token',
        help: DISCORD_APPLICATIONS,
        attach: [{ in: 'header', name: 'Authorization', value: 'Bot {token}' }],
      },
    ],
    api: { baseUrl: 'https://discord.com/api/v10' },
    test: { path: '/users/@me' },
  },
  {
    id: 'microsoft-teams',
    name: 'Microsoft Teams',
    category: 'chat',
    description: 'Teams and channels through Microsoft Graph. Work or school accounts only; add ChannelMessage.Send or Chat.ReadWrite in appsettings.json to post.',
    docsUrl: 'https://learn.microsoft.com/graph/api/resources/teams-api-overview',
    auth: microsoftAuth(['Team.ReadBasic.All']),
    api: { baseUrl: 'https://graph.microsoft.com' },
    test: { path: '/v1.0/me/joinedTeams' },
  },
];
