import { describe, expect, it } from 'vitest';
import { ServiceSummary, type AuditEntryView, type ConnectionView, type ProfileView } from '../../main/api/contract.ts';
import { BUILTIN_SERVICES } from '../../main/core/catalog/builtin/index.ts';
import { ServiceDefinition } from '../../main/core/catalog/schema.ts';
import { groupAudit } from '../../renderer/audit-text.ts';
import { searchCatalog } from '../../renderer/catalog-search.ts';
import { presentConnection, presentProfile } from '../../renderer/connection-state.ts';
import { grantDiff, grantSentence } from '../../renderer/grant-text.ts';
import { forWindow } from '../../renderer/humanize.ts';
import { BRAND_ICONS } from '../../renderer/logos/brand-icons.ts';

// What the window says, from the data the contract carries: the catalog's ranking, a
// connection's state in words, a skill's grant and what changed, the audit as sentences.

const catalog = BUILTIN_SERVICES.map((input, rank) => {
  const d = ServiceDefinition.parse(input);
  return ServiceSummary.parse({ ...d, keywords: d.keywords, rank, baseUrl: d.api.baseUrl, custom: false, auth: d.auth.map((m) => ({ type: m.type })), params: [], hasTest: false });
});
const ids = (query: string) => searchCatalog(catalog, query).map((s) => s.id);

