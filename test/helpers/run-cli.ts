import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/sophon.js', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `sophon …` as a real process, as CI or a service would: stdin piped (never a TTY) and,
 * being detached (a session of its own), no controlling terminal either, even when the tests
 * themselves run in one. Prompts are tested in test/helpers/terminal.ts.
 */
export function runCli(args: readonly string[], options: { env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env['PATH'], ...options.env }, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sophon ${args.join(' ')} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    // The CLI may stop reading early (a piped secret far too long): the rest is not written, like `cat` getting EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Starts a long-running `sophon …` (e.g. serve) and resolves once `ready` appears on stderr. */
export function startCli(args: readonly string[], options: { env: NodeJS.ProcessEnv; ready: RegExp; timeoutMs?: number }) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env['PATH'], ...options.env }, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sophon ${args.join(' ')} did not start\nstderr: ${stderr}`)), options.timeoutMs ?? 30_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (options.ready.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`sophon ${args.join(' ')} exited with ${code}\nstderr: ${stderr}`));
    });
  });
  return {
    child,
    ready,
    output: () => ({ stdout, stderr }),
    async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
      if (child.exitCode !== null) return child.exitCode;
      const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
      child.kill(signal);
      return closed;
    },
  };
}

