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
        docs: 'https://linear.app/developers/oauth-2-0-authentication',
        authorizationEndpoint: 'https://linear.app/oauth/authorize',
        tokenEndpoint: 'https://api.linear.app/oauth/token',
        responseIssuer: 'none',
        // Callback URLs are registered per application and compared as registered: a fixed port.
        redirects: ['loopback', 'deeplink'],
        loopback: { host: '127.0.0.1', match: 'exact' },
        clientRegistrationUrl: 'https://linear.app/settings/api/applications/new',
        // With PKCE the secret may be left out. Access tokens last 24 h; refresh tokens rotate.
        clientSecret: 'optional',
        tokenEndpointAuth: 'client_secret_post',
        scopeSeparator: ',',
        // POST /oauth/revoke with the token as the bearer credential.
        revocation: { kind: 'request', method: 'POST', url: 'https://api.linear.app/oauth/revoke', auth: 'bearer', okStatus: [200], manageUrl: 'https://linear.app/settings/account/security' },
        scopes: ['read'],
      },
      {
        type: 'api_key',
        label: 'Personal API key',
        pattern: '^lin_api_',
        help: 'https://linear.app/settings/account/security',
        docs: 'https://linear.app/developers/graphql#personal-api-keys',
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
        docs: 'https://developers.notion.com/docs/authorization',
        authorizationEndpoint: 'https://api.notion.com/v1/oauth/authorize',
        tokenEndpoint: 'https://api.notion.com/v1/oauth/token',
        responseIssuer: 'none',
        // The redirect must be one of the public connection's registered URIs, exactly.
        redirects: ['loopback'],
        loopback: { host: 'localhost', match: 'exact' },
        extraAuthParams: { owner: 'user' },
        clientRegistrationUrl: NOTION_INTEGRATIONS,
        // Token requests: HTTP Basic client_id:client_secret and a JSON body; refreshing returns a new refresh token too.
        clientSecret: 'required',
        tokenEndpointAuth: 'client_secret_basic',
        tokenRequestBody: 'json',
        revocation: {
          kind: 'request',
          method: 'POST',
          url: 'https://api.notion.com/v1/oauth/revoke',
          auth: 'client_basic',
          json: { token: '{token}' },
          okStatus: [200],
          manageUrl: 'https://www.notion.so/profile/integrations',
          docs: 'https://developers.notion.com/reference/revoke-token',
        },
      },
      {
        type: 'bearer',
        label: 'Internal integration secret',
        // ntn_ since September 2024; older secrets start with secret_.
        pattern: '^(ntn_|secret_)',
        help: NOTION_INTEGRATIONS,
        docs: 'https://developers.notion.com/docs/authorization#internal-connection-auth-flow-set-up',
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
        docs: 'https://developers.asana.com/docs/oauth',
        authorizationEndpoint: 'https://app.asana.com/-/oauth_authorize',
        tokenEndpoint: 'https://app.asana.com/-/oauth_token',
        revocationEndpoint: 'https://app.asana.com/-/oauth_revoke',
        responseIssuer: 'none',
        // The redirect_uri must match one registered for the app: a fixed port.
        redirects: ['loopback', 'paste'],
        loopback: { host: '127.0.0.1', match: 'exact' },
        clientRegistrationUrl: ASANA_APPS,
        // Confidential: the secret is required; access tokens last an hour, the refresh token does not change.
        clientSecret: 'required',
        tokenEndpointAuth: 'client_secret_post',
        // Revoking the refresh token ends the grant.
        revocation: { kind: 'rfc7009', token: 'refresh' },
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
    description: 'The Todoist API v1. An app in the console has a single OAuth redirect URL: register the one Sophon shows for it (its port is fixed), or paste a personal API token instead.',
    docsUrl: 'https://developer.todoist.com/api/v1/',
    auth: [
      {
        type: 'oauth2',
        docs: 'https://developer.todoist.com/api/v1/#tag/Authorization',
        authorizationEndpoint: 'https://todoist.com/oauth/authorize',
        tokenEndpoint: 'https://todoist.com/oauth/access_token',
        // RFC 7009 endpoint of the v1 API, client authenticated with HTTP Basic.
        revocationEndpoint: 'https://api.todoist.com/api/v1/revoke',
        responseIssuer: 'none',
        // The authorization request has no redirect_uri: Todoist always returns to the app's one
        // registered OAuth redirect URL, so Sophon must listen on exactly that port.
        redirects: ['loopback'],
        loopback: { host: '127.0.0.1', match: 'exact' },
        clientRegistrationUrl: TODOIST_APP_CONSOLE,
        // Tokens do not expire and come without a refresh token.
        clientSecret: 'required',
        tokenEndpointAuth: 'client_secret_post',
        scopeSeparator: ',',
        revocation: { kind: 'rfc7009', token: 'access', clientAuth: 'client_secret_basic' },
        scopes: ['data:read'],
      },
      { type: 'bearer', label: 'API token', help: 'https://app.todoist.com/app/settings/integrations/developer' },
    ],
    api: { baseUrl: 'https://api.todoist.com' },
    test: { path: '/api/v1/user' },
  },
];
