import type { AuditEntryView } from '../main/api/contract.ts';

export interface AuditNames {
  /** "OpenRouter · personal" for a connection id, if it still exists. */
  connection(id: string): string | undefined;
  service(id: string): string;
  skill(id: string): string;
}

export interface AuditGroup {
  readonly key: string;
  readonly entries: readonly AuditEntryView[];
  readonly sentence: string;
  readonly ok: boolean;
  readonly outcome: string;
  readonly newest: number;
  readonly oldest: number;
}

const CLI_NAMES: Readonly<Record<string, string>> = { 'claude-code': 'Claude Code', codex: 'Codex', gh: 'the GitHub CLI' };
/** Lines closer than this in time, and alike, read as one group. */
const GROUP_WINDOW_MS = 60 * 60 * 1000;

function who(e: AuditEntryView, names: AuditNames): string {
  if (e.skill && (e.actor === 'skill' || e.actor === 'runtime')) return `${names.skill(e.skill)} (skill)`;
  switch (e.actor) {
    case 'window':
      return 'You';
    case 'cli':
      return 'You, in a terminal,';
    case 'host':
      return 'Sophon';
    case 'runtime':
      return 'An agent runtime';
    case 'skill':
      return 'A skill';
    default:
      return e.actor;
  }
}

function target(e: AuditEntryView, names: AuditNames): string {
  if (e.connection) return names.connection(e.connection) ?? (e.service ? `${names.service(e.service)} (removed since)` : e.connection);
  if (e.service) return names.service(e.service);
  return 'a connection';
}

function failed(e: AuditEntryView): boolean {
  return e.outcome !== undefined && e.outcome !== 'ok';
}

/** What one line (or a group of alike lines) did, as the middle of a sentence. */
function predicate(e: AuditEntryView, names: AuditNames): string {
  const t = target(e, names);
  const skill = e.skill ? names.skill(e.skill) : 'a skill';
  switch (e.action) {
    case 'broker.call':
      return e.outcome === 'denied' ? `was refused access to ${t}` : failed(e) ? `could not reach ${t}` : `called ${t}`;
    case 'broker.mint':
      return failed(e) ? `was refused a token${e.tool ? ` for ${e.tool}` : ''}` : `got a token${e.tool ? ` for ${e.tool}` : ''}`;
    case 'broker.revoke':
      return e.detail?.['all'] ? 'ended every live token' : 'ended a live token';
    case 'credential.read': {
      const source = e.detail?.['source'];
      if (typeof source === 'string' && CLI_NAMES[source] && !e.connection) return `read ${CLI_NAMES[source]}’s sign-in`;
      return failed(e) ? `could not read the credential of ${t}` : `used the credential of ${t}`;
    }
    case 'credential.write':
      return `added ${t}`;
    case 'credential.replace':
      return `signed in again to ${t}`;
    case 'credential.refresh':
      return `renewed the sign-in of ${t}`;
    case 'credential.delete':
      return `removed ${t}`;
    case 'credential.revoke':
      return failed(e) ? `could not withdraw ${t} at the service` : `withdrew ${t} at the service`;
    case 'skill.add':
      return `added the skill ${skill}`;
    case 'skill.approve':
      return `approved ${skill}`;
    case 'skill.revoke':
      return `withdrew the approval of ${skill}`;
    case 'skill.remove':
      return `removed the skill ${skill}`;
    case 'models.order.set':
      return `changed the order of the ${t} profiles`;
    case 'models.order.clear':
      return `reset the order of the ${t} profiles`;
    case 'client.configure':
    case 'client-secret.write':
      return `set up the app ${t} signs in with`;
    default:
      return `${e.action.replace(/[._-]/g, ' ')}${e.connection || e.service ? ` · ${t}` : ''}`;
  }
}

function times(count: number): string {
  return count === 1 ? '' : count === 2 ? ' twice' : ` ${count.toLocaleString()} times`;
}

/**
 * Folds newest-first lines into groups: the same actor, skill, action, target and outcome
 * within an hour of each other read as one sentence ("Summarize (skill) called OpenRouter ·
 * personal 12 times").
 */
export function groupAudit(entries: readonly AuditEntryView[], names: AuditNames): AuditGroup[] {
  const groups: Array<{ key: string; entries: AuditEntryView[]; newest: number; oldest: number }> = [];
  for (const e of entries) {
    const ts = Date.parse(e.ts);
    const key = [e.actor, e.skill ?? '', e.action, e.connection ?? e.service ?? '', e.outcome ?? 'ok', e.tool ?? '', e.detail?.['source'] ?? ''].join('|');
    const last = groups.at(-1);
    if (last && last.key === key && last.oldest - ts <= GROUP_WINDOW_MS) {
      last.entries.push(e);
      last.oldest = ts;
    } else {
      groups.push({ key, entries: [e], newest: ts, oldest: ts });
    }
  }
  return groups.map((g) => {
    const first = g.entries[0] as AuditEntryView;
    return {
      key: `${g.key}|${first.seq}`,
      entries: g.entries,
      newest: g.newest,
      oldest: g.oldest,
      ok: !failed(first),
      outcome: first.outcome ?? 'ok',
      sentence: `${who(first, names)} ${predicate(first, names)}${times(g.entries.length)}`,
    };
  });
}

/** The facts of one line for the detail view, in words where there are words for them. */
export function entryFacts(e: AuditEntryView): Array<readonly [string, string]> {
  const facts: Array<readonly [string, string]> = [];
  if (e.tool) facts.push(['Tool', e.tool]);
  const d = e.detail ?? {};
  if (d['method'] !== undefined) facts.push(['Request', `${d['method']} ${d['path'] ?? ''}`.trim()]);
  if (d['status'] !== undefined) facts.push(['Answer', `HTTP ${d['status']}`]);
  if (e.outcome && e.outcome !== 'ok') facts.push(['Outcome', e.outcome]);
  if (e.reason) facts.push(['Why', e.reason]);
  for (const [k, v] of Object.entries(d)) {
    if (['method', 'path', 'status'].includes(k)) continue;
    facts.push([k, String(v)]);
  }
  facts.push(['Action', e.action]);
  facts.push(['Line', `#${e.seq}`]);
  return facts;
}
