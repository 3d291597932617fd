import type { ServiceDefinitionInput } from '../schema.ts';
import type { AuthMethodInput, ServiceParamInput } from './types.ts';

const SITE: ServiceParamInput = { name: 'site', label: 'Atlassian site', pattern: '^[a-z0-9-]+$', example: 'acme' };

/**
 * Email + API token (Basic) works against https://{site}.atlassian.net directly. OAuth 2.0
 * (3LO) tokens do not: they only work through https://api.atlassian.com/ex/{product}/{cloudId}/…
 * (cloudId from /oauth/token/accessible-resources), so that host is allowed too. 3LO apps are
 * confidential: the token endpoint always wants the client secret.
 */
function atlassianAuth(scopes: readonly string[]): AuthMethodInput[] {
  return [
    {
      type: 'basic',
      usernameLabel: 'Atlassian account email',
      passwordLabel: 'API token',
      help: 'https://id.atlassian.com/manage-profile/security/api-tokens',
      attach: [{ in: 'header', name: 'Authorization', value: 'Basic {basic}' }],
    },
    {
      type: 'oauth2',
      authorizationEndpoint: 'https://auth.atlassian.com/authorize',
      tokenEndpoint: 'https://auth.atlassian.com/oauth/token',
      redirects: ['loopback'],
      extraAuthParams: { audience: 'api.atlassian.com', prompt: 'consent' },
      clientRegistrationUrl: 'https://developer.atlassian.com/console/myapps/',
      clientSecret: 'required',
      tokenEndpointAuth: 'client_secret_post',
      scopes: [...scopes, 'offline_access'],
    },
  ];
}

export const ATLASSIAN_SERVICES: readonly ServiceDefinitionInput[] = [
  {
    id: 'jira',
    name: 'Jira',
    category: 'project',
    description: 'Jira Cloud REST API v3 on your site (https://{site}.atlassian.net). The connection test proves an email + API token; OAuth tokens must be sent through api.atlassian.com.',
    docsUrl: 'https://developer.atlassian.com/cloud/jira/platform/rest/v3/',
    params: [SITE],
    auth: atlassianAuth(['read:jira-user', 'read:jira-work']),
    api: { baseUrl: 'https://{site}.atlassian.net', additionalBaseUrls: ['https://api.atlassian.com'] },
    test: { path: '/rest/api/3/myself' },
  },
  {
    id: 'confluence',
    name: 'Confluence',
    category: 'docs',
    description: 'Confluence Cloud REST API on your site (https://{site}.atlassian.net/wiki). The connection test proves an email + API token; OAuth tokens must be sent through api.atlassian.com.',
    docsUrl: 'https://developer.atlassian.com/cloud/confluence/rest/v2/',
    params: [SITE],
    auth: atlassianAuth(['read:confluence-user', 'read:confluence-content.summary']),
    api: { baseUrl: 'https://{site}.atlassian.net', additionalBaseUrls: ['https://api.atlassian.com'] },
    test: { path: '/wiki/rest/api/user/current' },
  },
];
