import type { ServiceDefinitionInput } from '../schema.ts';
import type { AuthMethodInput, RevocationInput } from './types.ts';

const MS_LOGIN = 'https://login.microsoftonline.com/common/oauth2/v2.0';
const ENTRA_APP_REGISTRATIONS = 'https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade';
const GRAPH = 'https://graph.microsoft.com';

const AUTH_CODE_DOCS = 'https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow';
const DEVICE_DOCS = 'https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code';
/** Microsoft has no revocation endpoint for these tokens; the person removes the app's consent. */
const NO_REVOCATION: RevocationInput = {
  kind: 'none',
  manageUrl: 'https://myapps.microsoft.com',
  reason: 'the Microsoft identity platform has no endpoint to revoke one app\'s tokens',
  docs: 'https://learn.microsoft.com/entra/identity-platform/refresh-tokens#token-revocation',
};

/**
 * Microsoft identity platform, "common" tenant (work, school and personal accounts), for a
 * public client registered under "Mobile and desktop applications" (no secret).
 * - Redirect: http://localhost with the port ignored (register http://localhost/oauth/callback,
 *   https://learn.microsoft.com/entra/identity-platform/reply-url#localhost-exceptions) and
 *   sophon://oauth/callback.
 * - Issuer: the authorization response carries code and state only (AUTH_CODE_DOCS); no
 *   openid scope is asked, so there is no id_token whose tenant-specific iss would vary.
 * - Refresh: offline_access gives a refresh token, which is replaced on every use.
 * - Device: "Allow public client flows" on the registration; a declined code polls as
 *   authorization_declined (DEVICE_DOCS), Microsoft's name for access_denied.
 */
export function microsoftAuth(scopes: readonly string[]): AuthMethodInput[] {
  const all = ['offline_access', 'User.Read', ...scopes];
  return [
    {
      type: 'oauth2',
      docs: AUTH_CODE_DOCS,
      authorizationEndpoint: `${MS_LOGIN}/authorize`,
      tokenEndpoint: `${MS_LOGIN}/token`,
      responseIssuer: 'none',
      redirects: ['deeplink', 'loopback'],
      loopback: { host: 'localhost', match: 'any-port' },
      clientRegistrationUrl: ENTRA_APP_REGISTRATIONS,
      revocation: NO_REVOCATION,
      scopes: all,
    },
    {
      type: 'device',
      docs: DEVICE_DOCS,
      deviceAuthorizationEndpoint: `${MS_LOGIN}/devicecode`,
      tokenEndpoint: `${MS_LOGIN}/token`,
      clientRegistrationUrl: ENTRA_APP_REGISTRATIONS,
      errorAliases: { authorization_declined: 'access_denied' },
      revocation: NO_REVOCATION,
      scopes: all,
    },
  ];
}

export const MICROSOFT_SERVICES: readonly ServiceDefinitionInput[] = [
  {
    id: 'outlook',
    name: 'Outlook Mail',
    category: 'email',
    description: 'Read mail through Microsoft Graph (Outlook.com and Microsoft 365). Add Mail.Send to the scopes in appsettings.json to send.',
    docsUrl: 'https://learn.microsoft.com/graph/api/resources/mail-api-overview',
    auth: microsoftAuth(['Mail.Read']),
    api: { baseUrl: GRAPH },
    test: { path: '/v1.0/me/mailFolders/inbox' },
  },
  {
    id: 'microsoft-calendar',
    name: 'Microsoft Calendar',
    category: 'calendar',
    description: 'Read Outlook calendars and events through Microsoft Graph.',
    docsUrl: 'https://learn.microsoft.com/graph/api/resources/calendar-overview',
    auth: microsoftAuth(['Calendars.Read']),
    api: { baseUrl: GRAPH },
    test: { path: '/v1.0/me/calendars?$top=1' },
  },
  {
    id: 'onedrive',
    name: 'OneDrive',
    category: 'storage',
    description: 'Read files in OneDrive (personal or for Business) through Microsoft Graph.',
    docsUrl: 'https://learn.microsoft.com/graph/api/resources/onedrive',
    auth: microsoftAuth(['Files.Read']),
    api: { baseUrl: GRAPH },
    test: { path: '/v1.0/me/drive' },
  },
  {
    id: 'microsoft-graph',
    name: 'Microsoft Graph',
    category: 'other',
    description: 'Microsoft Graph with only the signed-in user\'s profile; add the delegated scopes you need in appsettings.json.',
    docsUrl: 'https://learn.microsoft.com/graph/overview',
    auth: microsoftAuth([]),
    api: { baseUrl: GRAPH },
    test: { path: '/v1.0/me' },
  },
];
