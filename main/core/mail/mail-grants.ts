import type { Broker } from '../broker/broker.ts';
import { pickConnection } from '../broker/proxy-call.ts';
import { grantFor } from '../broker/skill-manifest.ts';
import type { TokenRecord } from '../broker/token-store.ts';
import type { Connection } from '../connections/model.ts';
import { SophonError } from '../errors.ts';

export type MailOperation = 'search' | 'read' | 'send';

/** Who may do what with which mailbox, as established by a broker token and its skill's approval. */
export interface MailAccess {
  readonly connection: Connection;
  readonly token: TokenRecord;
}

/**
 * The mail tools' gate, the same one the HTTP proxy has: a live broker token, its skill still
 * approved, the mailbox among the token's connections and in the approved grant, and sending
 * only where that grant does not say `"send": false`.
 */
export async function authorizeMail(broker: Broker, token: string, ref: string, operation: MailOperation): Promise<MailAccess> {
  const found = broker.tokens.lookup(token);
  if (found.state === 'unknown') throw new SophonError('BROKER_TOKEN_INVALID', 'the broker token is not valid (unknown or revoked) — mint a new one for this tool call');
  const record = found.record;
  if (found.state === 'expired') throw new SophonError('BROKER_TOKEN_INVALID', `the broker token expired at ${new Date(record.expiresAt).toISOString()} — mint a new one for this tool call`);
  const { grant } = await broker.skills.requireApproved(record.skill);
  const covered = pickConnection(record, ref);
  if (!covered) {
    const held = record.connections.map((c) => `${c.service}:${c.label}`).join(', ') || 'none';
    throw new SophonError('BROKER_DENIED', `this token does not cover the mailbox "${ref.slice(0, 130)}" — it covers ${held}; mint a token for the one you need`);
  }
  const connection = await broker.core.connections.get(covered.connectionId);
  if (!connection) throw new SophonError('CONNECTION_NOT_FOUND', `${covered.service}:${covered.label} was removed — mint a token for another mailbox`);
  if (connection.authMethod !== 'smtp_imap') {
    throw new SophonError('INVALID_INPUT', `${connection.service}:${connection.label} is not a mailbox (it signs in with ${connection.authMethod}) — call it through the broker proxy instead`);
  }
  const entry = grantFor(grant, connection.service, connection.label);
  if (!entry) throw new SophonError('BROKER_DENIED', `skill "${record.skill}" is no longer granted ${connection.service}:${connection.label} — approve its manifest again`);
  if (operation === 'send' && entry.send === false) {
    throw new SophonError('BROKER_DENIED', `skill "${record.skill}" may search and read ${connection.service}:${connection.label} but not send from it (its grant says "send": false) — change the manifest and approve it again to allow sending`);
  }
  return { connection, token: record };
}
