import type { ServiceDefinitionInput } from '../schema.ts';
import type { AuthMethodInput, ServiceParamInput } from './types.ts';

const SITE: ServiceParamInput = { name: 'site', label: 'Atlassian site', pattern: '^[a-z0-9-]+$', example: 'acme' };
const THREE_LO_DOCS = 'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/';

/**
 * Email + API token (Basic) works against https://{site}.atlassian.net directly. OAuth 2.0
 * (3LO) tokens do not (THREE_LO_DOCS): they work only through
 * https://api.atlassian.com/ex/{product}/{cloudId}/…, the cloud id coming from
 * /oauth/token/accessible-resources, which Sophon asks right after sign-in.
 * - 3LO apps are confidential: the token request carries client_id and client_secret, in the
 *   JSON body the docs show.
 * - One callback URL per app, compared exactly (http://localhost is accepted): a fixed port.
 * - offline_access gives a rotating refresh token; prompt=consent shows the consent screen again.
 * - No revocation endpoint is documented: the person removes the app from their account.
 */
function atlassianAuth(product: 'jira' | 'confluence', scopes: readonly string[], testPath: string): AuthMethodInput[] {
  return [
    {
      type: 'basic',
      usernameLabel: 'Atlassian account email',
      passwordLabel: 'API token',
      help: 'https://id.atlassian.com/manage-profile/security/api-tokens',
      docs: 'https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/',
      attach: [{ in: 'header', name: 'Authorization', value: 'Basic {basic}' }],
    },
    {
      type: 'oauth2',
      docs: THREE_LO_DOCS,
      authorizationEndpoint: 'https://auth.atlassian.com/authorize',
      tokenEndpoint: 'https://auth.atlassian.com/oauth/token',
      responseIssuer: 'none',
      redirects: ['loopback'],
      loopback: { host: 'localhost', match: 'exact' },
      extraAuthParams: { audience: 'api.atlassian.com', prompt: 'consent' },
      clientRegistrationUrl: 'https://developer.atlassian.com/console/myapps/',
      clientSecret: 'required',
      tokenEndpointAuth: 'client_secret_post',
      tokenRequestBody: 'json',
      revocation: { kind: 'none', manageUrl: 'https://id.atlassian.com/manage-profile/apps', reason: 'Atlassian documents no way for an app to revoke its OAuth 2.0 (3LO) tokens' },
      scopes: [...scopes, 'offline_access'],
      baseUrl: `https://api.atlassian.com/ex/${product}/{cloudId}`,
      lookup: {
        url: 'https://api.atlassian.com/oauth/token/accessible-resources',
        match: { field: 'url', equals: 'https://{site}.atlassian.net' },
        take: { cloudId: 'id' },
        docs: `${THREE_LO_DOCS}#3-1-get-the-cloudid-for-your-site`,
      },
      test: { path: testPath },
    },
  ];
}

export const ATLASSIAN_SERVICES: readonly ServiceDefinitionInput[] = [
  {
    id: 'jira',
    name: 'Jira',
    category: 'project',
    description: 'Jira Cloud REST API v3 on your site (https://{site}.atlassian.net) with an email + API token, or through api.atlassian.com with OAuth 2.0 (3LO; Sophon finds the site\'s cloud id after sign-in).',
    docsUrl: 'https://developer.atlassian.com/cloud/jira/platform/rest/v3/',
    params: [SITE],
    // read:jira-user covers GET /myself.
    auth: atlassianAuth('jira', ['read:jira-user', 'read:jira-work'], '/rest/api/3/myself'),
    api: { baseUrl: 'https://{site}.atlassian.net', additionalBaseUrls: ['https://api.atlassian.com'] },
    test: { path: '/rest/api/3/myself' },
  },
  {
    id: 'confluence',
    name: 'Confluence',
    category: 'docs',
    description: 'Confluence Cloud REST API on your site (https://{site}.atlassian.net/wiki) with an email + API token, or through api.atlassian.com with OAuth 2.0 (3LO; Sophon finds the site\'s cloud id after sign-in).',
    docsUrl: 'https://developer.atlassian.com/cloud/confluence/rest/v2/',
    params: [SITE],
    // read:confluence-user covers GET /wiki/rest/api/user/current.
    auth: atlassianAuth('confluence', ['read:confluence-user', 'read:confluence-content.summary'], '/wiki/rest/api/user/current'),
    api: { baseUrl: 'https://{site}.atlassian.net', additionalBaseUrls: ['https://api.atlassian.com'] },
    test: { path: '/wiki/rest/api/user/current' },
  },
];
