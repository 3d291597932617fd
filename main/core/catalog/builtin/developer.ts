import type { ServiceDefinitionInput } from '../schema.ts';

const GITHUB_NEW_OAUTH_APP = 'https://github.com/settings/applications/new';
const GITLAB_APPLICATIONS = 'https://gitlab.com/-/user_settings/applications';

export const DEVELOPER_SERVICES: readonly ServiceDefinitionInput[] = [
  {
    id: 'github',
    name: 'GitHub',
    category: 'developer',
    description: 'The GitHub REST and GraphQL APIs. The device method needs "Enable Device Flow" on the OAuth app and no secret; the browser method needs the app\'s client secret, because GitHub OAuth apps always require it at the token endpoint.',
    docsUrl: 'https://docs.github.com/rest',
    auth: [
      {
        type: 'oauth2',
        authorizationEndpoint: 'https://github.com/login/oauth/authorize',
        tokenEndpoint: 'https://github.com/login/oauth/access_token',
        // GitHub accepts any port on a 127.0.0.1 callback; custom schemes are unverified.
        redirects: ['loopback', 'paste'],
        clientRegistrationUrl: GITHUB_NEW_OAUTH_APP,
        clientSecret: 'required',
        tokenEndpointAuth: 'client_secret_post',
        scopes: ['read:user'],
      },
      {
        type: 'device',
        deviceAuthorizationEndpoint: 'https://github.com/login/device/code',
        tokenEndpoint: 'https://github.com/login/oauth/access_token',
        clientRegistrationUrl: GITHUB_NEW_OAUTH_APP,
        scopes: ['read:user'],
      },
      {
        type: 'bearer',
        label: 'Personal access token',
        pattern: '^(ghp_|github_pat_|gho_|ghu_)',
        help: 'https://github.com/settings/tokens',
      },
      { type: 'cli_reader', cli: 'gh' },
    ],
    api: {
      baseUrl: 'https://api.github.com',
      additionalBaseUrls: ['https://uploads.github.com'],
      headers: { 'X-GitHub-Api-Version': '2022-11-28' },
    },
    test: { path: '/user' },
    // gh reads GH_TOKEN/GITHUB_TOKEN; GITHUB_API_URL is the Actions convention Octokit scripts pass as baseUrl.
    env: [
      { name: 'GH_TOKEN', value: '{token}' },
      { name: 'GITHUB_TOKEN', value: '{token}' },
      { name: 'GITHUB_API_URL', value: '{baseUrl}' },
      { name: 'GH_ENTERPRISE_TOKEN' },
      { name: 'GITHUB_ENTERPRISE_TOKEN' },
    ],
    envSource: 'https://cli.github.com/manual/gh_help_environment',
  },
  {
    id: 'gitlab',
    name: 'GitLab',
    category: 'developer',
    description: 'The GitLab.com REST API. Register the application as non-confidential to sign in without a secret (PKCE). For a self-managed instance, override the issuer and baseUrl in appsettings.json.',
    docsUrl: 'https://docs.gitlab.com/api/rest/',
    auth: [
      {
        type: 'oauth2',
        issuer: 'https://gitlab.com',
        redirects: ['deeplink', 'loopback'],
        clientRegistrationUrl: GITLAB_APPLICATIONS,
        clientSecret: 'optional',
        tokenEndpointAuth: 'client_secret_post',
        scopes: ['read_user'],
      },
      {
        type: 'device',
        issuer: 'https://gitlab.com',
        // Spelled out in case the discovery document does not list the device endpoint.
        deviceAuthorizationEndpoint: 'https://gitlab.com/oauth/authorize_device',
        tokenEndpoint: 'https://gitlab.com/oauth/token',
        clientRegistrationUrl: GITLAB_APPLICATIONS,
        scopes: ['read_user'],
      },
      {
        type: 'bearer',
        label: 'Personal access token',
        pattern: '^glpat-',
        help: 'https://gitlab.com/-/user_settings/personal_access_tokens',
      },
    ],
    api: { baseUrl: 'https://gitlab.com/api/v4' },
    test: { path: '/user' },
    // GitLab's REST API takes a personal access token in PRIVATE-TOKEN too (docs.gitlab.com/api/rest/authentication/).
    broker: { tokenIn: [{ in: 'header', name: 'PRIVATE-TOKEN' }] },
  },
];
