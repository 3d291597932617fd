import type { ServiceDefinitionInput } from '../schema.ts';

/**
 * How each built-in service shows in the window's catalog: one short line of what it gives
 * an agent, the words people search by, its brand mark and plain-words setup steps. Kept
 * apart from the protocol data so the two can change without touching each other; a value
 * written on the definition itself wins (custom connectors write theirs inline).
 *
 * Icons are Simple Icons slugs (https://simpleicons.org, CC0; `npm run logos` bundles the
 * ones named here). Microsoft (Outlook, Teams, OneDrive, Graph), Slack, OpenAI, Twilio and
 * Telnyx asked Simple Icons to remove their marks, and the bundled release has none for Fastmail
 * or Yahoo Mail, so those (and the generic mail server) show a monogram.
 */
export type Listing = Pick<ServiceDefinitionInput, 'summary' | 'keywords' | 'icon' | 'setup'>;

const GOOGLE_CLIENT_STEPS = [
  'In Google Cloud, create an OAuth client of the type “Desktop app” (APIs & Services → Credentials).',
  'Paste its client ID and secret here once; every Google service uses the same client.',
  'Sign in with Google in your browser and allow access.',
];

const MICROSOFT_CLIENT_STEPS = [
  'Register an app in Microsoft Entra under “Mobile and desktop applications”.',
  'Paste its application (client) ID here.',
  'Sign in with Microsoft in your browser, or with a code on any device.',
];

/** Mailboxes with app passwords: where the password is made, then connect. */
function appPasswordSteps(where: string): string[] {
  return [`Make an app password: ${where}.`, 'Enter your address and that password here; Sophon tries both servers before it keeps anything.'];
}

