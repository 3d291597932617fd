// Issue 13: the mail tools against a real Dovecot and a submission server on loopback.
// Prints, per mailbox size, the median time of a Test (IMAP login + STATUS, SMTP EHLO + AUTH),
// of search (everything, by sender, unread; newest 20), of reading one message, and of the
// same search done with imapflow directly (login, SEARCH, FETCH of 20: the floor), plus a send.
import { performance } from 'node:perf_hooks';
import { ImapFlow } from 'imapflow';
import { openHostApi, type HostApi } from '../main/api/host.ts';
import { fastPassphrase } from '../test/helpers/protectors.ts';
import { tempHome } from '../test/helpers/temp-home.ts';
import { ALICE, BULK, composeMessage, startMailFixture } from '../test/helpers/mail-fixture.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

async function ok(host: HostApi, method: string, params: unknown): Promise<unknown> {
  const result = await host.dispatcher.call(method, params, { actor: 'cli' });
  if (!result.ok) throw new Error(`${method}: ${result.error.message}`);
  return result.data;
}

export async function run(): Promise<void> {
  const fx = await startMailFixture();
  const home = await tempHome('sophon-bench-mail-');
  await fx.writeSettings(home.dir);
  const host = await openHostApi({ home: home.dir, ownerName: 'bench', protectors: fastPassphrase(), scheduler: false });
  try {
    const imap = { host: '127.0.0.1', port: fx.dovecot.imapsPort, tls: 'implicit' };
    const smtp = { host: '127.0.0.1', port: fx.implicit.port, tls: 'implicit' };
    await ok(host, 'mail.add', { service: 'mail', label: 'bulk', address: BULK.address, secret: BULK.password, imap, smtp, test: false });
    await ok(host, 'mail.add', { service: 'mail', label: 'alice', address: ALICE.address, secret: ALICE.password, imap, smtp });
    await ok(host, 'skills.add', { manifest: { id: 'bench', name: 'Bench', credentials: ['mail'] } });
    await ok(host, 'skills.approve', { id: 'bench' });
    const token = (await host.broker.mint({ skill: 'bench', tool: 'bench', ttlSeconds: 900 }, { actor: 'runtime', via: 'direct' })).token;

    console.log('messages | test (both logins) | search all (20) | by sender (20) | unread (20) | imapflow direct search (20) | read one | send one');
    let seeded = 0;
    for (const size of [1_000, 5_000, 20_000]) {
      const batch = [];
      for (let i = seeded; i < size; i++) {
        const date = new Date(Date.UTC(2023, 0, 1) + i * 600_000);
        batch.push({ raw: await composeMessage({ from: `sender${i % 100}@example.test`, to: BULK.address, subject: `Report ${i}`, text: `Body of report ${i}.\n`.repeat(20), date }), seen: i % 4 !== 0, date });
      }
      await fx.dovecot.seed(BULK.address, batch);
      seeded = size;
      // The first access indexes the new messages; that is Dovecot's one-off cost, not ours.
      await ok(host, 'mail.search', { token, connection: 'mail:bulk', limit: 1 });
      const test = await time(5, () => ok(host, 'connections.test', { ref: 'mail:bulk' }));
      const all = await time(7, () => ok(host, 'mail.search', { token, connection: 'mail:bulk' }));
      const bySender = await time(7, () => ok(host, 'mail.search', { token, connection: 'mail:bulk', from: 'sender42@example.test' }));
      const unread = await time(7, () => ok(host, 'mail.search', { token, connection: 'mail:bulk', unread: true }));
      const direct = await time(7, async () => {
        const client = new ImapFlow({ host: '127.0.0.1', port: fx.dovecot.imapsPort, secure: true, tls: { ca: [fx.ca.ca] }, auth: { user: BULK.address, pass: BULK.password }, logger: false });
        await client.connect();
        const lock = await client.getMailboxLock('INBOX', { readOnly: true });
        const uids = ((await client.search({ all: true }, { uid: true })) || []).sort((a, b) => b - a).slice(0, 20);
        for await (const _m of client.fetch(uids.join(','), { uid: true, envelope: true, flags: true, bodyStructure: true }, { uid: true })) void _m;
        lock.release();
        await client.logout();
      });
      const newest = (await ok(host, 'mail.search', { token, connection: 'mail:bulk', limit: 1 })) as { messages: Array<{ id: string }> };
      const read = await time(7, () => ok(host, 'mail.read', { token, connection: 'mail:bulk', id: newest.messages[0]!.id }));
      const send = await time(5, () => ok(host, 'mail.send', { token, connection: 'mail:alice', to: [ALICE.address], subject: 'bench', text: 'bench' }));
      const ms = (n: number) => `${n.toFixed(1)} ms`;
      console.log(`${String(size).padStart(8)} | ${ms(test).padStart(18)} | ${ms(all).padStart(15)} | ${ms(bySender).padStart(14)} | ${ms(unread).padStart(11)} | ${ms(direct).padStart(28)} | ${ms(read).padStart(8)} | ${ms(send).padStart(8)}`);
    }
  } finally {
    await host.dispose();
    await home.dispose();
    await fx.stop();
  }
}
