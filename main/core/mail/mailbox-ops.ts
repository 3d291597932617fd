import type { FetchMessageObject, ImapFlow, MessageAddressObject, MessageStructureObject, SearchObject } from 'imapflow';
import type { Readable } from 'node:stream';
import { SophonError } from '../errors.ts';

/**
 * What the mail tools do over one logged-in IMAP session: a bounded search that returns
 * headers and ids, and reading one message (its text, attachments listed, one fetched when
 * asked). Mailboxes are opened read-only and bodies fetched with BODY.PEEK, so nothing is
 * marked as read.
 */

export interface Address {
  readonly name?: string;
  readonly address?: string;
}

export interface MessageSummary {
  /** `mailbox:uidvalidity:uid`, stable until the server rebuilds the mailbox. */
  readonly id: string;
  readonly date?: string;
  readonly from: readonly Address[];
  readonly to: readonly Address[];
  readonly cc: readonly Address[];
  readonly subject?: string;
  readonly messageId?: string;
  readonly unread: boolean;
  readonly flagged: boolean;
  readonly size?: number;
  readonly hasAttachments: boolean;
}

export interface SearchQuery {
  readonly mailbox: string;
  readonly from?: string;
  readonly to?: string;
  readonly subject?: string;
  /** Day granularity, as IMAP SEARCH SINCE/BEFORE compare the server's internal date. */
  readonly since?: Date;
  readonly before?: Date;
  readonly unread?: boolean;
  readonly limit: number;
}

export interface SearchResult {
  readonly mailbox: string;
  /** How many messages match; `messages` holds the newest `limit` of them. */
  readonly total: number;
  readonly messages: readonly MessageSummary[];
  readonly truncated: boolean;
}

export interface AttachmentInfo {
  readonly part: string;
  readonly filename?: string;
  readonly contentType: string;
  readonly size?: number;
}

export interface MessageContent extends MessageSummary {
  readonly replyTo: readonly Address[];
  readonly inReplyTo?: string;
  /** The text/plain part, or the text/html part with its markup taken out when there is no plain one. */
  readonly text: string;
  readonly textFormat: 'plain' | 'html' | 'none';
  readonly textTruncated: boolean;
  readonly attachments: readonly AttachmentInfo[];
}

export interface AttachmentContent extends AttachmentInfo {
  readonly contentBase64: string;
}

export function messageId(mailbox: string, uidValidity: bigint | number, uid: number): string {
  return `${mailbox}:${uidValidity}:${uid}`;
}

export function parseMessageId(id: string): { mailbox: string; uidValidity: string; uid: number } {
  const last = id.lastIndexOf(':');
  const middle = id.lastIndexOf(':', last - 1);
  const uid = Number(id.slice(last + 1));
  const uidValidity = id.slice(middle + 1, last);
  if (middle <= 0 || !/^\d+$/.test(id.slice(last + 1)) || !Number.isSafeInteger(uid) || uid < 1 || !/^\d+$/.test(uidValidity)) {
    throw new SophonError('INVALID_INPUT', `"${id.slice(0, 200)}" is not a message id — use an id from a search (mailbox:uidvalidity:uid)`);
  }
  return { mailbox: id.slice(0, middle), uidValidity, uid };
}

const addresses = (list: readonly MessageAddressObject[] | undefined): Address[] =>
  (list ?? []).map((a) => ({ ...(a.name ? { name: a.name } : {}), ...(a.address ? { address: a.address } : {}) }));

function walk(node: MessageStructureObject | undefined, visit: (node: MessageStructureObject) => void): void {
  if (!node) return;
  visit(node);
  // An attached message is one attachment: its own parts are not ours to list.
  if (node.type === 'message/rfc822') return;
  for (const child of node.childNodes ?? []) walk(child, visit);
}

function isAttachment(node: MessageStructureObject): boolean {
  if (node.type.startsWith('multipart/')) return false;
  if (node.disposition === 'attachment') return true;
  const named = node.dispositionParameters?.['filename'] ?? node.parameters?.['name'];
  return named !== undefined && !node.type.startsWith('text/');
}

