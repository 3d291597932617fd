import type { ServiceDefinitionInput } from '../schema.ts';
import type { OAuth2MethodInput, TestCallInput } from './types.ts';

const GOOGLE_CREDENTIALS_PAGE = 'https://console.cloud.google.com/apis/credentials';
/** Loopback redirect, secret at the token endpoint, access_type=offline, revocation. */
const NATIVE_APP_DOCS = 'https://developers.google.com/identity/protocols/oauth2/native-app';

/**
 * A Google "Desktop app" OAuth client (source: NATIVE_APP_DOCS).
 * - Redirect: loopback IP, any port, nothing to register; custom schemes are refused for
 *   desktop clients. Pasting the redirected URL works too.
 * - Secret: a desktop client gets one and the token endpoint requires it ("client_secret is
 *   not applicable" only to Android, iOS and Chrome clients), though it is not confidential.
 * - Refresh token: only with access_type=offline; prompt=consent makes a second sign-in
 *   return one again. Google does not rotate refresh tokens.
 * - Issuer: Google now puts iss=https://accounts.google.com on authorization responses (not
 *   on every one yet, and without advertising it); id_tokens carry "https://accounts.google.com"
 *   or "accounts.google.com" (https://developers.google.com/identity/openid-connect/openid-connect#validatinganidtoken).
 * - Revocation: POST https://oauth2.googleapis.com/revoke with the token; revoking the refresh
 *   token ends the grant.
 */
function googleOAuth(scopes: string[]): OAuth2MethodInput {
  return {
    type: 'oauth2',
    docs: NATIVE_APP_DOCS,
    authorizationEndpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenEndpoint: 'https://oauth2.googleapis.com/token',
    revocationEndpoint: 'https://oauth2.googleapis.com/revoke',
    responseIssuer: { issuer: 'https://accounts.google.com', always: false, idTokenIssuers: ['accounts.google.com'] },
    redirects: ['loopback', 'paste'],
    loopback: { host: '127.0.0.1', match: 'any-port', register: false },
    extraAuthParams: { access_type: 'offline', prompt: 'consent' },
    clientRegistrationUrl: GOOGLE_CREDENTIALS_PAGE,
    clientSecret: 'required',
    tokenEndpointAuth: 'client_secret_post',
    revocation: { kind: 'rfc7009', token: 'refresh', docs: `${NATIVE_APP_DOCS}#tokenrevoke` },
    scopes,
  };
}

/** Docs and Sheets have no identity call on their own hosts: the test asks OpenID userinfo (openid email scopes). */
const USERINFO_TEST: TestCallInput = { baseUrl: 'https://openidconnect.googleapis.com', path: '/v1/userinfo' };

export const GOOGLE_SERVICES: readonly ServiceDefinitionInput[] = [
  {
    id: 'gmail',
    name: 'Gmail',
    category: 'email',
    description: 'Read mail through the Gmail API, signed in with your own Google Cloud "Desktop app" OAuth client (client id and secret). Add gmail.send or gmail.modify to the scopes in appsettings.json to do more.',
    docsUrl: 'https://developers.google.com/workspace/gmail/api/reference/rest',
    // users.getProfile is allowed with gmail.readonly.
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
    // about.get accepts drive.file.
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
    api: { baseUrl: 'https://docs.googleapis.com', additionalBaseUrls: ['https://openidconnect.googleapis.com'] },
    test: USERINFO_TEST,
  },
  {
    id: 'google-sheets',
    name: 'Google Sheets',
    category: 'docs',
    description: 'Read spreadsheets through the Google Sheets API (v4/spreadsheets/{id}).',
    docsUrl: 'https://developers.google.com/workspace/sheets/api/reference/rest',
    auth: [googleOAuth(['openid', 'email', 'https://www.googleapis.com/auth/spreadsheets.readonly'])],
    api: { baseUrl: 'https://sheets.googleapis.com', additionalBaseUrls: ['https://openidconnect.googleapis.com'] },
    test: USERINFO_TEST,
  },
];
