import { z } from 'zod';
import { SophonError } from '../errors.ts';

/**
 * How vault keys sit in a remote store: one remote secret ("record") per connection,
 * holding its metadata (`connection/<id>`), its credential (`secret/<id>`) and its model
 * profile settings (`provider-profile/<id>`) together, so that every batch the core makes
 * is one write of one record, which each product applies whole or not at all. Every other
 * key is a record of its own. Keys under `internal/` (the audit key) belong to one
 * installation, since the audit trail is local: they live under `machine/<id>/`.
 */
const GROUPED = /^(connection|secret|provider-profile)\/(.+)$/;
export const MACHINE_SCOPED = 'internal/';

export function recordKeyOf(key: string, machineId: string): string {
  const grouped = GROUPED.exec(key);
  if (grouped) return `connection/${grouped[2]}`;
  if (key.startsWith(MACHINE_SCOPED)) return `machine/${machineId}/${key}`;
  return key;
}

/** Record keys this installation reads: everything but other installations' `machine/` records and lease records. */
export function isOwnRecord(recordKey: string, machineId: string): boolean {
  if (recordKey.startsWith('lease/')) return false;
  if (recordKey.startsWith('machine/')) return recordKey.startsWith(`machine/${machineId}/`);
  return true;
}

export const Lease = z.object({ holder: z.string(), until: z.number() });
export type Lease = z.infer<typeof Lease>;

/** A record's JSON: the vault entries it holds and, on check-and-set stores, who is refreshing it. */
export const RecordBody = z.object({
  sophon: z.literal('record'),
  v: z.literal(1),
  entries: z.record(z.string(), z.unknown()),
  lease: Lease.optional(),
});
export type RecordBody = z.infer<typeof RecordBody>;

export function parseRecord(text: string, where: string): RecordBody {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SophonError('VAULT_TAMPERED', `${where} is not a Sophon record (not JSON) — it was not changed; remove it from the store or pick another Prefix`);
  }
  const parsed = RecordBody.safeParse(json);
  if (!parsed.success) throw new SophonError('VAULT_TAMPERED', `${where} is not a Sophon record — it was not changed; remove it from the store or pick another Prefix`);
  return parsed.data;
}

export function serialiseRecord(body: RecordBody): string {
  return JSON.stringify(body);
}

/**
 * Record key ↔ the name in the store. Each product allows different characters, so
 * anything outside a safe set is written as an escape character and two hex digits
 * (UTF-8 bytes), which keeps names reversible and free of collisions.
 *
 * - path (HashiCorp Vault): segments of [A-Za-z0-9_-], `/` between them, `~XX` escapes.
 * - aws (Secrets Manager: [A-Za-z0-9/_+=.@-]): the same with `+XX`; a name must not end
 *   in "-" and six characters (Secrets Manager reads that as an ARN suffix), so such a
 *   hyphen is escaped too.
 * - azure (Key Vault: [0-9a-zA-Z-], case-insensitive, 127 characters): [a-z0-9] kept,
 *   everything else (upper case and `/` included) as `-XX`.
 */
export type NameStyle = 'path' | 'aws' | 'azure';

const SAFE: Record<NameStyle, RegExp> = { path: /[A-Za-z0-9_-]/, aws: /[A-Za-z0-9_.-]/, azure: /[a-z0-9]/ };
const ESCAPE: Record<NameStyle, string> = { path: '~', aws: '+', azure: '-' };

function escapeText(text: string, style: NameStyle): string {
  let out = '';
  for (const ch of text) {
    if (SAFE[style].test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += ESCAPE[style] + byte.toString(16).padStart(2, '0');
  }
  return out;
}

function unescapeText(text: string, style: NameStyle): string | undefined {
  const bytes: number[] = [];
  const esc = ESCAPE[style];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === esc) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (SAFE[style].test(ch)) bytes.push(ch.charCodeAt(0));
    else return undefined;
  }
  return Buffer.from(bytes).toString('utf8');
}

export function encodeName(recordKey: string, style: NameStyle): string {
  if (style === 'azure') return escapeText(recordKey, style);
  const encoded = recordKey
    .split('/')
    .map((segment) => (segment === '' ? `${ESCAPE[style]}` : escapeText(segment, style)))
    .join('/');
  if (style === 'aws') return encoded.replace(/-([A-Za-z0-9]{6})$/, '+2d$1');
  return encoded;
}

/** The record key for a stored name, or undefined when the name is not one Sophon wrote. */
export function decodeName(name: string, style: NameStyle): string | undefined {
  if (style === 'azure') {
    const key = unescapeText(name, style);
    return key !== undefined && encodeName(key, style) === name ? key : undefined;
  }
  const segments: string[] = [];
  for (const segment of name.split('/')) {
    if (segment === ESCAPE[style]) segments.push('');
    else {
      const decoded = unescapeText(segment, style);
      if (decoded === undefined || decoded === '') return undefined;
      segments.push(decoded);
    }
  }
  const key = segments.join('/');
  return encodeName(key, style) === name ? key : undefined;
}
