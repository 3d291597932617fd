// A private D-Bus session bus and a gnome-keyring Secret Service on it, in a temp dir, so tests
// exercise the real keyring path without touching the user's keyring or session bus.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BusEnv {
  readonly DBUS_SESSION_BUS_ADDRESS: string;
}

export interface SessionBus {
  /** Put this in a child's environment; nothing else is needed to reach the bus. */
  readonly env: BusEnv;
  readonly address: string;
  /** Temp dir holding the socket and config; removed by dispose. */
  readonly dir: string;
  readonly pids: readonly number[];
  dispose(): Promise<void>;
}

export interface SecretService extends SessionBus {
  /** Password of the (already unlocked) login keyring. */
  readonly password: string;
}

const READY_TIMEOUT_MS = 10_000;

/**
 * A dbus-daemon with no service activation: only what the test starts is on the bus, so nothing
 * gets auto-started behind the test's back (e.g. the system's gnome-keyring .service file).
 */
export async function startSessionBus(): Promise<SessionBus> {
  const dir = await mkdtemp(join(tmpdir(), 'sophon-dbus-'));
  const tracker = new Tracker(dir);
  try {
    const address = await launchBus(dir, tracker);
    return handle(dir, address, tracker);
  } catch (err) {
    await tracker.dispose();
    throw err;
  }
}

/** startSessionBus plus `gnome-keyring-daemon --components=secrets --unlock`, resolved once it owns org.freedesktop.secrets. */
export async function startSecretService(options: { password?: string } = {}): Promise<SecretService> {
  const password = options.password ?? 'sophon-test-keyring';
  const dir = await mkdtemp(join(tmpdir(), 'sophon-dbus-'));
  const tracker = new Tracker(dir);
  try {
    const address = await launchBus(dir, tracker);
    const home = join(dir, 'home');
    const runtime = join(dir, 'run');
    await mkdir(home, { recursive: true });
    await mkdir(runtime, { mode: 0o700 });
    const keyring = tracker.spawn('gnome-keyring-daemon', ['--foreground', '--components=secrets', '--unlock'], {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: home,
      XDG_RUNTIME_DIR: runtime,
      XDG_DATA_HOME: join(home, '.local/share'),
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_CACHE_HOME: join(home, '.cache'),
      DBUS_SESSION_BUS_ADDRESS: address,
    });
    // --unlock reads the login keyring password until EOF (and creates the keyring with it).
    keyring.child.stdin?.end(password);
    const waiter = tracker.spawn('gdbus', ['wait', '--address', address, '--timeout', String(READY_TIMEOUT_MS / 1000), 'org.freedesktop.secrets'], {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    });
    await Promise.race([
      waiter.exited.then((code) => {
        if (code !== 0) throw new Error(`org.freedesktop.secrets did not appear on the test bus (gdbus wait exited ${code}): ${keyring.stderr()}`);
      }),
      keyring.exited.then((code) => {
        throw new Error(`gnome-keyring-daemon exited with ${code} before owning org.freedesktop.secrets: ${keyring.stderr()}`);
      }),
    ]);
    return { ...handle(dir, address, tracker), password };
  } catch (err) {
    await tracker.dispose();
    throw err;
  }
}

function handle(dir: string, address: string, tracker: Tracker): SessionBus {
  return {
    env: { DBUS_SESSION_BUS_ADDRESS: address },
    address,
    dir,
    get pids() {
      return tracker.pids();
    },
    dispose: () => tracker.dispose(),
  };
}

async function launchBus(dir: string, tracker: Tracker): Promise<string> {
  const socket = join(dir, 'bus');
  const config = join(dir, 'bus.conf');
  await writeFile(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  );
  const bus = tracker.spawn('dbus-daemon', ['--config-file', config, '--nofork', '--print-address=1'], { PATH: process.env['PATH'] ?? '/usr/bin:/bin' });
  // The address is printed once the socket is listening.
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    bus.child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = out.split('\n');
      if (line.length > 1 && line[0]) resolve(line[0].trim());
    });
    void bus.exited.then((code) => reject(new Error(`dbus-daemon exited with ${code} before printing its address: ${bus.stderr()}`)));
  });
  return address;
}

interface Tracked {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

/** Owns every process a helper starts, and kills them all on dispose or when the test process exits. */
class Tracker {
  readonly #dir: string;
  readonly #children: Tracked[] = [];
  #disposed: Promise<void> | undefined;
  readonly #onExit = () => {
    for (const { child } of this.#children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };

  constructor(dir: string) {
    this.#dir = dir;
    process.once('exit', this.#onExit);
  }

  spawn(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Tracked {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'], cwd: this.#dir });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => {
      child.once('error', (err) => {
        stderr += `${err.message} (is ${command} installed?)`;
        resolve(-1);
      });
      child.once('exit', (code) => resolve(code));
    });
    const tracked = { child, exited, stderr: () => stderr.trim() };
    this.#children.push(tracked);
    return tracked;
  }

  pids(): number[] {
    return this.#children.filter((t) => t.child.exitCode === null && t.child.signalCode === null && t.child.pid !== undefined).map((t) => t.child.pid!);
  }

  dispose(): Promise<void> {
    this.#disposed ??= (async () => {
      // Last started first: the keyring daemon goes before the bus it is registered on.
      for (const tracked of [...this.#children].reverse()) await stop(tracked);
      process.removeListener('exit', this.#onExit);
      await rm(this.#dir, { recursive: true, force: true });
    })();
    return this.#disposed;
  }
}

async function stop({ child, exited }: Tracked): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    await exited;
    return;
  }
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}
