import type { ServiceDefinitionInput } from '../schema.ts';

/**
 * Mailboxes reached over IMAP and SMTP with an app password. Hosts, ports and TLS modes are
 * each provider's own (`docs` names the page); `help` is where the app password is made.
 * Mail is not proxied over HTTP: `api.baseUrl` is the provider's webmail (the generic entry
 * uses a reserved .invalid name), and the mail tools run inside the owner instead.
 * Per-service overrides: Sophon.Services.<id>.imap / .smtp = {host, port, tls}.
 */
export const MAIL_SERVICES: readonly ServiceDefinitionInput[] = [
  {
    id: 'mail',
    name: 'Mail server (IMAP/SMTP)',
    category: 'email',
    description: 'Any mailbox with IMAP and SMTP: give the servers, ports and TLS mode your provider documents, and a password (an app password where the provider has them).',
    // Why plain text is refused: RFC 8314, cleartext considered obsolete for mail submission and access.
    docsUrl: 'https://www.rfc-editor.org/rfc/rfc8314',
    auth: [{ type: 'smtp_imap' }],
    api: { baseUrl: 'https://mail.invalid' },
  },
  {
    id: 'fastmail',
    name: 'Fastmail',
    category: 'email',
    description: 'Fastmail over IMAP and SMTP with an app password (your regular password is refused there). Username: your full Fastmail address.',
    docsUrl: 'https://www.fastmail.com/help/technical/servernamesandports.html',
    auth: [
      {
        type: 'smtp_imap',
        imap: { host: 'imap.fastmail.com', port: 993, tls: 'implicit' },
        smtp: { host: 'smtp.fastmail.com', port: 465, tls: 'implicit' },
        help: 'https://www.fastmail.com/help/clients/apppassword.html',
        docs: 'https://www.fastmail.com/help/technical/servernamesandports.html',
      },
    ],
    api: { baseUrl: 'https://app.fastmail.com' },
  },
  {
    id: 'icloud-mail',
    name: 'iCloud Mail',
    category: 'email',
    description: 'iCloud Mail (@icloud.com, @me.com, @mac.com) with an app-specific password. If the full address is refused as the username, try the part before the @.',
    docsUrl: 'https://support.apple.com/en-us/102525',
    auth: [
      {
        type: 'smtp_imap',
        imap: { host: 'imap.mail.me.com', port: 993, tls: 'implicit' },
        smtp: { host: 'smtp.mail.me.com', port: 587, tls: 'starttls' },
        help: 'https://support.apple.com/en-us/102654',
        docs: 'https://support.apple.com/en-us/102525',
        note: 'Make the app-specific password at account.apple.com → Sign-In and Security → App-Specific Passwords (two-factor authentication must be on).',
      },
    ],
    api: { baseUrl: 'https://www.icloud.com/mail' },
  },
  {
    id: 'yahoo-mail',
    name: 'Yahoo Mail',
    category: 'email',
    description: 'Yahoo Mail with an app password (Account security → Generate app password).',
    docsUrl: 'https://help.yahoo.com/kb/SLN4075.html',
    auth: [
      {
        type: 'smtp_imap',
        imap: { host: 'imap.mail.yahoo.com', port: 993, tls: 'implicit' },
        smtp: { host: 'smtp.mail.yahoo.com', port: 465, tls: 'implicit' },
        help: 'https://login.yahoo.com/account/security',
        docs: 'https://help.yahoo.com/kb/SLN4075.html',
      },
    ],
    api: { baseUrl: 'https://mail.yahoo.com' },
  },
  {
    id: 'zoho-mail',
    name: 'Zoho Mail',
    category: 'email',
    description:
      'Zoho Mail for a personal @zoho.com address. Organization addresses use imappro.zoho.com and smtppro.zoho.com, other data centres zoho.eu, zoho.in, zoho.com.au…: give those hosts when connecting. Turn on IMAP access in Zoho Mail settings first.',
    docsUrl: 'https://www.zoho.com/mail/help/imap-access.html',
    auth: [
      {
        type: 'smtp_imap',
        imap: { host: 'imap.zoho.com', port: 993, tls: 'implicit' },
        smtp: { host: 'smtp.zoho.com', port: 465, tls: 'implicit' },
        help: 'https://accounts.zoho.com/home#security/app_password',
        docs: 'https://www.zoho.com/mail/help/imap-access.html',
        note: 'Turn on IMAP access first: Zoho Mail → Settings → Mail Accounts → IMAP.',
      },
    ],
    api: { baseUrl: 'https://mail.zoho.com' },
  },
  {
    id: 'gmx',
    name: 'GMX',
    category: 'email',
    description: 'GMX (gmx.net, gmx.de, gmx.at, gmx.ch). Allow POP3/IMAP access in the GMX mail settings first; with two-factor authentication use an application-specific password.',
    docsUrl: 'https://hilfe.gmx.net/pop-imap/imap/imap-serverdaten.html',
    auth: [
      {
        type: 'smtp_imap',
        imap: { host: 'imap.gmx.net', port: 993, tls: 'implicit' },
        smtp: { host: 'mail.gmx.net', port: 587, tls: 'starttls' },
        help: 'https://hilfe.gmx.net/sicherheit/2fa/anwendungsspezifisches-passwort.html',
        docs: 'https://hilfe.gmx.net/pop-imap/imap/imap-serverdaten.html',
        note: 'Allow access first: GMX → E-Mail → Einstellungen → POP3/IMAP Abruf.',
      },
    ],
    api: { baseUrl: 'https://www.gmx.net' },
  },
  {
    id: 'web-de',
    name: 'WEB.DE',
    category: 'email',
    description: 'WEB.DE Mail. Allow POP3/IMAP access in the WEB.DE mail settings first; with two-factor authentication use an application-specific password.',
    docsUrl: 'https://hilfe.web.de/pop-imap/imap/imap-serverdaten.html',
    auth: [
      {
        type: 'smtp_imap',
        imap: { host: 'imap.web.de', port: 993, tls: 'implicit' },
        smtp: { host: 'smtp.web.de', port: 587, tls: 'starttls' },
        help: 'https://hilfe.web.de/sicherheit/2fa/anwendungsspezifisches-passwort.html',
        docs: 'https://hilfe.web.de/pop-imap/imap/imap-serverdaten.html',
        note: 'Allow access first: WEB.DE → E-Mail → Einstellungen → POP3/IMAP Abruf.',
      },
    ],
    api: { baseUrl: 'https://web.de' },
  },
];
