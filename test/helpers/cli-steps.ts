import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BIN } from './run-cli.ts';

/** A running `sophon … --json` whose stdout JSON lines (one per step) can be awaited one by one. */
export function interactive(args: readonly string[], env: NodeJS.ProcessEnv) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env['PATH'], ...env }, detached: true });
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let stderr = '';
  let buffer = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buffer += d;
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffer.slice(0, i)) as Record<string, unknown>);
      buffer = buffer.slice(i + 1);
      waiters.splice(0).forEach((w) => w());
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // A signal's death reads as 128 + something, as a shell shows it; waiting steps wake to see the end.
  const exit = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : -1))));
  child.on('close', () => waiters.splice(0).forEach((w) => w()));
  return {
    child,
    exit,
    stderr: () => stderr,
    async step(name: string): Promise<Record<string, unknown>> {
      for (;;) {
        const found = lines.find((l) => l['step'] === name);
        if (found) return found;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`sophon exited before step ${name}: ${stderr}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

/** Polls `probe` until `ok` holds (a background refresh, a state change), a bounded number of times. */
export async function eventually<T>(probe: () => Promise<T>, ok: (value: T) => boolean, what: string, tries = 80): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await probe();
    if (ok(value)) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Polls `probe` every 200 ms until it gives a value, for at most `ms`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