function attachmentsOf(structure: MessageStructureObject | undefined): AttachmentInfo[] {
  const out: AttachmentInfo[] = [];
  walk(structure, (node) => {
    if (!isAttachment(node)) return;
    const filename = node.dispositionParameters?.['filename'] ?? node.parameters?.['name'];
    out.push({ part: node.part ?? '1', contentType: node.type, ...(filename ? { filename } : {}), ...(node.size !== undefined ? { size: node.size } : {}) });
  });
  return out;
}

function textPart(structure: MessageStructureObject | undefined): { node: MessageStructureObject; format: 'plain' | 'html' } | undefined {
  let plain: MessageStructureObject | undefined;
  let html: MessageStructureObject | undefined;
  walk(structure, (node) => {
    if (isAttachment(node)) return;
    if (node.type === 'text/plain') plain ??= node;
    else if (node.type === 'text/html') html ??= node;
  });
  if (plain) return { node: plain, format: 'plain' };
  if (html) return { node: html, format: 'html' };
  return undefined;
}

function summary(mailbox: string, uidValidity: bigint, message: FetchMessageObject): MessageSummary {
  const envelope = message.envelope;
  const flags = message.flags ?? new Set<string>();
  return {
    id: messageId(mailbox, uidValidity, message.uid),
    ...(envelope?.date ? { date: new Date(envelope.date).toISOString() } : message.internalDate ? { date: new Date(message.internalDate).toISOString() } : {}),
    from: addresses(envelope?.from),
    to: addresses(envelope?.to),
    cc: addresses(envelope?.cc),
    ...(envelope?.subject ? { subject: envelope.subject } : {}),
    ...(envelope?.messageId ? { messageId: envelope.messageId } : {}),
    unread: !flags.has('\\Seen'),
    flagged: flags.has('\\Flagged'),
    ...(message.size !== undefined ? { size: message.size } : {}),
    hasAttachments: attachmentsOf(message.bodyStructure).length > 0,
  };
}

async function openReadOnly(client: ImapFlow, mailbox: string) {
  const lock = await client.getMailboxLock(mailbox, { readOnly: true });
  const opened = client.mailbox;
  if (!opened) {
    lock.release();
    throw new SophonError('MAIL_REFUSED', `the mailbox "${mailbox}" could not be opened`);
  }
  return { lock, uidValidity: opened.uidValidity };
}

/** SEARCH on the server, then FETCH of the newest `limit` matches only: cost grows with the result, not the mailbox. */
export async function searchMailbox(client: ImapFlow, query: SearchQuery): Promise<SearchResult> {
  const { lock, uidValidity } = await openReadOnly(client, query.mailbox);
  try {
    const criteria: SearchObject = {};
    if (query.from) criteria.from = query.from;
    if (query.to) criteria.to = query.to;
    if (query.subject) criteria.subject = query.subject;
    if (query.since) criteria.since = query.since;
    if (query.before) criteria.before = query.before;
    if (query.unread !== undefined) criteria.seen = !query.unread;
    if (Object.keys(criteria).length === 0) criteria.all = true;
    const uids = (await client.search(criteria, { uid: true })) || [];
    const newest = [...uids].sort((a, b) => b - a).slice(0, query.limit);
    const messages: MessageSummary[] = [];
    if (newest.length > 0) {
      for await (const message of client.fetch(newest.join(','), { uid: true, envelope: true, flags: true, size: true, internalDate: true, bodyStructure: true }, { uid: true })) {
        messages.push(summary(query.mailbox, uidValidity, message));
      }
    }
    messages.sort((a, b) => Number(parseMessageId(b.id).uid) - Number(parseMessageId(a.id).uid));
    return { mailbox: query.mailbox, total: uids.length, messages, truncated: uids.length > newest.length };
  } finally {
    lock.release();
  }
}

async function collect(stream: Readable, limit: number): Promise<{ data: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    if (size + buffer.length > limit) {
      chunks.push(buffer.subarray(0, limit - size));
      truncated = true;
      stream.destroy();
      break;
    }
    chunks.push(buffer);
    size += buffer.length;
  }
  return { data: Buffer.concat(chunks), truncated };
}

