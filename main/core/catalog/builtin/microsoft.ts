import type { ServiceDefinitionInput } from '../schema.ts';
import type { AuthMethodInput } from './types.ts';

const MS_LOGIN = 'https://login.microsoftonline.com/common/oauth2/v2.0';
const ENTRA_APP_REGISTRATIONS = 'https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade';
const GRAPH = 'https://graph.microsoft.com';

/**
 * Microsoft identity platform, "common" tenant (work, school and personal accounts), for a
 * public client registered under "Mobile and desktop applications". Entra accepts any port
 * on http://localhost (register http://localhost/oauth/callback) and sophon://oauth/callback.
 * The device method needs "Allow public client flows" on the registration. Microsoft has no
 * RFC 7009 revocation endpoint.
 */
export function microsoftAuth(scopes: readonly string[]): AuthMethodInput[] {
  const all = ['offline_access', 'User.Read', ...scopes];
  return [
    {
      type: 'oauth2',
      authorizationEndpoint: `${MS_LOGIN}/authorize`,
      tokenEndpoint: `${MS_LOGIN}/token`,
      redirects: ['deeplink', 'loopback'],
      loopback: { host: 'localhost' },
      clientRegistrationUrl: ENTRA_APP_REGISTRATIONS,
      scopes: all,
    },
    {
      type: 'device',
      deviceAuthorizationEndpoint: `${MS_LOGIN}/devicecode`,
      tokenEndpoint: `${MS_LOGIN}/token`,
      clientRegistrationUrl: ENTRA_APP_REGISTRATIONS,
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
