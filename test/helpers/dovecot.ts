import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A real Dovecot (Debian dovecot-imapd) run unprivileged in a temp dir with its own config:
 * passdb and userdb from a passwd-file, Maildir storage, an IMAP listener (STARTTLS when TLS is
 * on) and an IMAPS listener. Started as root (CI, containers) it drops to nobody:nogroup first,
 * because Dovecot will not run its login processes as root.
 */
export interface DovecotUser {
  readonly user: string;
  readonly password: string;
}

export interface DovecotOptions {
  readonly dir: string;
  readonly users: readonly DovecotUser[];
  /** Listen addresses; default 127.0.0.1. */
  readonly listen?: readonly string[];
  /** PEM certificate and key; without them TLS is off (no STARTTLS, no IMAPS). */
  readonly tls?: { readonly cert: string; readonly key: string };
}

export interface Dovecot {
  /** Plain IMAP, with STARTTLS offered when TLS is on. */
  readonly imapPort: number;
  /** Implicit TLS; 0 when TLS is off. */
  readonly imapsPort: number;
  setPassword(user: string, password: string): Promise<void>;
  /** Writes messages straight into the user's Maildir (fast seeding of large mailboxes). */
  seed(user: string, messages: ReadonlyArray<{ readonly raw: string; readonly seen?: boolean; readonly date?: Date }>): Promise<void>;
  log(): Promise<string>;
  stop(): Promise<void>;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(host: string, port: number, child: ChildProcess, logFile: string, stderr: () => string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`dovecot exited with ${child.exitCode}: ${stderr()} ${await readFile(logFile, 'utf8').catch(() => '')}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`dovecot did not listen on ${host}:${port}: ${await readFile(logFile, 'utf8').catch(() => '')}`);
}

export async function startDovecot(options: DovecotOptions): Promise<Dovecot> {
  const root = process.getuid?.() === 0;
  const runAs = root ? { name: 'nobody', group: 'nogroup', uid: Number((await run('id', ['-u', 'nobody'])).stdout.trim()), gid: Number((await run('id', ['-g', 'nobody'])).stdout.trim()) } : { name: userInfo().username, group: (await run('id', ['-gn'])).stdout.trim(), uid: userInfo().uid, gid: userInfo().gid };
  const dir = options.dir;
  const p = (...parts: string[]) => join(dir, ...parts);
  await mkdir(p('run'), { recursive: true });
  await mkdir(p('state'), { recursive: true });
  await mkdir(p('mail'), { recursive: true });
  const listen = options.listen ?? ['127.0.0.1'];
  const imapPort = await freePort(listen[0]);
  const imapsPort = options.tls ? await freePort(listen[0]) : 0;
  const passwords = new Map(options.users.map((u) => [u.user, u.password]));
  const writeUsers = async () => {
    const lines: string[] = [];
    for (const [user, password] of passwords) {
      // {PLAIN} keeps the test independent of crypt(3); Dovecot still checks it like any scheme.
      lines.push(`${user}:{PLAIN}${password}:${runAs.uid}:${runAs.gid}::${p('mail', user)}::`);
    }
    await writeFile(p('users'), `${lines.join('\n')}\n`, { mode: 0o600 });
    await chown(p('users'), runAs.uid, runAs.gid);
  };
  await writeUsers();
  if (options.tls) {
    await writeFile(p('cert.pem'), options.tls.cert);
    await writeFile(p('key.pem'), options.tls.key, { mode: 0o600 });
  }
  const config = [
    `base_dir = ${p('run')}`,
    `state_dir = ${p('state')}`,
    `instance_name = sophon-test-${imapPort}`,
    'protocols = imap',
    `listen = ${listen.join(', ')}`,
    `default_internal_user = ${runAs.name}`,
    `default_internal_group = ${runAs.group}`,
    `default_login_user = ${runAs.name}`,
    `first_valid_uid = ${Math.min(runAs.uid, 1)}`,
    `log_path = ${p('dovecot.log')}`,
    'auth_verbose = yes',
    'disable_plaintext_auth = no',
    'auth_mechanisms = plain login',
    options.tls ? `ssl = yes\nssl_cert = <${p('cert.pem')}\nssl_key = <${p('key.pem')}` : 'ssl = no',
    `passdb {\n  driver = passwd-file\n  args = ${p('users')}\n}`,
    `userdb {\n  driver = passwd-file\n  args = ${p('users')}\n}`,
    'mail_location = maildir:~/Maildir',
    'service imap-login {',
    '  chroot =',
    `  inet_listener imap {\n    port = ${imapPort}\n  }`,
    `  inet_listener imaps {\n    port = ${imapsPort}\n    ssl = ${options.tls ? 'yes' : 'no'}\n  }`,
    '}',
    'service anvil {\n  chroot =\n}',
    'service stats {\n  chroot =\n}',
    '',
  ].join('\n');
  await writeFile(p('dovecot.conf'), config);
  for (const user of passwords.keys()) {
    for (const sub of ['cur', 'new', 'tmp']) await mkdir(p('mail', user, 'Maildir', sub), { recursive: true });
  }
  await run('chown', ['-R', `${runAs.uid}:${runAs.gid}`, dir]);
  await run('chmod', ['755', dir]);
  const command = root ? ['setpriv', '--reuid', String(runAs.uid), '--regid', String(runAs.gid), '--clear-groups', 'dovecot', '-F', '-c', p('dovecot.conf')] : ['dovecot', '-F', '-c', p('dovecot.conf')];
  const child = spawn(command[0] as string, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  try {
    await waitForPort(listen[0] as string, imapPort, child, p('dovecot.log'), () => stderr);
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGTERM');
    throw error;
  }
  let seq = 0;
  let stamp = 0;
  return {
    imapPort,
    imapsPort,
    async setPassword(user, password) {
      passwords.set(user, password);
      await writeUsers();
      // Dovecot re-reads a passwd-file when its mtime or size changed, checking at most once a
      // second: give the file a new mtime and let that second pass, so the next login sees it.
      stamp += 10;
      const when = new Date(Date.now() + stamp * 1000);
      await utimes(p('users'), when, when);
      await new Promise((r) => setTimeout(r, 1100));
    },
    async seed(user, messages) {
      const folder = p('mail', user, 'Maildir', 'cur');
      for (const message of messages) {
        seq += 1;
        const file = join(folder, `${1_700_000_000 + seq}.M${seq}P${process.pid}.sophon-test,S=${Buffer.byteLength(message.raw)}:2,${message.seen ? 'S' : ''}`);
        await writeFile(file, message.raw);
        if (message.date) await utimes(file, message.date, message.date);
        await chown(file, runAs.uid, runAs.gid);
      }
    },
    log: () => readFile(p('dovecot.log'), 'utf8').catch(() => ''),
    async stop() {
      if (child.exitCode !== null) return;
      const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
      child.kill('SIGTERM');
      await closed;
    },
  };
}
