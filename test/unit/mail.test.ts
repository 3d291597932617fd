import { describe, expect, it } from 'vitest';
import { SkillManifest, describeGrant, grantExcess, grantHash, grantOf } from '../../main/core/broker/skill-manifest.ts';
import { ServiceDefinition } from '../../main/core/catalog/schema.ts';
import { parseConnector } from '../../main/core/catalog/catalog.ts';
import { BUILTIN_SERVICES } from '../../main/core/catalog/builtin/index.ts';
import { Settings } from '../../main/core/settings.ts';
import { resolveEndpoints } from '../../main/core/mail/endpoints.ts';
import { mailSettings } from '../../main/core/mail/mail-settings.ts';
import { htmlToText, messageId, parseMessageId } from '../../main/core/mail/mailbox-ops.ts';

const manifest = (credentials: unknown[]) => SkillManifest.parse({ id: 'triage', name: 'Triage', credentials });
const service = (id: string) => ServiceDefinition.parse(BUILTIN_SERVICES.find((s) => s.id === id));

describe('mail grants ("send": false)', () => {
  it('records "send": false only when every entry for the mailbox says so, and keeps old hashes', () => {
    expect(grantOf(manifest([{ ref: 'mail:work', send: false }])).credentials[0]).toMatchObject({ ref: 'mail:work', send: false });
    expect(grantOf(manifest([{ ref: 'mail:work', send: false }, 'mail:work'])).credentials[0]).not.toHaveProperty('send');
    expect(grantHash(grantOf(manifest(['mail:work'])))).toBe(grantHash(grantOf(manifest([{ ref: 'mail:work', send: true }]))));
    expect(grantHash(grantOf(manifest(['mail:work'])))).not.toBe(grantHash(grantOf(manifest([{ ref: 'mail:work', send: false }]))));
    expect(describeGrant(grantOf(manifest([{ ref: 'mail:work', send: false }])))).toEqual(['mail:work: any method, any path, no sending']);
  });

  it('asks for approval again when a skill that could not send now wants to, not the other way', () => {
    const readOnly = grantOf(manifest([{ ref: 'mail:work', send: false }]));
    const sending = grantOf(manifest(['mail:work']));
    expect(grantExcess(readOnly, sending)).toEqual(['mail:work sending mail']);
    expect(grantExcess(sending, readOnly)).toEqual([]);
  });
});

describe('mail servers', () => {
  it('takes settings over what was given when connecting over the preset, with the usual port per TLS mode', () => {
    const fastmail = service('fastmail');
    const none = Settings.parse({});
    expect(resolveEndpoints(fastmail, undefined, none)).toEqual({ imap: { host: 'imap.fastmail.com', port: 993, tls: 'implicit' }, smtp: { host: 'smtp.fastmail.com', port: 465, tls: 'implicit' } });
    const own = { imap: { host: 'imap.example.com', port: 1993, tls: 'implicit' as const } };
    expect(resolveEndpoints(fastmail, own, none).imap).toEqual(own.imap);
    const moved = Settings.parse({ Sophon: { Services: { fastmail: { imap: { host: '127.0.0.1', tls: 'starttls' }, smtp: { port: 2525 } } } } });
    expect(resolveEndpoints(fastmail, own, moved)).toEqual({ imap: { host: '127.0.0.1', port: 1993, tls: 'starttls' }, smtp: { host: 'smtp.fastmail.com', port: 2525, tls: 'implicit' } });
    expect(resolveEndpoints(service('mail'), { imap: { host: 'a.example', port: 143, tls: 'starttls' }, smtp: { host: 'b.example', port: 587, tls: 'starttls' } }, none).smtp.port).toBe(587);
  });

  it('refuses plain text off this machine, and a generic server without hosts, naming the fix', () => {
    const none = Settings.parse({});
    expect(() => resolveEndpoints(service('mail'), undefined, none)).toThrow(/has no IMAP server — give it with --imap-host HOST --imap-tls implicit\|starttls/);
    const plain = { imap: { host: 'mail.example.com', port: 143, tls: 'plain' as const }, smtp: { host: '127.0.0.1', port: 25, tls: 'plain' as const } };
    expect(() => resolveEndpoints(service('mail'), plain, none)).toThrow('IMAP to mail.example.com would send the password in plain text');
    expect(resolveEndpoints(service('mail'), { ...plain, imap: { host: 'localhost', port: 143, tls: 'plain' } }, none).imap.host).toBe('localhost');
    const viaSettings = Settings.parse({ Sophon: { Services: { fastmail: { smtp: { tls: 'plain' } } } } });
    expect(() => resolveEndpoints(service('fastmail'), undefined, viaSettings)).toThrow(/SMTP to smtp\.fastmail\.com would send the password in plain text/);
  });

  it('checks custom connectors and Sophon.Mail the same way', () => {
    const connector = { id: 'acme-mail', name: 'Acme', category: 'email', auth: [{ type: 'smtp_imap', imap: { host: 'imap.acme.example', port: 143, tls: 'plain' } }], api: { baseUrl: 'https://acme.example' } };
    expect(parseConnector(JSON.stringify(connector))).toEqual({ ok: false, message: 'auth.0.imap.tls: "plain" is allowed only for 127.0.0.1/localhost; use "implicit" or "starttls"' });
    expect(parseConnector(JSON.stringify({ ...connector, auth: [{ type: 'smtp_imap', imap: { host: 'imap.acme.example', port: 993, tls: 'ssl' } }] }))).toMatchObject({ ok: false, message: expect.stringMatching(/^auth\.0\.imap\.tls: /) });
    expect(() => mailSettings(Settings.parse({ Sophon: { Mail: { MaxSearchResults: 0 } } }))).toThrow(/Sophon\.Mail: MaxSearchResults: /);
    expect(mailSettings(Settings.parse({}))).toMatchObject({ CaFiles: [], TimeoutSeconds: 30, MaxSearchResults: 50 });
  });

  it('gives every preset both servers over TLS, its docs page and where the app password is made', () => {
    for (const input of BUILTIN_SERVICES.filter((s) => s.category === 'email' && s.auth.some((m) => m.type === 'smtp_imap') && s.id !== 'mail')) {
      const method = ServiceDefinition.parse(input).auth.find((m) => m.type === 'smtp_imap');
      expect(method, input.id).toMatchObject({ imap: { tls: expect.stringMatching(/^(implicit|starttls)$/) }, smtp: { tls: expect.stringMatching(/^(implicit|starttls)$/) }, help: expect.stringMatching(/^https:\/\//), docs: expect.stringMatching(/^https:\/\//) });
    }
  });
});

describe('message ids and text', () => {
  it('round-trips ids, also for mailbox names with colons, and refuses junk', () => {
    expect(parseMessageId(messageId('INBOX', 1700000000n, 42))).toEqual({ mailbox: 'INBOX', uidValidity: '1700000000', uid: 42 });
    expect(parseMessageId('Archive:2024:Q1:7:3')).toEqual({ mailbox: 'Archive:2024:Q1', uidValidity: '7', uid: 3 });
    for (const bad of ['42', 'INBOX:x:1', 'INBOX:1:0', ':1:2', 'INBOX:1:1e3']) expect(() => parseMessageId(bad), bad).toThrow(/is not a message id/);
  });

  it('turns an HTML part into readable text', () => {
    expect(htmlToText('<html><head><style>p{}</style></head><body><p>Hello&nbsp;<b>Bob</b></p><p>A &amp; B &lt;ok&gt;</p><script>alert(1)</script></body></html>')).toBe('Hello Bob\nA & B <ok>');
  });
});
