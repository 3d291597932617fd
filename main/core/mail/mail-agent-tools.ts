import { z } from 'zod';
import type { Broker, GrantedConnection } from '../broker/broker.ts';
import type { Grant } from '../broker/skill-manifest.ts';
import { authMethod } from '../catalog/schema.ts';
import { isSophonError } from '../errors.ts';
import { refName, resolveRef } from '../agents/connection-ref.ts';
import { toolError } from '../agents/tool-errors.ts';
import type { AgentTool, ToolContext, ToolResult } from '../agents/tool-registry.ts';
import type { MailService } from './mail-service.ts';

/** What a tool answer may carry of one attachment (a tool answer is one line on the local socket, at most 1 MiB). */
const TOOL_ATTACHMENT_BYTES = 256 * 1024;

const MailboxArg = z
  .string()
  .min(1)
  .max(200)
  .optional()
  .describe('Which mailbox: its name from list_connections ("fastmail:work"), or just the service when the skill has one mailbox of it; may be left out when the skill has only one mailbox.');

export const MailSearchInput = z
  .object({
    connection: MailboxArg,
    mailbox: z.string().min(1).max(256).optional().describe('The folder to search (default "INBOX"), e.g. "Archive" or "Sent".'),
    from: z.string().max(256).optional().describe('Sender address or name contains this.'),
    to: z.string().max(256).optional().describe('A recipient address or name contains this.'),
    subject: z.string().max(256).optional().describe('Subject contains this.'),
    since: z.string().max(40).optional().describe('On or after this day (YYYY-MM-DD; the server compares days).'),
    before: z.string().max(40).optional().describe('Before this day (YYYY-MM-DD).'),
    unread: z.boolean().optional().describe('true: only unread messages; false: only read ones.'),
    limit: z.number().int().min(1).max(100).optional().describe('How many of the newest matches to return (default 20).'),
  })
  .strict();

export const MailReadInput = z
  .object({
    connection: MailboxArg,
    id: z.string().min(1).max(600).describe('A message id from mail_search ("INBOX:1700000000:42").'),
    attachment: z.string().min(1).max(64).optional().describe('A `part` from the message\'s attachments: returns that attachment (base64) instead of the message. Only when the task needs its content.'),
  })
  .strict();

export const MailSendInput = z
  .object({
    connection: MailboxArg,
    to: z.array(z.string().min(3).max(320)).min(1).max(100).describe('Recipients: addresses, or "Name <address>".'),
    cc: z.array(z.string().min(3).max(320)).max(100).optional().describe('Copy recipients.'),
    subject: z.string().max(998).describe('Subject line.'),
    text: z.string().max(512 * 1024).describe('The message, plain text.'),
    in_reply_to: z.string().max(998).optional().describe('The messageId of the message being answered (from mail_search), to keep the thread.'),
  })
  .strict();

/**
 * The mail tools of `sophon mcp`: search, read and send through the owner-side mail
 * operations (MailTools), with a broker token minted for the call and the one mailbox it
 * names. Offered only to skills granted a mailbox; mail_send only where a granted mailbox
 * may send.
 */
