import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ServiceId } from '../catalog/schema.ts';

/**
 * A skill manifest (skills/<id>.json) says which connections a skill may use through the
 * broker, and optionally with which methods and under which paths. What the user approves
 * is the manifest's *grant*: its normalised credentials and tools, hashed. Name and
 * description are not part of it, so rewording a skill does not ask for approval again.
 */

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const HttpMethod = z.enum(HTTP_METHODS);
export type HttpMethod = z.infer<typeof HttpMethod>;

export const SkillId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, dots, dashes and underscores, starting with a letter or digit (at most 64)');
export const ToolName = z.string().min(1).max(128).regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'letters, digits and . _ : / - only');

/** `gmail` (any gmail connection) or `github:work` (the one labelled "work"). */
export const CredentialRef = z
  .string()
  .max(130)
  .regex(/^[a-z0-9][a-z0-9-]{0,62}(:[^\p{Cc}:]{1,64})?$/u, 'a service id, or service:label (e.g. "gmail" or "github:work")')
  .refine((s) => !s.includes(':') || s.slice(s.indexOf(':') + 1).trim() === s.slice(s.indexOf(':') + 1), 'no spaces around the label');

/**
 * A path prefix relative to the service's base URL. "/repos/me" allows /repos/me and
 * everything under /repos/me/; a trailing "*" makes it a plain string prefix
 * ("/api/conversations.*").
 */
