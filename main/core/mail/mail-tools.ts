import type { AuditEvent } from '../audit/audit-log.ts';
import type { Broker } from '../broker/broker.ts';
import type { RequestContext } from '../connections/connection-service.ts';
import type { Connection } from '../connections/model.ts';
import { SophonError, isSophonError } from '../errors.ts';
import { MailFailureError, withImap, withSmtp } from './mail-clients.ts';
import { authorizeMail, type MailAccess, type MailOperation } from './mail-grants.ts';
import type { MailService } from './mail-service.ts';
import { parseMessageId, readAttachment, readMessage, searchMailbox, type AttachmentContent, type MessageContent, type SearchResult } from './mailbox-ops.ts';

export interface MailCall {
  /** A broker token minted for the skill and tool call on whose behalf this runs. */
  readonly token: string;
  /** The mailbox: connection id, service:label, or a service the token holds once. */
  readonly connection: string;
}

export interface SearchInput extends MailCall {
  readonly mailbox?: string;
  readonly from?: string;
  readonly to?: string;
  readonly subject?: string;
  /** ISO date or date-time; compared by day, as IMAP does. */
  readonly since?: string;
  readonly before?: string;
  readonly unread?: boolean;
  readonly limit?: number;
}

export interface ReadInput extends MailCall {
  readonly id: string;
  /** A part number from `attachments`: returns that attachment's bytes instead of the message. */
  readonly attachment?: string;
  /** A lower cap than Sophon.Mail.MaxAttachmentBytes (a tool answer must stay small). */
  readonly maxBytes?: number;
}

export interface SendInput extends MailCall {
  readonly to: readonly string[];
  readonly cc?: readonly string[];
  readonly subject: string;
  readonly text: string;
  /** The Message-ID being answered, for threading. */
  readonly inReplyTo?: string;
}

export interface SendResult {
  readonly messageId: string;
  readonly accepted: number;
  readonly rejected: readonly string[];
}

const MAX_RECIPIENTS = 100;

function day(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new SophonError('INVALID_INPUT', `${name} "${value.slice(0, 40)}" is not a date — give it as YYYY-MM-DD`);
  return date;
}

/** Recipients as plain addresses; each entry may be "Name <a@b>" or a comma-separated list. */
async function recipients(list: readonly string[], name: string): Promise<string[]> {
  const { default: addressparser } = await import('nodemailer/lib/addressparser');
  const out: string[] = [];
  for (const entry of list) {
    if (/[\r\n]/.test(entry)) throw new SophonError('INVALID_INPUT', `${name} holds a line break — give one address per entry`);
    for (const parsed of addressparser(entry, { flatten: true })) {
      const address = 'address' in parsed ? parsed.address : undefined;
      if (!address || !/^[^\s@<>"]+@[^\s@<>"]+$/.test(address)) throw new SophonError('INVALID_INPUT', `${name}: "${entry.slice(0, 100)}" is not an email address`);
      out.push(address);
    }
  }
  return out;
}

/**
 * The mail tools, run inside the owner: each call is authorized by a broker token (see
 * authorizeMail), reads the password from the vault, talks IMAP or SMTP, settles the
 * connection's state and writes one audit line naming the mailbox, the tool, message ids and
 * how many recipients — never subjects, addresses or bodies.
 */
export class MailTools {
  constructor(
    private readonly mail: MailService,
    private readonly broker: Broker,
  ) {}

  async search(input: SearchInput): Promise<SearchResult> {
    return this.run('search', input, {}, async (access, ctx, detail) => {
      const limit = Math.min(input.limit ?? 20, this.mail.settings.MaxSearchResults);
      if (!Number.isInteger(limit) || limit < 1) throw new SophonError('INVALID_INPUT', `limit ${input.limit} is not allowed — ask for 1 to ${this.mail.settings.MaxSearchResults} messages`);
      const since = day(input.since, 'since');
      const before = day(input.before, 'before');
      const mailbox = input.mailbox ?? 'INBOX';
      detail['mailbox'] = mailbox;
      detail['criteria'] = ['from', 'to', 'subject', 'since', 'before', 'unread'].filter((k) => input[k as keyof SearchInput] !== undefined).join(',') || 'all';
      const result = await this.imap(access, ctx, (client) =>
        searchMailbox(client, {
          mailbox,
          limit,
          ...(input.from ? { from: input.from } : {}),
          ...(input.to ? { to: input.to } : {}),
          ...(input.subject ? { subject: input.subject } : {}),
          ...(since ? { since } : {}),
          ...(before ? { before } : {}),
          ...(input.unread !== undefined ? { unread: input.unread } : {}),
        }),
      );
      detail['total'] = result.total;
      detail['count'] = result.messages.length;
      detail['ids'] = result.messages.map((m) => parseMessageId(m.id).uid).join(',');
      return result;
    });
  }

  async read(input: ReadInput): Promise<{ message?: MessageContent; attachment?: AttachmentContent }> {
    return this.run('read', input, {}, async (access, ctx, detail) => {
      const { mailbox } = parseMessageId(input.id);
      detail['mailbox'] = mailbox;
      detail['ids'] = input.id;
      if (input.attachment !== undefined) {
        detail['attachment'] = input.attachment;
        const cap = Math.min(input.maxBytes ?? Number.POSITIVE_INFINITY, this.mail.settings.MaxAttachmentBytes);
        const attachment = await this.imap(access, ctx, (client) => readAttachment(client, input.id, input.attachment as string, cap));
        return { attachment };
      }
      const message = await this.imap(access, ctx, (client) => readMessage(client, input.id, this.mail.settings.MaxTextBytes));
      detail['attachments'] = message.attachments.length;
      return { message };
    });
  }

