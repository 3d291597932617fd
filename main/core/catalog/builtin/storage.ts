import type { ServiceDefinitionInput } from '../schema.ts';

const DROPBOX_APP_CONSOLE = 'https://www.dropbox.com/developers/apps';
const BOX_DEV_CONSOLE = 'https://app.box.com/developers/console';

export const STORAGE_SERVICES: readonly ServiceDefinitionInput[] = [
  {
    id: 'dropbox',
    name: 'Dropbox',
    category: 'storage',
    description: 'The Dropbox API v2: RPC calls on api.dropboxapi.com, uploads and downloads on content.dropboxapi.com. PKCE needs no app secret; enable the scopes you want in the app console first (files.metadata.read, files.content.read …).',
    docsUrl: 'https://www.dropbox.com/developers/documentation/http/documentation',
    auth: [
      {
        type: 'oauth2',
        docs: 'https://developers.dropbox.com/oauth-guide',
        authorizationEndpoint: 'https://www.dropbox.com/oauth2/authorize',
        tokenEndpoint: 'https://api.dropboxapi.com/oauth2/token',
        responseIssuer: 'none',
        // The redirect URI must be registered in the App Console exactly, port included (http://127.0.0.1:{port}).
        redirects: ['loopback', 'paste'],
        loopback: { host: '127.0.0.1', match: 'exact' },
        // Only offline access returns a refresh token; it lasts until revoked and is not rotated.
        extraAuthParams: { token_access_type: 'offline' },
        clientRegistrationUrl: 'https://www.dropbox.com/developers/apps/create',
        // PKCE needs no app secret, for the code exchange and for refreshes.
        clientSecret: 'optional',
        tokenEndpointAuth: 'client_secret_post',
        revocation: {
          kind: 'request',
          method: 'POST',
          url: 'https://api.dropboxapi.com/2/auth/token/revoke',
          auth: 'bearer',
          okStatus: [200],
          manageUrl: 'https://www.dropbox.com/account/connected_apps',
          docs: 'https://www.dropbox.com/developers/documentation/http/documentation#auth-token-revoke',
        },
        // Every app has account_info.read; users/get_current_account needs nothing more.
        scopes: ['account_info.read'],
      },
      { type: 'bearer', label: 'Generated access token', help: DROPBOX_APP_CONSOLE },
    ],
    api: {
      baseUrl: 'https://api.dropboxapi.com',
      additionalBaseUrls: ['https://content.dropboxapi.com', 'https://notify.dropboxapi.com'],
    },
    // RPC endpoints without arguments take the JSON body "null".
    test: {
      method: 'POST',
      path: '/2/users/get_current_account',
      headers: { 'Content-Type': 'application/json' },
      body: 'null',
    },
  },
  {
    id: 'box',
    name: 'Box',
    category: 'storage',
    description: 'The Box Content API. Create a "User Authentication (OAuth 2.0)" app; Box always wants its client secret. A developer token from the console lasts 60 minutes.',
    docsUrl: 'https://developer.box.com/reference/',
    auth: [
      {
        type: 'oauth2',
        docs: 'https://developer.box.com/guides/authentication/oauth2/',
        authorizationEndpoint: 'https://account.box.com/api/oauth2/authorize',
        tokenEndpoint: 'https://api.box.com/oauth2/token',
        revocationEndpoint: 'https://api.box.com/oauth2/revoke',
        responseIssuer: 'none',
        // The redirect_uri must match one configured in the console (https, or http on localhost).
        redirects: ['loopback'],
        loopback: { host: 'localhost', match: 'exact' },
        clientRegistrationUrl: BOX_DEV_CONSOLE,
        // Access tokens last an hour; a refresh token is single-use (each refresh returns a new one).
        clientSecret: 'required',
        tokenEndpointAuth: 'client_secret_post',
        revocation: { kind: 'rfc7009', token: 'refresh', docs: 'https://developer.box.com/guides/authentication/access-tokens/revoke' },
      },
      { type: 'bearer', label: 'Developer token', help: BOX_DEV_CONSOLE },
    ],
    api: { baseUrl: 'https://api.box.com', additionalBaseUrls: ['https://upload.box.com'] },
    test: { path: '/2.0/users/me' },
  },
];
