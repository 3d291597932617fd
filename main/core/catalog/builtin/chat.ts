import type { ServiceDefinitionInput } from '../schema.ts';
import { microsoftAuth } from './microsoft.ts';

const DISCORD_APPLICATIONS = 'https://discord.com/developers/applications';

export const CHAT_SERVICES: readonly ServiceDefinitionInput[] = [
  {
    id: 'slack',
    name: 'Slack',
    category: 'chat',
    description: 'The Slack Web API with a user token. Turn on PKCE in the app\'s OAuth settings (one-way: it makes the app a public client, no secret needed) and add the redirect URLs Sophon shows for it. Desktop redirects cannot request bot scopes; paste a bot token (xoxb-) instead.',
    docsUrl: 'https://docs.slack.dev/reference/methods',
    auth: [
      {
        type: 'oauth2',
        docs: 'https://docs.slack.dev/authentication/using-pkce',
        // The user-token pair Slack's own authorization-server metadata names (issuer https://slack.com,
        // client_secret_post, S256): `scope` carries user scopes and the token is at the top of the answer.
        authorizationEndpoint: 'https://slack.com/oauth/v2_user/authorize',
        tokenEndpoint: 'https://slack.com/api/oauth.v2.user.access',
        responseIssuer: { issuer: 'https://slack.com', always: false },
        // Slack compares the redirect's host and port with a registered Redirect URL: a fixed port.
        redirects: ['deeplink', 'loopback'],
        loopback: { host: 'localhost', match: 'exact' },
        clientRegistrationUrl: 'https://api.slack.com/apps?new_app=1',
        clientSecret: 'optional',
        tokenEndpointAuth: 'client_secret_post',
        // Slack scopes are comma-separated; its errors come back as HTTP 200 {"ok": false, "error": …};
        // user tokens say token_type "user". Custom-scheme sign-ins always get rotating tokens (12 h, refresh 30 days).
        scopeSeparator: ',',
        tokenTypes: ['bearer', 'user'],
        errorAliases: { invalid_refresh_token: 'invalid_grant' },
        revocation: {
          kind: 'request',
          method: 'POST',
          url: 'https://slack.com/api/auth.revoke',
          auth: 'bearer',
          okJson: { path: 'ok', equals: true },
          manageUrl: 'https://slack.com/apps/manage',
          docs: 'https://docs.slack.dev/reference/methods/auth.revoke',
        },
        scopes: ['users:read'],
      },
      {
        type: 'bearer',
        label: 'Slack token',
        // Bot and user tokens, and their rotating forms (xoxe.xoxp-, xoxe.xoxb-); xoxa- workspace tokens are retired.
        pattern: '^(xoxe\\.)?xox[bp]-',
        help: 'https://api.slack.com/apps',
        docs: 'https://docs.slack.dev/authentication/tokens',
      },
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
        docs: 'https://discord.com/developers/docs/topics/oauth2',
        // From https://discord.com/.well-known/oauth-authorization-server: issuer https://discord.com,
        // authorization_response_iss_parameter_supported, RFC 7009 revocation, S256, auth basic/post/none.
        authorizationEndpoint: 'https://discord.com/api/oauth2/authorize',
        tokenEndpoint: 'https://discord.com/api/oauth2/token',
        revocationEndpoint: 'https://discord.com/api/oauth2/token/revoke',
        responseIssuer: { issuer: 'https://discord.com', always: true },
        // Redirects must match a registered one exactly, port included.
        redirects: ['loopback'],
        loopback: { host: '127.0.0.1', match: 'exact' },
        clientRegistrationUrl: DISCORD_APPLICATIONS,
        // Needed unless the application is marked "Public Client".
        clientSecret: 'optional',
        tokenEndpointAuth: 'client_secret_basic',
        revocation: { kind: 'rfc7009', token: 'refresh' },
        scopes: ['identify'],
      },
      {
        type: 'bearer',
        label: 'Bot token',
        help: DISCORD_APPLICATIONS,
        docs: 'https://discord.com/developers/docs/reference#authentication',
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