export const PathPrefix = z
  .string()
  .min(1)
  .max(512)
  .startsWith('/', 'starts with "/"')
  .refine((p) => !/[%?#\\\s\p{Cc}]/u.test(p), 'no %, ?, #, backslash, spaces or control characters')
  .refine((p) => !p.split('/').some((seg) => seg === '..' || seg === '.'), 'no "." or ".." segments')
  .refine((p) => !p.slice(0, -1).includes('*'), '"*" only at the end');

const CredentialEntry = z.union([
  CredentialRef,
  z
    .object({
      ref: CredentialRef,
      methods: z.array(HttpMethod).min(1).optional(),
      paths: z.array(PathPrefix).min(1).optional(),
      /** Mail connections: false lets the skill search and read but not send. */
      send: z.boolean().optional(),
    })
    .strict(),
]);

export const SkillManifest = z
  .object({
    id: SkillId,
    name: z.string().min(1).max(128),
    description: z.string().max(2000).optional(),
    version: z.string().max(64).optional(),
    author: z.string().max(256).optional(),
    homepage: z.url().optional(),
    credentials: z.array(CredentialEntry).min(1).max(64),
    /** Defaults for credentials given as a bare string. */
    methods: z.array(HttpMethod).min(1).optional(),
    paths: z.array(PathPrefix).min(1).optional(),
    /** When present, tokens are minted only for these tool names. */
    tools: z.array(ToolName).min(1).max(256).optional(),
  })
  .strict();
export type SkillManifest = z.infer<typeof SkillManifest>;

export const CredentialGrant = z.object({
  ref: z.string(),
  service: ServiceId,
  label: z.string().optional(),
  /** ["*"] = every method. */
  methods: z.array(z.string()),
  /** ["/"] = every path. */
  paths: z.array(z.string()),
  /** false: the mail tools may not send through this connection. Absent: they may. */
  send: z.literal(false).optional(),
});
export type CredentialGrant = z.infer<typeof CredentialGrant>;

export const Grant = z.object({
  credentials: z.array(CredentialGrant),
  /** null = any tool name. */
  tools: z.array(z.string()).nullable(),
});
export type Grant = z.infer<typeof Grant>;

const ALL_METHODS = ['*'];
const ALL_PATHS = ['/'];

function uniqueSorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

function splitRef(ref: string): { service: string; label?: string } {
  const colon = ref.indexOf(':');
  return colon < 0 ? { service: ref } : { service: ref.slice(0, colon), label: ref.slice(colon + 1) };
}

/** The normalised grant of a manifest: entries for the same ref merged, lists sorted. */
export function grantOf(manifest: SkillManifest): Grant {
  const byRef = new Map<string, { methods: Set<string>; paths: Set<string>; send: boolean }>();
  for (const entry of manifest.credentials) {
    const ref = typeof entry === 'string' ? entry : entry.ref;
    const methods = (typeof entry === 'string' ? manifest.methods : (entry.methods ?? manifest.methods)) ?? ALL_METHODS;
    const paths = (typeof entry === 'string' ? manifest.paths : (entry.paths ?? manifest.paths)) ?? ALL_PATHS;
    const { service, label } = splitRef(ref);
    const key = label === undefined ? service : `${service}:${label.toLowerCase()}`;
    const slot = byRef.get(key) ?? { methods: new Set<string>(), paths: new Set<string>(), send: false };
    for (const m of methods) slot.methods.add(m);
    for (const p of paths) slot.paths.add(p);
    // Entries for one ref add up: sending is forbidden only when every entry says "send": false.
    if (typeof entry === 'string' || entry.send !== false) slot.send = true;
    byRef.set(key, slot);
  }
  const credentials = [...byRef.entries()]
    .map(([key, slot]): CredentialGrant => {
      const { service, label } = splitRef(key);
      const methods = slot.methods.has('*') ? ALL_METHODS : uniqueSorted([...slot.methods]);
      const paths = slot.paths.has('/') ? ALL_PATHS : uniqueSorted([...slot.paths]);
      return { ref: key, service, ...(label !== undefined ? { label } : {}), methods, paths, ...(slot.send ? {} : { send: false as const }) };
    })
    .sort((a, b) => a.ref.localeCompare(b.ref));
  return { credentials, tools: manifest.tools ? uniqueSorted(manifest.tools) : null };
}

/** SHA-256 of the canonical grant: what an approval is bound to. */
export function grantHash(grant: Grant): string {
  const canonical = JSON.stringify({
    // `send` only when false, so grants without mail limits hash as they always did.
    credentials: grant.credentials.map((c) => ({ ref: c.ref, methods: c.methods, paths: c.paths, ...(c.send === false ? { send: false } : {}) })),
    tools: grant.tools,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/** Whether `path` (relative to the base, starting with "/") falls under `prefix`. */
export function pathAllowed(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  if (prefix.endsWith('*')) return path.startsWith(prefix.slice(0, -1));
  if (prefix.endsWith('/')) return path.startsWith(prefix);
  return path === prefix || path.startsWith(`${prefix}/`);
}

function prefixWithin(inner: string, outer: string): boolean {
  if (outer === '/') return true;
  if (inner === '/') return false;
  if (outer.endsWith('*')) return inner.replace(/\*$/, '').startsWith(outer.slice(0, -1));
  if (inner.endsWith('*')) {
    const literal = inner.slice(0, -1);
    return literal.startsWith(outer.endsWith('/') ? outer : `${outer}/`);
  }
  return pathAllowed(inner, outer);
}

/** The grant entry that covers a connection (service + label), most specific first. */
export function grantFor(grant: Grant, service: string, label: string): CredentialGrant | undefined {
  const lower = label.toLowerCase();
  return grant.credentials.find((c) => c.service === service && c.label === lower) ?? grant.credentials.find((c) => c.service === service && c.label === undefined);
}

/**
 * What `requested` asks for beyond `approved`, one phrase per excess; empty when the
 * approval still covers it (asking for less never needs a new approval).
 */
export function grantExcess(approved: Grant, requested: Grant): string[] {
  const more: string[] = [];
  for (const want of requested.credentials) {
    const candidates = approved.credentials.filter((c) => c.service === want.service && (c.label === undefined || c.label === want.label));
    if (candidates.length === 0) {
      more.push(`credential ${want.ref}`);
      continue;
    }
    const methodsOk = candidates.some((c) => c.methods.includes('*') || (!want.methods.includes('*') && want.methods.every((m) => c.methods.includes(m))));
    if (!methodsOk) {
      const extra = want.methods.includes('*') ? ['any method'] : want.methods.filter((m) => !candidates.some((c) => c.methods.includes('*') || c.methods.includes(m)));
      more.push(`${want.ref} methods ${extra.join(', ')}`);
    }
    const extraPaths = want.paths.filter((p) => !candidates.some((c) => c.paths.some((outer) => prefixWithin(p, outer))));
    if (extraPaths.length > 0) more.push(`${want.ref} paths ${extraPaths.join(', ')}`);
    if (want.send !== false && candidates.every((c) => c.send === false)) more.push(`${want.ref} sending mail`);
  }
  if (requested.tools === null && approved.tools !== null) more.push('any tool name');
  else if (requested.tools !== null && approved.tools !== null) {
    const extra = requested.tools.filter((t) => !approved.tools?.includes(t));
    if (extra.length > 0) more.push(`tools ${extra.join(', ')}`);
  }
  return more;
}

/** One line per credential, for the CLI and the approval prompt. */
export function describeGrant(grant: Grant): string[] {
  return grant.credentials.map((c) => {
    const methods = c.methods.includes('*') ? 'any method' : c.methods.join(',');
    const paths = c.paths.includes('/') ? 'any path' : c.paths.join(' ');
    return `${c.ref}: ${methods}, ${paths}${c.send === false ? ', no sending' : ''}`;
  });
}
