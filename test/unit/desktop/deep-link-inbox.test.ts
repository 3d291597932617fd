import { describe, expect, it } from 'vitest';
import { DeepLinkInbox } from '../../../main/desktop/deep-link-inbox.ts';
import type { DeepLink } from '../../../main/desktop/deep-link.ts';

describe('DeepLinkInbox', () => {
  it('holds links until the core is ready, then hands them over in order', async () => {
    const handled: DeepLink[] = [];
    const inbox = new DeepLinkInbox();
    inbox.receive('sophon://oauth/callback?code=one&state=s1');
    inbox.receive('sophon://open');
    inbox.receive('sophon://oauth/callback?code=two&state=s2');
    await inbox.idle();
    expect(inbox.pending).toBe(3);
    expect(handled).toEqual([]);

    inbox.ready(async (link) => {
      handled.push(link);
    });
    await inbox.idle();
    expect(handled).toEqual([
      { kind: 'oauth-callback', url: 'sophon://oauth/callback?code=one&state=s1' },
      { kind: 'open' },
      { kind: 'oauth-callback', url: 'sophon://oauth/callback?code=two&state=s2' },
    ]);
    expect(inbox.pending).toBe(0);

    inbox.receive('sophon://oauth/callback?code=three&state=s3');
    await inbox.idle();
    expect(handled).toHaveLength(4);
    inbox.dispose();
  });

  it('completes a queued callback through the dispatcher once ready (signin.complete with the URL)', async () => {
    const calls: Array<{ method: string; params: unknown; actor: string }> = [];
    const dispatcher = {
      call: async (method: string, params: unknown, ctx: { actor: string }) => {
        calls.push({ method, params, actor: ctx.actor });
        return { ok: true as const, data: {} };
      },
    };
    const inbox = new DeepLinkInbox();
    // Cold start: the browser's redirect launched the app before the vault was open.
    inbox.receive('sophon://oauth/callback?code=c0de&state=st4te');
    await inbox.idle();
    expect(calls).toEqual([]);
    inbox.ready(async (link) => {
      if (link.kind === 'oauth-callback') await dispatcher.call('signin.complete', { redirectUrl: link.url }, { actor: 'window' });
    });
    await inbox.idle();
    expect(calls).toEqual([{ method: 'signin.complete', params: { redirectUrl: 'sophon://oauth/callback?code=c0de&state=st4te' }, actor: 'window' }]);
    inbox.dispose();
  });

  it('refuses hostile links without queueing them and without echoing them', async () => {
    const refused: string[] = [];
    const inbox = new DeepLinkInbox({ onRefused: (reason) => refused.push(reason) });
    inbox.receive('https://evil.example/?code=secret-code&state=x');
    inbox.receive('sophon://evil.example/oauth/callback?code=secret-code&state=x');
    expect(inbox.pending).toBe(0);
    expect(refused).toHaveLength(2);
    expect(refused.join(' ')).not.toContain('secret-code');
    inbox.dispose();
  });

  it('caps what it holds before ready, keeps going after a handler error, and stops after dispose', async () => {
    const errors: unknown[] = [];
    const inbox = new DeepLinkInbox({ maxQueued: 2, onError: (e) => errors.push(e), onRefused: () => undefined });
    inbox.receive('sophon://open');
    inbox.receive('sophon://open');
    inbox.receive('sophon://open');
    expect(inbox.pending).toBe(2);
    let handled = 0;
    inbox.ready(() => {
      handled++;
      if (handled === 1) throw new Error('boom');
    });
    await inbox.idle();
    expect(handled).toBe(2);
    expect(errors).toHaveLength(1);
    inbox.dispose();
    inbox.receive('sophon://open');
    await inbox.idle();
    expect(handled).toBe(2);
  });
});