export function mailAgentTools(mail: MailService, broker: Broker): AgentTool<never>[] {
  const isMailbox = (service: string) => {
    const definition = broker.core.catalog.get(service);
    return definition !== undefined && authMethod(definition, 'smtp_imap') !== undefined;
  };
  const grantsMailbox = (grant: Grant | undefined, sending: boolean) => grant?.credentials.some((c) => isMailbox(c.service) && (!sending || c.send !== false)) ?? false;

  /** The mailbox a call names among the skill's granted mailboxes, and a token for it alone. */
  const open = async (ctx: ToolContext, ref: string | undefined): Promise<{ mailbox: GrantedConnection; token: string }> => {
    const granted = (await ctx.granted()).filter((c) => isMailbox(c.service));
    const target = resolveRef(granted, ref, ctx.skill);
    if (target.kind !== 'connection') throw new Error('a model provider is not a mailbox');
    const minted = await ctx.mint([target.connection.connectionId]);
    return { mailbox: target.connection, token: minted.token };
  };

  /** A failure as a tool error that names the mailbox, so "reconnect work Fastmail" reads right. */
  const failed = (error: unknown, ctx: ToolContext, mailbox: GrantedConnection | undefined): ToolResult => {
    if (!isSophonError(error)) throw error;
    const serviceName = mailbox ? broker.core.catalog.get(mailbox.service)?.name : undefined;
    return toolError(error, { skill: ctx.skill, ...(mailbox ? { connection: { id: mailbox.connectionId, service: mailbox.service, label: mailbox.label } } : {}), ...(serviceName ? { serviceName } : {}) });
  };

  const run = async <T>(ctx: ToolContext, ref: string | undefined, work: (mailbox: GrantedConnection, token: string) => Promise<T>, format: (result: T, mailbox: GrantedConnection) => unknown): Promise<ToolResult> => {
    let mailbox: GrantedConnection | undefined;
    try {
      const opened = await open(ctx, ref);
      mailbox = opened.mailbox;
      return { text: JSON.stringify(format(await work(opened.mailbox, opened.token), opened.mailbox), null, 2) };
    } catch (error) {
      return failed(error, ctx, mailbox);
    }
  };

  const search: AgentTool<z.infer<typeof MailSearchInput>> = {
    name: 'mail_search',
    description:
      'Search one of the user\'s mailboxes (see list_connections) by sender, recipient, subject, date range or unread. Returns the newest matches first (headers only: date, from, to, cc, subject, flags, whether there are attachments) with an `id` for mail_read, and how many matched in all. Nothing is marked as read.',
    input: MailSearchInput,
    annotations: { title: 'Search mail', readOnlyHint: true, openWorldHint: false },
    offered: (grant) => grantsMailbox(grant, false),
    run: (input, ctx) => {
      const { connection, ...query } = input;
      return run(
        ctx,
        connection,
        (mailbox, token) => mail.tools.search({ token, connection: mailbox.connectionId, ...query }),
        (result, mailbox) => ({ connection: refName(mailbox), ...result, ...(result.truncated ? { note: `${result.total} messages match; these are the newest ${result.messages.length}. Narrow the search (from, subject, since) to see others.` } : {}) }),
      );
    },
  };

  const read: AgentTool<z.infer<typeof MailReadInput>> = {
    name: 'mail_read',
    description:
      'Read one message found with mail_search: its headers and its text (the plain-text part, or the HTML part as text), with its attachments listed but not fetched. Pass `attachment` (a part from that list) to get one attachment\'s content as base64. Nothing is marked as read.',
    input: MailReadInput,
    annotations: { title: 'Read a message', readOnlyHint: true, openWorldHint: false },
    offered: (grant) => grantsMailbox(grant, false),
    run: (input, ctx) =>
      run(
        ctx,
        input.connection,
        (mailbox, token) => mail.tools.read({ token, connection: mailbox.connectionId, id: input.id, ...(input.attachment !== undefined ? { attachment: input.attachment, maxBytes: TOOL_ATTACHMENT_BYTES } : {}) }),
        (result, mailbox) => ({ connection: refName(mailbox), ...result }),
      ),
  };

  const send: AgentTool<z.infer<typeof MailSendInput>> = {
    name: 'mail_send',
    description:
      'Send a plain-text email from one of the user\'s mailboxes (the one named in `connection`), to `to` and `cc`. The message goes out at once under the user\'s name: only send what the user asked for. Returns the Message-ID and how many recipients the server accepted.',
    input: MailSendInput,
    annotations: { title: 'Send mail', readOnlyHint: false, destructiveHint: true, openWorldHint: true },
    offered: (grant) => grantsMailbox(grant, true),
    run: (input, ctx) =>
      run(
        ctx,
        input.connection,
        (mailbox, token) =>
          mail.tools.send({ token, connection: mailbox.connectionId, to: input.to, ...(input.cc ? { cc: input.cc } : {}), subject: input.subject, text: input.text, ...(input.in_reply_to ? { inReplyTo: input.in_reply_to } : {}) }),
        (result, mailbox) => ({ connection: refName(mailbox), sent: true, ...result }),
      ),
  };

  return [search, read, send] as unknown as AgentTool<never>[];
}
