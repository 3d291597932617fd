import type { ServiceDefinitionInput } from '../schema.ts';
import type { RevocationInput } from './types.ts';

const GITHUB_NEW_OAUTH_APP = 'https://github.com/settings/applications/new';
const GITLAB_APPLICATIONS = 'https://gitlab.com/-/user_settings/applications';
const GITHUB_OAUTH_DOCS = 'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps';
const GITLAB_OAUTH_DOCS = 'https://docs.gitlab.com/api/oauth2/';

/**
 * GitHub revokes one OAuth app token with DELETE /applications/{client_id}/token, authenticated
 * as the app (client id and secret), body {"access_token": …}; 204 when done. Without the
 * secret (a device-flow client) only the person can revoke it.
 */
export const GITHUB_TOKEN_REVOCATION: RevocationInput = {
  kind: 'request',
  method: 'DELETE',
  url: 'https://api.github.com/applications/{client_id}/token',
  auth: 'client_basic',
  json: { access_token: '{token}' },
  okStatus: [204],
  manageUrl: 'https://github.com/settings/applications',
  docs: 'https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token',
};

/** Every token prefix GitHub issues for API use (https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/). */
const GITHUB_TOKEN_FORMATS_DOCS = 'https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-authentication-to-github#githubs-token-formats';

export const DEVELOPER_SERVICES: readonly ServiceDefinitionInput[] = [
  {
    id: 'github',
    name: 'GitHub',
    category: 'developer',
    description: 'The GitHub REST and GraphQL APIs. The device method needs "Enable Device Flow" on the OAuth app and no secret; the browser method needs the app\'s client secret, because GitHub OAuth apps always require it at the token endpoint (and it lets `connect remove` revoke the token).',
    docsUrl: 'https://docs.github.com/rest',
    auth: [
      {
        type: 'oauth2',
        docs: GITHUB_OAUTH_DOCS,
        authorizationEndpoint: 'https://github.com/login/oauth/authorize',
        tokenEndpoint: 'https://github.com/login/oauth/access_token',
        // GitHub now names itself in the callback (iss=https://github.com/login/oauth), not yet on every one.
        responseIssuer: { issuer: 'https://github.com/login/oauth', always: false },
        // Register http://127.0.0.1/oauth/callback: any port is accepted on a loopback callback, and the path must match.
        redirects: ['loopback', 'paste'],
        loopback: { host: '127.0.0.1', match: 'any-port' },
        clientRegistrationUrl: GITHUB_NEW_OAUTH_APP,
        // The web flow's token request requires client_secret; OAuth app tokens do not expire and come without a refresh token.
        clientSecret: 'required',
        tokenEndpointAuth: 'client_secret_post',
        revocation: GITHUB_TOKEN_REVOCATION,
        scopes: ['read:user'],
      },
      {
        type: 'device',
        docs: `${GITHUB_OAUTH_DOCS}#device-flow`,
        deviceAuthorizationEndpoint: 'https://github.com/login/device/code',
        tokenEndpoint: 'https://github.com/login/oauth/access_token',
        clientRegistrationUrl: GITHUB_NEW_OAUTH_APP,
        revocation: GITHUB_TOKEN_REVOCATION,
        scopes: ['read:user'],
      },
      {
        type: 'bearer',
        label: 'Personal access token',
        // Classic and fine-grained PATs, OAuth app, GitHub App user and installation tokens (ghr_ is a refresh token, not an API credential).
        pattern: '^(ghp_|github_pat_|gho_|ghu_|ghs_)',
        help: 'https://github.com/settings/tokens',
        docs: GITHUB_TOKEN_FORMATS_DOCS,
        // An installation token (ghs_) cannot read /user; /rate_limit answers every valid token and refuses a bad one with 401.
        test: { path: '/rate_limit' },
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
        docs: GITLAB_OAUTH_DOCS,
        // Discovery (/.well-known/openid-configuration) gives the endpoints and the issuer to expect.
        issuer: 'https://gitlab.com',
        // GitLab.com compares the redirect URI with the registered one, port included: register the URIs Sophon shows.
        redirects: ['deeplink', 'loopback'],
        loopback: { host: '127.0.0.1', match: 'exact' },
        clientRegistrationUrl: GITLAB_APPLICATIONS,
        clientSecret: 'optional',
        tokenEndpointAuth: 'client_secret_post',
        // Access tokens last two hours; each refresh returns a new refresh token. /oauth/revoke is RFC 7009.
        revocation: { kind: 'rfc7009', token: 'refresh' },
        scopes: ['read_user'],
      },
      {
        type: 'device',
        docs: `${GITLAB_OAUTH_DOCS}#device-authorization-grant-flow`,
        issuer: 'https://gitlab.com',
        // Spelled out in case the discovery document does not list the device endpoint.
        deviceAuthorizationEndpoint: 'https://gitlab.com/oauth/authorize_device',
        tokenEndpoint: 'https://gitlab.com/oauth/token',
        clientRegistrationUrl: GITLAB_APPLICATIONS,
        revocation: { kind: 'rfc7009', token: 'refresh' },
        scopes: ['read_user'],
      },
      {
        type: 'bearer',
        label: 'Personal access token',
        // Personal, project and group access tokens all start glpat- on GitLab.com (self-managed instances may set another prefix: only a warning).
        pattern: '^glpat-',
        help: 'https://gitlab.com/-/user_settings/personal_access_tokens',
        docs: 'https://docs.gitlab.com/security/tokens/#token-prefixes',
      },
    ],
    api: { baseUrl: 'https://gitlab.com/api/v4' },
    test: { path: '/user' },
    // GitLab's REST API takes a personal access token in PRIVATE-TOKEN too (docs.gitlab.com/api/rest/authentication/).
    broker: { tokenIn: [{ in: 'header', name: 'PRIVATE-TOKEN' }] },
  },
];