/** Markup out, entities and line breaks kept readable: enough for an agent, not a renderer. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head)[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>|<\/(p|div|li|tr|h[1-6])>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

async function fetchMessage(client: ImapFlow, id: string): Promise<{ uid: number; uidValidity: bigint; mailbox: string; message: FetchMessageObject; release: () => void }> {
  const parsed = parseMessageId(id);
  const { lock, uidValidity } = await openReadOnly(client, parsed.mailbox);
  if (String(uidValidity) !== parsed.uidValidity) {
    lock.release();
    throw new SophonError('INVALID_INPUT', `message ${id} is from an older state of ${parsed.mailbox} (the server renumbered it) — search again for a current id`);
  }
  const message = await client.fetchOne(String(parsed.uid), { uid: true, envelope: true, flags: true, size: true, internalDate: true, bodyStructure: true }, { uid: true });
  if (!message) {
    lock.release();
    throw new SophonError('INVALID_INPUT', `there is no message ${id} any more (deleted or moved) — search again`);
  }
  return { uid: parsed.uid, uidValidity, mailbox: parsed.mailbox, message, release: () => lock.release() };
}

/** One message: headers, its text (cut at `maxTextBytes`), and its attachments listed, not fetched. */
export async function readMessage(client: ImapFlow, id: string, maxTextBytes: number): Promise<MessageContent> {
  const { uid, uidValidity, mailbox, message, release } = await fetchMessage(client, id);
  try {
    const base = summary(mailbox, uidValidity, message);
    const chosen = textPart(message.bodyStructure);
    let text = '';
    let textTruncated = false;
    if (chosen) {
      const download = await client.download(String(uid), chosen.node.part ?? '1', { uid: true, maxBytes: maxTextBytes });
      if (download.content) {
        const got = await collect(download.content, maxTextBytes);
        // Line ends as a program expects them, and without the blank line MIME leaves at the end.
        text = got.data.toString('utf8').replace(/\r\n/g, '\n').replace(/\s+$/, '');
        textTruncated = got.truncated || (chosen.node.size !== undefined && chosen.node.size > maxTextBytes);
        if (chosen.format === 'html') text = htmlToText(text);
      }
    }
    return {
      ...base,
      replyTo: addresses(message.envelope?.replyTo),
      ...(message.envelope?.inReplyTo ? { inReplyTo: message.envelope.inReplyTo } : {}),
      text,
      textFormat: chosen?.format ?? 'none',
      textTruncated,
      attachments: attachmentsOf(message.bodyStructure),
    };
  } finally {
    release();
  }
}

/** One attachment's bytes, when asked for by part; refused above `maxBytes`. */
export async function readAttachment(client: ImapFlow, id: string, part: string, maxBytes: number): Promise<AttachmentContent> {
  const { uid, message, release } = await fetchMessage(client, id);
  try {
    const info = attachmentsOf(message.bodyStructure).find((a) => a.part === part);
    if (!info) throw new SophonError('INVALID_INPUT', `message ${id} has no attachment at part "${part}" — read the message to list its attachments`);
    // The size IMAP reports is the encoded size, about 4/3 of the bytes for base64.
    if (info.size !== undefined && info.size * 0.74 > maxBytes) {
      throw new SophonError('INVALID_INPUT', `the attachment ${info.filename ?? part} is about ${Math.round((info.size * 0.74) / 1024)} KiB, above Sophon.Mail.MaxAttachmentBytes (${Math.round(maxBytes / 1024)} KiB)`);
    }
    const download = await client.download(String(uid), part, { uid: true });
    if (!download.content) throw new SophonError('INVALID_INPUT', `the server has no part "${part}" in message ${id}`);
    const got = await collect(download.content, maxBytes);
    if (got.truncated) throw new SophonError('INVALID_INPUT', `the attachment ${info.filename ?? part} is larger than Sophon.Mail.MaxAttachmentBytes (${Math.round(maxBytes / 1024)} KiB)`);
    return { ...info, contentBase64: got.data.toString('base64') };
  } finally {
    release();
  }
}