  async send(input: SendInput): Promise<SendResult> {
    return this.run('send', input, {}, async (access, ctx, detail) => {
      const to = await recipients(input.to, 'to');
      const cc = await recipients(input.cc ?? [], 'cc');
      detail['recipients'] = to.length + cc.length;
      if (to.length === 0) throw new SophonError('INVALID_INPUT', 'a message needs at least one "to" address');
      if (to.length + cc.length > MAX_RECIPIENTS) throw new SophonError('INVALID_INPUT', `${to.length + cc.length} recipients is more than ${MAX_RECIPIENTS} — send fewer at a time`);
      if (/[\r\n]/.test(input.subject)) throw new SophonError('INVALID_INPUT', 'the subject holds a line break — give it on one line');
      const from = access.connection.account;
      if (!from) throw new SophonError('INVALID_INPUT', `${access.connection.service}:${access.connection.label} has no address to send from — connect it again`);
      const login = await this.mail.login(access.connection, ctx, 'mail.send');
      const endpoints = this.mail.endpoints(access.connection);
      const options = await this.mail.transportOptions();
      const info = await this.settleAfter(access.connection, () =>
        withSmtp(endpoints.smtp, login, options, (transport) =>
          transport.sendMail({ from, to, ...(cc.length ? { cc } : {}), subject: input.subject, text: input.text, ...(input.inReplyTo ? { inReplyTo: input.inReplyTo, references: input.inReplyTo } : {}) }),
        ),
      );
      const rejected = (info.rejected ?? []).map((r) => String(typeof r === 'string' ? r : (r as { address?: string }).address));
      detail['accepted'] = (info.accepted ?? []).length;
      detail['rejected'] = rejected.length;
      detail['ids'] = info.messageId;
      return { messageId: info.messageId, accepted: (info.accepted ?? []).length, rejected };
    });
  }

  private async imap<T>(access: MailAccess, ctx: RequestContext, work: Parameters<typeof withImap<T>>[3]): Promise<T> {
    const login = await this.mail.login(access.connection, ctx, `mail.${ctx.tool ?? 'call'}`);
    const endpoints = this.mail.endpoints(access.connection);
    const options = await this.mail.transportOptions();
    return this.settleAfter(access.connection, () => withImap(endpoints.imap, login, options, work));
  }

  /** Runs one server exchange; a refused login marks the connection, then the caller hears NEEDS_REAUTH. */
  private async settleAfter<T>(connection: Connection, exchange: () => Promise<T>): Promise<T> {
    try {
      const result = await exchange();
      await this.mail.settle(connection, [], true);
      return result;
    } catch (error) {
      if (error instanceof MailFailureError && error.failure.kind === 'auth') {
        await this.mail.settle(connection, [error.failure], false);
        this.broker.reauthNeeded(connection, undefined);
        throw new SophonError('NEEDS_REAUTH', `${connection.service}:${connection.label} needs the user to sign in again (${error.failure.message}) — pause and ask them to reconnect it (\`sophon connect reauth ${connection.service}:${connection.label}\` or the Sophon window)`);
      }
      throw error;
    }
  }

  private async run<T>(operation: MailOperation, call: MailCall, seed: Record<string, string | number | boolean>, work: (access: MailAccess, ctx: RequestContext, detail: Record<string, string | number | boolean>) => Promise<T>): Promise<T> {
    const detail = { ...seed };
    let access: MailAccess | undefined;
    // Who asked, even when the call is refused: the token's skill and tool, if the token is known.
    const found = this.broker.tokens.lookup(call.token);
    const record = found.state === 'unknown' ? undefined : found.record;
    const line = (outcome: AuditEvent['outcome'], reason?: string): AuditEvent => ({
      actor: 'skill',
      action: `mail.${operation}`,
      ...(access ? { connection: access.connection.id, service: access.connection.service } : {}),
      ...(record ? { skill: record.skill, tool: record.tool } : {}),
      outcome,
      ...(reason ? { reason } : {}),
      detail: { ...detail, ...(record ? { token: record.id } : {}) },
    });
    try {
      access = await authorizeMail(this.broker, call.token, call.connection, operation);
      if (access.connection.state === 'needs_reauth') {
        const c = access.connection;
        this.broker.reauthNeeded(c, access.token.skill);
        throw new SophonError('NEEDS_REAUTH', `${c.service}:${c.label} needs the user to sign in again${c.stateReason ? ` (${c.stateReason})` : ''} — pause and ask them to reconnect it (\`sophon connect reauth ${c.service}:${c.label}\` or the Sophon window)`);
      }
      const ctx: RequestContext = { actor: 'skill', skill: access.token.skill, tool: access.token.tool };
      const result = await work(access, ctx, detail);
      this.broker.audit(line('ok'));
      return result;
    } catch (error) {
      const known = isSophonError(error);
      const denied = known && (error.code === 'BROKER_DENIED' || error.code === 'BROKER_TOKEN_INVALID' || error.code === 'SKILL_NOT_APPROVED');
      this.broker.audit(line(denied ? 'denied' : 'error', known ? error.message : 'internal error'));
      throw error;
    }
  }
}
