import { createHmac } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { safeEqual, type Position } from './audit-chain.ts';

/**
 * Two records of where the trail ends, kept apart from it so that cutting lines is found:
 *
 * - `audit.head`: the last seq and MAC, signed with the audit key, rewritten shortly after
 *   every batch. It can be deleted or rolled back together with the trail, so:
 * - the anchor: the same position kept in the vault (`internal/audit-anchor`), written at
 *   most once a second while lines are added and when the owner stops. Rolling back the
 *   audit files leaves them behind the anchor.
 *
 * Each anchor write has a number `n`; the head records the number of the last anchor
 * write that reached the disk. A vault whose anchor is older than that is an older copy
 * of the vault (rolled back, or restored from its backup).
 */
export const AnchorPosition = z.object({ seq: z.number().int().min(0), mac: z.string().regex(/^[a-f0-9]{64}$/), n: z.number().int().min(1) });
export type AnchorPosition = z.infer<typeof AnchorPosition>;

export interface AuditAnchor {
  /** What the vault held when the owner opened it. */
  readonly recorded: AnchorPosition | undefined;
  /** Stores a position in the vault; resolves once it is durable. */
  record(position: AnchorPosition): Promise<void>;
}

export interface HeadRecord extends Position {
  /** The number of the last anchor write known durable (absent in heads of older versions). */
  readonly n?: number;
}

export type HeadState = { readonly state: 'ok'; readonly head: HeadRecord } | { readonly state: 'missing' } | { readonly state: 'invalid' };

function signature(key: Buffer, head: HeadRecord): string {
  // Heads of versions without anchors signed {seq, mac}; they still verify.
  const signed = head.n === undefined ? { seq: head.seq, mac: head.mac } : { seq: head.seq, mac: head.mac, n: head.n };
  return createHmac('sha256', key).update(`head\n${JSON.stringify(signed)}`).digest('hex');
}

export function readHead(file: string, key: Buffer): HeadState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    return { state: 'invalid' };
  }
  try {
    const raw = JSON.parse(text) as { seq?: unknown; mac?: unknown; n?: unknown; sig?: unknown };
    if (typeof raw.seq !== 'number' || !Number.isInteger(raw.seq) || typeof raw.mac !== 'string' || typeof raw.sig !== 'string') return { state: 'invalid' };
    if (raw.n !== undefined && (typeof raw.n !== 'number' || !Number.isInteger(raw.n))) return { state: 'invalid' };
    const head: HeadRecord = { seq: raw.seq, mac: raw.mac, ...(raw.n !== undefined ? { n: raw.n as number } : {}) };
    return safeEqual(signature(key, head), raw.sig) ? { state: 'ok', head } : { state: 'invalid' };
  } catch {
    return { state: 'invalid' };
  }
}

export function writeHead(file: string, key: Buffer, head: HeadRecord): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...head, sig: signature(key, head) }), { mode: 0o600 });
  renameSync(tmp, file);
}