describe('catalog search', () => {
  it('ranks the Claude subscription before the pay-per-token API for "claude"', () => {
    const found = ids('claude');
    expect(found[0]).toBe('anthropic-subscription');
    expect(found.indexOf('anthropic')).toBeGreaterThan(0);
  });

  it('puts Gmail, then Outlook first for "mail", and mail servers among the first', () => {
    expect(ids('mail').slice(0, 2)).toEqual(['gmail', 'outlook']);
    expect(ids('Mail ')).toEqual(ids('mail'));
  });

  it('finds by a search word, by several words, and nothing for nonsense', () => {
    expect(ids('sms').slice(0, 2).sort()).toEqual(['telnyx', 'twilio']);
    expect(ids('google calendar')[0]).toBe('google-calendar');
    expect(ids('zzqx')).toEqual([]);
  });

  it('never sends a person to a terminal command from a service\'s page (summary, setup, description)', () => {
    for (const s of catalog) {
      for (const text of [s.summary, s.description, ...(s.setup ?? [])]) expect(text ?? '', s.id).not.toMatch(/`sophon\b|\bsophon (connect|models|skills|vault)\b/);
    }
  });

  it('knows every icon the catalog names (run `npm run logos` after adding one)', () => {
    for (const s of catalog) if (s.icon) expect(BRAND_ICONS[s.icon], s.id).toBeDefined();
  });
});

const base: ConnectionView = { id: 'c1', service: 'gmail', label: 'me', authMethod: 'oauth2', state: 'active', scopes: [], createdAt: '2026-01-01T00:00:00Z', params: {} };
const NOW = Date.parse('2026-06-01T12:00:00Z');

describe('a connection in words', () => {
  it('reads a refused refresh token, a revoked grant, a missing permission and a rate limit apart', () => {
    const refused = presentConnection({ ...base, state: 'needs_reauth', stateReason: 'the provider refused the refresh token: invalid_grant' }, 'Google', NOW);
    expect(refused).toMatchObject({ word: 'Sign in again', reason: 'Google refused the refresh token — sign in again.', fix: 'reconnect' });
    expect(presentConnection({ ...base, state: 'needs_reauth', stateReason: 'the provider revoked it' }, 'Gmail', NOW).word).toBe('Access revoked');
    const scope = presentConnection({ ...base, state: 'error', lastTest: { at: '', ok: false, status: 403, message: 'Gmail answered HTTP 403: insufficient_scope', durationMs: 1 } }, 'Gmail', NOW);
    expect(scope.word).toBe('Missing permission');
    const limited = presentConnection({ ...base, lastTest: { at: '', ok: false, status: 429, message: 'HTTP 429', durationMs: 1 } }, 'Gmail', NOW);
    expect(limited).toMatchObject({ word: 'Rate limited', tone: 'warn' });
  });

  it('never says Connected beside a failed test, and shows no expiry on a dead grant', () => {
    const failed = presentConnection({ ...base, state: 'active', lastTest: { at: '', ok: false, status: 401, message: 'HTTP 401', durationMs: 1 } }, 'Gmail', NOW);
    expect(failed.word).toBe('Refused');
    const dead = presentConnection({ ...base, state: 'needs_reauth', expiresAt: NOW + 3_600_000 }, 'Gmail', NOW);
    expect(dead.expiry).toBeUndefined();
    expect(presentConnection({ ...base, expiresAt: NOW + 3_600_000, refreshable: true }, 'Gmail', NOW).expiry).toBeUndefined();
    expect(presentConnection({ ...base, authMethod: 'bearer', expiresAt: NOW + 3 * 3_600_000 }, 'Slack', NOW).expiry).toBe('expires in 3 h');
  });
});

describe('a model profile in words, as its connection reads', () => {
  const key: ConnectionView = { ...base, id: 'anthropic-1', service: 'anthropic', label: 'team', authMethod: 'api_key' };
  const profile: ProfileView = { id: 'anthropic:team', provider: 'anthropic', name: 'team', service: 'anthropic', source: 'api-key', state: 'usable', refreshable: false, connectionId: key.id, billing: 'per-token' };

  it('says Rate limited (not Usable) for a key whose last test got HTTP 429, exactly as the Connections view does', () => {
    const limited = { ...key, lastTest: { at: '', ok: false, status: 429, message: 'Anthropic API answered HTTP 429: rate_limit_error', durationMs: 1 } };
    const asConnection = presentConnection(limited, 'Anthropic API', NOW);
    expect(asConnection.word).toBe('Rate limited');
    expect(presentProfile(profile, limited, 'Anthropic API', NOW)).toEqual(asConnection);
  });

  it('reads a failing or revoked credential alike on both pages, and Usable only when the connection is fine', () => {
    for (const c of [
      { ...key, state: 'error' as const, stateReason: 'Anthropic answered HTTP 401', lastTest: { at: '', ok: false, status: 401, message: 'HTTP 401', durationMs: 1 } },
      { ...key, authMethod: 'oauth2' as const, state: 'needs_reauth' as const, stateReason: 'the provider revoked it' },
    ]) {
      expect(presentProfile({ ...profile, state: c.state }, c, 'Anthropic API', NOW)).toEqual(presentConnection(c, 'Anthropic API', NOW));
    }
    expect(presentProfile(profile, key, 'Anthropic API', NOW)).toMatchObject({ word: 'Usable', tone: 'ok' });
  });

  it('keeps a CLI sign-in\'s own live state when that is the worse news, in words without a command', () => {
    const cli = { ...profile, source: 'cli-sync' as const, state: 'expired' as const, reason: 'the Claude Code sign-in expired — run `claude` to sign in again' };
    expect(presentProfile(cli, { ...key, authMethod: 'cli_reader' }, 'Claude subscription', NOW)).toMatchObject({ word: 'Expired', tone: 'bad', reason: 'The Claude Code sign-in expired.' });
  });
});

describe('messages for the window', () => {
  it('drops the pointer to a terminal command and keeps the cause', () => {
    expect(forWindow('skill "x" is not approved — review it with `sophon skills list` and run `sophon skills approve x`')).toBe('Skill "x" is not approved.');
    expect(forWindow('github:work needs re-auth (the token was revoked) — reconnect with `sophon connect reauth c1`')).toBe('Github:work needs re-auth (the token was revoked).');
  });
});

describe('grants and what changed', () => {
  const name = (id: string) => ({ github: 'GitHub', notion: 'Notion' })[id] ?? id;
  it('says a grant in words', () => {
    expect(grantSentence({ ref: 'github:work', methods: ['GET'], paths: ['/repos/me'] }, name)).toEqual({ verb: 'may read', what: 'GitHub · work', detail: 'GET /repos/me/…' });
  });

  it('lists what a new version asks for beyond the approval, and what it dropped', () => {
    const before = { grants: [{ ref: 'github:work', methods: ['GET'], paths: ['/repos/me'] }], tools: ['label'] };
    const now = { grants: [{ ref: 'github:work', methods: ['GET', 'DELETE'], paths: ['/repos/me'] }, { ref: 'notion', methods: ['*'], paths: ['/'] }], tools: ['file-issue'] };
    const diff = grantDiff(before, now, name).map((d) => `${d.kind}: ${d.text}`);
    expect(diff).toEqual(['added: GitHub · work may now also DELETE', 'added: May do anything with any Notion account: any method anywhere in its API', 'added: New tool: file-issue', 'removed: Tool dropped: label']);
  });
});

describe('the audit as sentences', () => {
  const names = { connection: (id: string) => (id === 'c1' ? 'OpenRouter · personal' : undefined), service: (id: string) => id, skill: (id: string) => (id === 'sum' ? 'Summarize' : id) };
  const call = (seq: number, minutesAgo: number, outcome = 'ok'): AuditEntryView => ({ seq, ts: new Date(NOW - minutesAgo * 60_000).toISOString(), actor: 'skill', action: 'broker.call', skill: 'sum', connection: 'c1', outcome });

  it('folds alike calls within an hour into one sentence', () => {
    const groups = groupAudit([call(5, 1), call(4, 2), call(3, 30), call(2, 40, 'denied'), call(1, 200)], names);
    expect(groups.map((g) => g.sentence)).toEqual([
      'Summarize (skill) called OpenRouter · personal 3 times',
      'Summarize (skill) was refused access to OpenRouter · personal',
      'Summarize (skill) called OpenRouter · personal',
    ]);
  });
});
