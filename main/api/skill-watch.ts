import { watch, type FSWatcher } from 'node:fs';
import type { Notifier } from '../core/index.ts';
import type { SkillView } from './contract.ts';
import type { HostApi } from './host.ts';
import { skillView } from './handlers/broker.ts';

/**
 * Tells the person when a skill starts waiting for approval: a new manifest, or a new version
 * asking for more than was approved. Once per version (its grant hash), not on every look.
 * Watches skills/ too, so a manifest an agent drops there shows up (and is announced to the
 * window as `skills.changed`) without anyone asking.
 */
export class SkillApprovalWatch {
  private readonly announced = new Map<string, string>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly host: Pick<HostApi, 'broker' | 'dispatcher' | 'core'>,
    private readonly notifier: Notifier,
    private readonly delayMs = 300,
  ) {}

  /** Remembers what already waits at start (not news), then listens. */
  async start(): Promise<void> {
    for (const skill of await this.skills()) if (waiting(skill)) this.announced.set(skill.id, skill.grantHash ?? '');
    this.host.broker.onChange((change) => {
      if (change.type !== 'tokens') this.soon(false);
    });
    try {
      this.watcher = watch(this.host.core.paths.skillsDir, () => this.soon(true));
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // No folder to watch (removed under us): approvals through Sophon are still announced.
    }
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.watcher?.close();
  }

  /** Runs a check after a short quiet spell (an editor writes a file in several steps). */
  private soon(fromDisk: boolean): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.running.then(() => this.check(fromDisk)).catch(() => undefined);
    }, this.delayMs);
    this.timer.unref?.();
  }

  /** For tests: waits for the checks under way. */
  settled(): Promise<void> {
    return this.running;
  }

  async check(fromDisk = false): Promise<void> {
    const skills = await this.skills();
    for (const skill of skills) {
      if (!waiting(skill)) {
        this.announced.delete(skill.id);
        continue;
      }
      const version = skill.grantHash ?? '';
      if (this.announced.get(skill.id) === version) continue;
      this.announced.set(skill.id, version);
      const name = skill.name ?? skill.id;
      this.notifier.notify(
        skill.status === 'changed' ? `${name} asks for more access` : `${name} asks for access`,
        skill.status === 'changed' ? 'Its new version wants more than you approved. Open Sophon’s Agents view to see what changed.' : 'Open Sophon’s Agents view to see what it asks for and approve it.',
      );
      if (fromDisk) this.host.dispatcher.publish('skills.changed', { id: skill.id });
    }
  }

  private async skills(): Promise<SkillView[]> {
    return (await this.host.broker.skills.list()).map(skillView);
  }
}

function waiting(skill: SkillView): boolean {
  return skill.status === 'pending' || skill.status === 'changed';
}
