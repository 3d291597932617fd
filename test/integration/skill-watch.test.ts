import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openHostApi, type HostApi } from '../../main/api/host.ts';
import { SkillApprovalWatch } from '../../main/api/skill-watch.ts';
import { fastPassphrase } from '../helpers/protectors.ts';
import { tempHome, type TempHome } from '../helpers/temp-home.ts';

// A skill asking for approval raises a notification (the desktop's, through the Notifier
// port): once per version, for one added through Sophon and for one an agent drops in skills/.

describe('SkillApprovalWatch', () => {
  let home: TempHome | undefined;
  let host: HostApi | undefined;
  let watch: SkillApprovalWatch | undefined;
  afterEach(async () => {
    watch?.dispose();
    await host?.dispose();
    await home?.dispose();
  });

  it('notifies once when a skill waits, again when a new version asks for more, and tells the window', async () => {
    home = await tempHome();
    host = await openHostApi({ home: home.dir, ownerName: 'test', protectors: fastPassphrase(), scheduler: false });
    const notes: string[] = [];
    const events: string[] = [];
    host.dispatcher.subscribe((event, payload) => {
      if (event === 'skills.changed') events.push((payload as { id: string }).id);
    });
    watch = new SkillApprovalWatch(host, { notify: (title) => notes.push(title) }, 20);
    await watch.start();

    await host.broker.addSkill({ id: 'triage', name: 'Mail triage', credentials: ['gmail'] }, { actor: 'cli' });
    await expect.poll(() => notes).toEqual(['Mail triage asks for access']);
    await host.broker.approveSkill('triage', { actor: 'window' });
    await watch.check();
    expect(notes).toHaveLength(1);

    // The agent's new version, written straight into skills/: it asks for more.
    await writeFile(join(home.dir, 'skills', 'triage.json'), JSON.stringify({ id: 'triage', name: 'Mail triage', credentials: ['gmail', 'github'] }), { mode: 0o600 });
    await expect.poll(() => notes, { timeout: 10_000 }).toEqual(['Mail triage asks for access', 'Mail triage asks for more access']);
    await expect.poll(() => events.includes('triage')).toBe(true);
    await watch.check();
    expect(notes).toHaveLength(2);
  });
});
