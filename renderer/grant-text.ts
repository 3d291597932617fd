import type { SkillView } from '../main/api/contract.ts';

type GrantEntry = SkillView['grants'][number];
export interface GrantSet {
  readonly grants: readonly GrantEntry[];
  readonly tools: readonly string[] | null;
}

const READ = new Set(['GET', 'HEAD', 'OPTIONS']);

/** "GitHub · work" for github:work, "any Gmail account" for gmail. */
export function refText(ref: string, name: (service: string) => string): string {
  const colon = ref.indexOf(':');
  return colon < 0 ? `any ${name(ref)} account` : `${name(ref.slice(0, colon))} · ${ref.slice(colon + 1)}`;
}

/** "may read", "may read and change", "may do anything with". */
export function verbOf(methods: readonly string[]): string {
  if (methods.length === 0 || methods.includes('*')) return 'may do anything with';
  if (methods.every((m) => READ.has(m))) return 'may read';
  const changes = methods.some((m) => m === 'PUT' || m === 'PATCH' || m === 'DELETE');
  const reads = methods.some((m) => READ.has(m));
  if (!changes) return reads ? 'may read and send to' : 'may send to';
  return reads ? 'may read and change' : 'may change';
}

/** "/repos/me/…" for a prefix, "/api/conversations.…" for a trailing "*", nothing for "/". */
export function pathText(paths: readonly string[]): string {
  if (paths.length === 0 || paths.includes('/')) return 'anywhere in its API';
  return paths.map((p) => (p.endsWith('*') ? `${p.slice(0, -1)}…` : `${p.replace(/\/$/, '')}/…`)).join(', ');
}

/** One grant in words: "may read GitHub · work: GET /repos/me/…". */
export function grantSentence(g: GrantEntry, name: (service: string) => string): { readonly verb: string; readonly what: string; readonly detail: string } {
  const methods = g.methods.length === 0 || g.methods.includes('*') ? 'any method' : g.methods.join(', ');
  return { verb: verbOf(g.methods), what: refText(g.ref, name), detail: `${methods} ${pathText(g.paths)}` };
}

export interface GrantChange {
  readonly kind: 'added' | 'removed' | 'same';
  readonly text: string;
}

/**
 * What changed between the approval and what the manifest asks for now, as lines a person
 * can read: new connections, more methods or paths on one, fewer, tools added or dropped.
 */
export function grantDiff(before: GrantSet | undefined, now: GrantSet, name: (service: string) => string): GrantChange[] {
  const out: GrantChange[] = [];
  const old = new Map((before?.grants ?? []).map((g) => [g.ref, g]));
  const next = new Map(now.grants.map((g) => [g.ref, g]));
  for (const g of now.grants) {
    const was = old.get(g.ref);
    const s = grantSentence(g, name);
    if (!was) {
      out.push({ kind: 'added', text: `${cap(s.verb)} ${s.what}: ${s.detail}` });
      continue;
    }
    const moreMethods = g.methods.filter((m) => !was.methods.includes(m) && !was.methods.includes('*'));
    const fewerMethods = was.methods.filter((m) => !g.methods.includes(m) && !g.methods.includes('*'));
    const morePaths = g.paths.filter((p) => !was.paths.includes(p) && !was.paths.includes('/'));
    const fewerPaths = was.paths.filter((p) => !g.paths.includes(p) && !g.paths.includes('/'));
    const what = s.what;
    if (moreMethods.length) out.push({ kind: 'added', text: `${cap(what)} may now also ${moreMethods.includes('*') ? 'use any method' : moreMethods.join(', ')}` });
    if (morePaths.length) out.push({ kind: 'added', text: `${cap(what)} may now also reach ${morePaths.includes('/') ? 'anywhere in its API' : pathText(morePaths)}` });
    if (fewerMethods.length) out.push({ kind: 'removed', text: `${cap(what)} no longer ${fewerMethods.join(', ')}` });
    if (fewerPaths.length) out.push({ kind: 'removed', text: `${cap(what)} no longer reaches ${pathText(fewerPaths)}` });
    if (!moreMethods.length && !morePaths.length && !fewerMethods.length && !fewerPaths.length) out.push({ kind: 'same', text: `${cap(s.verb)} ${s.what}: ${s.detail}` });
  }
  for (const g of before?.grants ?? []) {
    if (!next.has(g.ref)) out.push({ kind: 'removed', text: `No longer uses ${refText(g.ref, name)}` });
  }
  const oldTools = before?.tools;
  if (now.tools === null && oldTools !== null && oldTools !== undefined && before) out.push({ kind: 'added', text: 'Any tool name, not only the ones approved' });
  for (const t of now.tools ?? []) if (before && oldTools && !oldTools.includes(t)) out.push({ kind: 'added', text: `New tool: ${t}` });
  for (const t of oldTools ?? []) if (now.tools && !now.tools.includes(t)) out.push({ kind: 'removed', text: `Tool dropped: ${t}` });
  return out;
}

function cap(text: string): string {
  return text ? text[0]!.toUpperCase() + text.slice(1) : text;
}
