import type { ServiceDefinitionInput } from '../schema.ts';
import { AI_SERVICES } from './ai.ts';
import { ATLASSIAN_SERVICES } from './atlassian.ts';
import { AUTOMATION_SERVICES } from './automation.ts';
import { CHAT_SERVICES } from './chat.ts';
import { DEVELOPER_SERVICES } from './developer.ts';
import { GOOGLE_SERVICES } from './google.ts';
import { MAIL_SERVICES } from './mail.ts';
import { MICROSOFT_SERVICES } from './microsoft.ts';
import { PROJECT_SERVICES } from './project.ts';
import { STORAGE_SERVICES } from './storage.ts';
import { SUBSCRIPTION_SERVICES } from './subscriptions.ts';
import { TELEPHONY_SERVICES } from './telephony.ts';
import { withListing } from './listing.ts';

/**
 * The services Sophon ships with. Within an entry, `auth` is in the order to offer it: usually
 * browser sign-in, device code, pasted secrets, CLI readers (Atlassian puts email + API token
 * first, because its OAuth tokens do not work against the site URL). Endpoints, client ids and
 * scopes can be overridden per service in appsettings.json. The order of the list is the order
 * of prominence the window's search breaks ties with (Gmail before the mail server; the Claude
 * subscription before the pay-per-token API), so subscriptions come before the AI APIs.
 */
export const BUILTIN_SERVICES: readonly ServiceDefinitionInput[] = [
  ...GOOGLE_SERVICES,
  ...MICROSOFT_SERVICES,
  ...DEVELOPER_SERVICES,
  ...CHAT_SERVICES,
  ...ATLASSIAN_SERVICES,
  ...PROJECT_SERVICES,
  ...AUTOMATION_SERVICES,
  ...TELEPHONY_SERVICES,
  ...SUBSCRIPTION_SERVICES,
  ...AI_SERVICES,
  ...STORAGE_SERVICES,
  ...MAIL_SERVICES,
].map(withListing);