export const BUILTIN_LISTINGS: Readonly<Record<string, Listing>> = {
  gmail: { summary: 'Read and search your mail', keywords: ['mail', 'email', 'google', 'inbox'], icon: 'gmail', setup: GOOGLE_CLIENT_STEPS },
  'google-calendar': { summary: 'See your calendars and events', keywords: ['calendar', 'events', 'google', 'meetings'], icon: 'googlecalendar', setup: GOOGLE_CLIENT_STEPS },
  'google-drive': { summary: 'Open files in your Drive', keywords: ['files', 'drive', 'google', 'storage'], icon: 'googledrive', setup: GOOGLE_CLIENT_STEPS },
  'google-docs': { summary: 'Read your documents', keywords: ['docs', 'documents', 'google', 'writing'], icon: 'googledocs', setup: GOOGLE_CLIENT_STEPS },
  'google-sheets': { summary: 'Read your spreadsheets', keywords: ['sheets', 'spreadsheets', 'google', 'excel'], icon: 'googlesheets', setup: GOOGLE_CLIENT_STEPS },
  outlook: { summary: 'Read mail in Outlook and Microsoft 365', keywords: ['mail', 'email', 'microsoft', 'hotmail', 'office 365', 'inbox'], setup: MICROSOFT_CLIENT_STEPS },
  'microsoft-calendar': { summary: 'See your Outlook calendars and events', keywords: ['calendar', 'events', 'microsoft', 'outlook', 'meetings'], setup: MICROSOFT_CLIENT_STEPS },
  onedrive: { summary: 'Open files in OneDrive', keywords: ['files', 'microsoft', 'storage', 'sharepoint'], setup: MICROSOFT_CLIENT_STEPS },
  'microsoft-graph': { summary: 'Your Microsoft 365 profile, and more you allow', keywords: ['microsoft', 'office 365', 'graph api'], setup: MICROSOFT_CLIENT_STEPS },
  github: {
    summary: 'Work with repositories, issues and pull requests',
    keywords: ['git', 'code', 'repositories', 'issues', 'pull requests'],
    icon: 'github',
    setup: ['Easiest: import the sign-in of the gh command-line tool, or paste a personal access token.', 'Or register a GitHub OAuth app and sign in with a code or in your browser.'],
  },
  gitlab: {
    summary: 'Work with projects, issues and merge requests',
    keywords: ['git', 'code', 'repositories', 'merge requests'],
    icon: 'gitlab',
    setup: ['Paste a personal access token, or register an application in GitLab (not confidential) and sign in.'],
  },
  slack: {
    summary: 'Read channels and people in your workspace',
    keywords: ['chat', 'messages', 'workspace'],
    setup: ['Create an app for Sophon at Slack and set it up as Details says: a redirect address and one switch.', 'Paste its client ID here and sign in through your browser — or paste a token from that app instead.'],
  },
  discord: { summary: 'Your Discord account, or your bot', keywords: ['chat', 'bot', 'server', 'gaming'], icon: 'discord', setup: ['Paste your bot’s token from the Discord developer portal, or register an application to sign in as yourself.'] },
  'microsoft-teams': { summary: 'See your teams and channels', keywords: ['chat', 'microsoft', 'meetings'], setup: MICROSOFT_CLIENT_STEPS },
  jira: { summary: 'Read and file issues on your Jira site', keywords: ['atlassian', 'issues', 'tickets', 'bugs'], icon: 'jira', setup: ['Create an API token in your Atlassian account.', 'Enter your site name, your email and the token.'] },
  confluence: { summary: 'Read pages in your Confluence space', keywords: ['atlassian', 'wiki', 'pages', 'docs'], icon: 'confluence', setup: ['Create an API token in your Atlassian account.', 'Enter your site name, your email and the token.'] },
  linear: { summary: 'Read and update issues and projects', keywords: ['issues', 'tickets', 'projects', 'bugs'], icon: 'linear', setup: ['Paste a personal API key from Linear’s settings, or register an OAuth app and sign in.'] },
  notion: { summary: 'Read pages and databases you share', keywords: ['notes', 'wiki', 'pages', 'docs'], icon: 'notion', setup: ['Create an internal integration in Notion and paste its secret.', 'Then share the pages it may see with that integration.'] },
  trello: { summary: 'Read boards, lists and cards', keywords: ['boards', 'kanban', 'cards', 'atlassian'], icon: 'trello', setup: ['Create a Power-Up in Trello’s admin portal and generate its API key.', 'Follow its “Token” link to authorize yourself, then paste both here.'] },
  asana: { summary: 'Read and update tasks and projects', keywords: ['tasks', 'projects', 'todo'], icon: 'asana', setup: ['Paste a personal access token from Asana’s developer console, or register an app and sign in.'] },
  todoist: { summary: 'Read and add tasks', keywords: ['tasks', 'todo', 'lists'], icon: 'todoist', setup: ['Paste your API token from Todoist’s integration settings, or register an app and sign in.'] },
  zapier: { summary: 'Start a Zap from an agent', keywords: ['automation', 'webhook', 'zaps', 'workflow'], icon: 'zapier', setup: ['In Zapier, add a “Catch Hook” trigger to a Zap.', 'Paste the address it gives you (or just its last part) here.'] },
  make: { summary: 'Start a Make scenario from an agent', keywords: ['automation', 'webhook', 'integromat', 'workflow'], icon: 'make', setup: ['In Make, add a custom webhook to a scenario and give it an API key.', 'Enter the zone from the webhook’s address and paste the key.'] },
  ifttt: { summary: 'Trigger an applet from an agent', keywords: ['automation', 'webhook', 'applets'], icon: 'ifttt', setup: ['Open the Webhooks service settings in IFTTT and copy your key.', 'Paste the key here.'] },
  twilio: { summary: 'Send texts and make calls', keywords: ['sms', 'phone', 'text messages', 'calls'], setup: ['Copy your Account SID and Auth Token from the Twilio console.', 'Paste both here.'] },
  telnyx: { summary: 'Send texts and make calls', keywords: ['sms', 'phone', 'text messages', 'calls'], setup: ['Create an API key in the Telnyx portal and paste it here.'] },
  openrouter: { summary: 'Many models through one key', keywords: ['models', 'llm', 'ai'], icon: 'openrouter', setup: ['Create a key in OpenRouter’s settings and paste it here.'] },
  anthropic: { summary: 'Claude models, billed per token', keywords: ['claude', 'claude api', 'models', 'llm', 'console'], icon: 'anthropic', setup: ['Create an API key in the Anthropic Console and paste it here. It is billed per use, not by your Claude plan.'] },
  openai: { summary: 'GPT models, billed per token', keywords: ['gpt', 'chatgpt api', 'models', 'llm'], setup: ['Create an API key on the OpenAI platform and paste it here. It is billed per use, not by a ChatGPT plan.'] },
  gemini: { summary: 'Gemini models with an AI Studio key', keywords: ['google', 'models', 'llm', 'ai studio'], icon: 'googlegemini', setup: ['Create an API key in Google AI Studio and paste it here.'] },
  ollama: { summary: 'Models running on this machine', keywords: ['local models', 'llm', 'llama'], icon: 'ollama', setup: ['Nothing to set up for a plain local Ollama: add it with any token.', 'Only a proxy in front of Ollama needs a real token.'] },
  'anthropic-subscription': {
    summary: 'Use your Claude Pro or Max plan',
    keywords: ['claude', 'claude code', 'anthropic', 'subscription', 'pro', 'max'],
    icon: 'claude',
    setup: ['Sign in to Claude Code on this machine, then link that sign-in here.', 'Or run claude setup-token and paste the token it prints.'],
  },
  'openai-codex': {
    summary: 'Use your ChatGPT plan through Codex',
    keywords: ['chatgpt', 'codex', 'openai', 'subscription', 'plus', 'pro'],
    setup: ['Sign in with ChatGPT in your browser, or link the Codex CLI’s sign-in.'],
  },
  'github-copilot': {
    summary: 'Use your Copilot seat for models',
    keywords: ['copilot', 'github', 'subscription', 'models'],
    icon: 'githubcopilot',
    setup: ['Sign in to GitHub with a code, paste a GitHub token, or import the gh tool’s sign-in.'],
  },
  dropbox: { summary: 'Open and save files in Dropbox', keywords: ['files', 'storage', 'sync'], icon: 'dropbox', setup: ['Create an app in the Dropbox console and choose its permissions.', 'Paste its app key here and sign in; or paste a generated access token.'] },
  mail: {
    summary: 'Read, search and send mail on any IMAP/SMTP server',
    keywords: ['mail', 'email', 'imap', 'smtp', 'inbox', 'own server'],
    setup: ['Look up your provider’s IMAP and SMTP servers, ports and security (TLS or STARTTLS).', 'Enter them with your address and password — an app password where your provider has them.'],
  },
  fastmail: { summary: 'Read, search and send your Fastmail', keywords: ['mail', 'email', 'imap', 'inbox'], setup: appPasswordSteps('Fastmail’s Settings → Privacy & Security → Integrations') },
  'icloud-mail': { summary: 'Read, search and send your iCloud Mail', keywords: ['mail', 'email', 'apple', 'icloud', 'me.com', 'inbox'], icon: 'icloud', setup: appPasswordSteps('account.apple.com → Sign-In and Security → App-Specific Passwords') },
  'yahoo-mail': { summary: 'Read, search and send your Yahoo Mail', keywords: ['mail', 'email', 'yahoo', 'ymail', 'inbox'], setup: appPasswordSteps('Yahoo’s Account security → Generate app password') },
  'zoho-mail': { summary: 'Read, search and send your Zoho Mail', keywords: ['mail', 'email', 'zoho', 'inbox'], icon: 'zoho', setup: ['Turn on IMAP access in Zoho Mail’s settings (Mail Accounts → IMAP).', ...appPasswordSteps('Zoho Accounts → Security → App Passwords (with two-factor authentication on)')] },
  gmx: { summary: 'Read, search and send your GMX mail', keywords: ['mail', 'email', 'gmx', 'inbox'], icon: 'gmx', setup: ['Allow POP3/IMAP access in GMX’s mail settings.', ...appPasswordSteps('GMX Mein Account → Sicherheit → Anwendungsspezifische Passwörter (with two-factor authentication on; else your password)')] },
  'web-de': { summary: 'Read, search and send your WEB.DE mail', keywords: ['mail', 'email', 'webde', 'inbox'], icon: 'webdotde', setup: ['Allow POP3/IMAP access in WEB.DE’s mail settings.', ...appPasswordSteps('WEB.DE Mein Account → Sicherheit → Anwendungsspezifische Passwörter (with two-factor authentication on; else your password)')] },
  box: { summary: 'Open files in Box', keywords: ['files', 'storage'], icon: 'box', setup: ['Create a “User Authentication (OAuth 2.0)” app in the Box developer console.', 'Paste its client ID and secret here and sign in; or paste a developer token (it lasts an hour).'] },
};

/** A definition with its listing filled in where the definition does not say itself. */
export function withListing(definition: ServiceDefinitionInput): ServiceDefinitionInput {
  const listing = BUILTIN_LISTINGS[definition.id];
  if (!listing) return definition;
  return { ...listing, ...definition, keywords: definition.keywords ?? listing.keywords ?? [] };
}
