import type { ServiceDefinitionInput } from '../schema.ts';
import type { OAuth2MethodInput } from './types.ts';

const GOOGLE_CREDENTIALS_PAGE = 'https://console.cloud.google.com/apis/credentials';

/**
 * A Google "Desktop app" OAuth client. Google rejects custom schemes for desktop clients,
 * so the way back is loopback (or pasting the redirected URL). Without
 * access_type=offline&prompt=consent a second sign-in returns no refresh token.
 */
function googleOAuth(scopes: string[]): OAuth2MethodInput {
  return {
    type: 'oauth2',
    authorizationEndpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenEndpoint: 'https://oauth2.googleapis.com/token',
    revocationEndpoint: 'https://oauth2.googleapis.com/revoke',
    redirects: ['loopback', 'paste'],
    extraAuthParams: { access_type: 'offline', prompt: 'consent' },
    clientRegistrationUrl: GOOGLE_CREDENTIALS_PAGE,
    // Google hands desktop clients a "secret" it does not treat as confidential.
    clientSecret: 'optional',
    tokenEndpointAuth: 'client_secret_post',
    scopes,
  };
}

export const GOOGLE_SERVICES: readonly ServiceDefinitionInput[] = [
  {
    id: 'gmail',
    name: 'Gmail',
    category: 'email',
    description: 'Read mail through the Gmail API, signed in with your own Google Cloud "Desktop app" OAuth client. Add gmail.send or gmail.modify to the scopes in appsettings.json to do more.',
    docsUrl: 'https://developers.google.com/workspace/gmail/api/reference/rest',
    auth: [googleOAuth(['https://www.googleapis.com/auth/gmail.readonly'])],
    api: { baseUrl: 'https://gmail.googleapis.com' },
    test: { path: '/gmail/v1/users/me/profile' },
  },
  {
    id: 'google-calendar',
    name: 'Google Calendar',
    category: 'calendar',
    description: 'Read calendars and events through the Google Calendar API.',
    docsUrl: 'https://developers.google.com/workspace/calendar/api/v3/reference',
    auth: [googleOAuth(['https://www.googleapis.com/auth/calendar.readonly'])],
    api: { baseUrl: 'https://www.googleapis.com' },
    test: { path: '/calendar/v3/users/me/calendarList?maxResults=1' },
  },
  {
    id: 'google-drive',
    name: 'Google Drive',
    category: 'storage',
    description: 'Files through the Google Drive API. The default drive.file scope only reaches files this client created or the user opened with it; widen it (drive.readonly, drive) in appsettings.json if agents must see everything.',
    docsUrl: 'https://developers.google.com/workspace/drive/api/reference/rest/v3',
    auth: [googleOAuth(['https://www.googleapis.com/auth/drive.file'])],
    api: { baseUrl: 'https://www.googleapis.com' },
    test: { path: '/drive/v3/about?fields=user' },
  },
  {
    id: 'google-docs',
    name: 'Google Docs',
    category: 'docs',
    description: 'Read documents through the Google Docs API (documents/{id}).',
    docsUrl: 'https://developers.google.com/workspace/docs/api/reference/rest',
    auth: [googleOAuth(['openid', 'email', 'https://www.googleapis.com/auth/documents.readonly'])],
    // The Docs API has no identity call on its own host, and a test call cannot name another
    // host yet, so there is no test: the userinfo host is allowed for when it can.
    api: { baseUrl: 'https://docs.googleapis.com', additionalBaseUrls: ['https://openidconnect.googleapis.com'] },
  },
  {
    id: 'google-sheets',
    name: 'Google Sheets',
    category: 'docs',
    description: 'Read spreadsheets through the Google Sheets API (v4/spreadsheets/{id}).',
    docsUrl: 'https://developers.google.com/workspace/sheets/api/reference/rest',
    auth: [googleOAuth(['openid', 'email', 'https://www.googleapis.com/auth/spreadsheets.readonly'])],
    // Same as Docs: no identity call on sheets.googleapis.com.
    api: { baseUrl: 'https://sheets.googleapis.com', additionalBaseUrls: ['https://openidconnect.googleapis.com'] },
  },
];
