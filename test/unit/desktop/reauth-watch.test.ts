import { describe, expect, it } from 'vitest';
import { ReauthWatch } from '../../../main/desktop/reauth-watch.ts';
import { connection } from './fixtures.ts';

describe('ReauthWatch', () => {
  it('notifies once when a connection turns needs_reauth, not for ones that already needed it', () => {
    const notes: Array<{ title: string; body: string }> = [];
    const watch = new ReauthWatch({ notify: (title, body) => notes.push({ title, body }) }, (s) => (s === 'github' ? 'GitHub' : s));
    watch.seed([connection('old', 'needs_reauth'), connection('a', 'active')]);

    watch.onChange({ type: 'updated', connection: connection('old', 'needs_reauth') });
    expect(notes).toEqual([]);
    watch.onChange({ type: 'updated', connection: connection('a', 'needs_reauth', { label: 'work' }) });
    watch.onChange({ type: 'updated', connection: connection('a', 'needs_reauth', { label: 'work' }) });
    expect(notes).toHaveLength(1);
    expect(notes[0]!.title).toBe('GitHub needs you to sign in again');
    expect(notes[0]!.body).toContain('"work"');

    // Back to active, then failing again: a new transition, a new notification.
    watch.onChange({ type: 'updated', connection: connection('a', 'active') });
    watch.onChange({ type: 'updated', connection: connection('a', 'needs_reauth') });
    expect(notes).toHaveLength(2);

    // A new connection that arrives already needing re-auth is news too; a removed one is forgotten.
    watch.onChange({ type: 'added', connection: connection('n', 'needs_reauth') });
    expect(notes).toHaveLength(3);
    watch.onChange({ type: 'removed', connection: connection('n', 'needs_reauth') });
    watch.onChange({ type: 'added', connection: connection('n', 'needs_reauth') });
    expect(notes).toHaveLength(4);
  });
});
