import type { ServiceDefinitionInput } from '../schema.ts';

const NOTION_INTEGRATIONS = 'https://www.notion.so/profile/integrations';
const ASANA_APPS = 'https://app.asana.com/0/my-apps';
const TODOIST_APP_CONSOLE = 'https://developer.todoist.com/appconsole.html';

export const PROJECT_SERVICES: readonly ServiceDefinitionInput[] = [
  {
    id: 'linear',
    name: 'Linear',
    category: 'project',
    description: 'The Linear GraphQL API (POST /graphql).',
    docsUrl: 'https://linear.app/developers/graphql',
    auth: [
      {
        type: 'oauth2',
        authorizationEndpoint: 'https://linear.app/oauth/authorize',
        tokenEndpoint: 'https://api.linear.app/oauth/token',
        revocationEndpoint: 'https://api.linear.app/oauth/revoke',
        redirects: ['loopback', 'deeplink'],
        clientRegistrationUrl: 'https://linear.app/settings/api/applications/new',
        clientSecret: 'optional',
        tokenEndpointAuth: 'client_secret_post',
        // Linear separates scopes with commas; a single scope avoids the question.
        scopes: ['read'],
      },
      {
        type: 'api_key',
        label: 'Personal API key',
        pattern: '^lin_api_',
        help: 'https://linear.app/settings/account/security',
        // Personal keys go bare; only OAuth tokens take "Bearer".
        attach: [{ in: 'header', name: 'Authorization', value: '{token}' }],
      },
    ],
    api: { baseUrl: 'https://api.linear.app' },
    test: {
      method: 'POST',
      path: '/graphql',
      headers: { 'Content-Type': 'application/json' },
      body: '{"query":"{ viewer { id } }"}',
    },
  },
  {
    id: 'notion',
    name: 'Notion',
    category: 'docs',
    description: 'The Notion API. An internal integration secret is simplest: create one, then share the pages it may see with it. OAuth needs a public integration and its client secret.',
    docsUrl: 'https://developers.notion.com/reference/intro',
    auth: [
      {
        type: 'oauth2',
        authorizationEndpoint: 'https://api.notion.com/v1/oauth/authorize',
        tokenEndpoint: 'https://api.notion.com/v1/oauth/token',
        revocationEndpoint: 'https://api.notion.com/v1/oauth/revoke',
        redirects: ['loopback', 'deeplink'],
        extraAuthParams: { owner: 'user' },
        clientRegistrationUrl: NOTION_INTEGRATIONS,
        clientSecret: 'required',
        tokenEndpointAuth: 'client_secret_basic',
      },
      {
        type: 'bearer',
        label: 'Internal integration secret',
        // ntn_ since September 2024; older secrets start with secret_.
        pattern: '^(ntn_|secret_)',
        help: NOTION_INTEGRATIONS,
      },
    ],
    api: { baseUrl: 'https://api.notion.com', headers: { 'Notion-Version': '2022-06-28' } },
    test: { path: '/v1/users/me' },
  },
  {
    id: 'trello',
    name: 'Trello',
    category: 'project',
    description: 'The Trello REST API with an API key and a user token: create a Power-Up in the admin portal, generate its API key, then follow the "Token" link to authorize yourself.',
    docsUrl: 'https://developer.atlassian.com/cloud/trello/rest/',
    auth: [
      {
        type: 'basic',
        usernameLabel: 'API key',
        passwordLabel: 'Token',
        help: 'https://trello.com/power-ups/admin',
        // Trello's header form, which keeps both out of the URL.
        attach: [{ in: 'header', name: 'Authorization', value: 'OAuth oauth_consumer_key="{username}", oauth_token="{password}"' }],
      },
    ],
    api: { baseUrl: 'https://api.trello.com' },
    test: { path: '/1/members/me' },
  },
  {
    id: 'asana',
    name: 'Asana',
    category: 'project',
    description: 'The Asana REST API. With no scopes listed Asana grants what the app is configured for; apps set to specific scopes need them in appsettings.json.',
    docsUrl: 'https://developers.asana.com/reference/rest-api-reference',
    auth: [
      {
        type: 'oauth2',
        authorizationEndpoint: 'https://app.asana.com/-/oauth_authorize',
        tokenEndpoint: 'https://app.asana.com/-/oauth_token',
        revocationEndpoint: 'https://app.asana.com/-/oauth_revoke',
        // Asana also accepts urn:ietf:wg:oauth:2.0:oob, which shows the code to copy.
        redirects: ['loopback', 'paste'],
        clientRegistrationUrl: ASANA_APPS,
        clientSecret: 'required',
        tokenEndpointAuth: 'client_secret_post',
      },
      { type: 'bearer', label: 'Personal access token', help: ASANA_APPS },
    ],
    api: { baseUrl: 'https://app.asana.com/api/1.0' },
    test: { path: '/users/me' },
  },
  {
    id: 'todoist',
    name: 'Todoist',
    category: 'project',
    description: 'The Todoist API v1. An app in the console has a single OAuth redirect URL: register the loopback URL Sophon shows you, or paste a personal API token instead.',
    docsUrl: 'https://developer.todoist.com/api/v1/',
    auth: [
      {
        type: 'oauth2',
        authorizationEndpoint: 'https://app.todoist.com/oauth/authorize',
        tokenEndpoint: 'https://api.todoist.com/oauth/access_token',
        redirects: ['loopback'],
        clientRegistrationUrl: TODOIST_APP_CONSOLE,
        clientSecret: 'required',
        tokenEndpointAuth: 'client_secret_post',
        // Todoist separates scopes with commas; a single scope avoids the question.
        scopes: ['data:read'],
      },
      { type: 'bearer', label: 'API token', help: 'https://app.todoist.com/app/settings/integrations/developer' },
    ],
    api: { baseUrl: 'https://api.todoist.com' },
    test: { path: '/api/v1/user' },
  },
];
