// A real pseudo-terminal for tests: a private tmux server (its own socket, no user config)
// runs one shell command in a window the test reads like a screen and types into like a
// keyboard. What the command sees is a terminal: isatty, a controlling terminal (/dev/tty),
// raw mode, echo. Nothing here is a stand-in for the terminal itself.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);

export const SOPHON = fileURLToPath(new URL('../../bin/sophon.js', import.meta.url));

export interface TerminalOptions {
  /**
   * The whole environment of the command (plus PATH, HOME and TERM when absent): nothing of
   * the test process leaks in, so "no variable set" means none.
   */
  readonly env: Record<string, string>;
  readonly cwd?: string;
  readonly columns?: number;
  readonly rows?: number;
}

export interface Terminal {
  /** The screen as it is now, wrapped lines joined, trailing blank lines dropped. */
  screen(): Promise<string>;
  /** Types text as keystrokes (no Enter). */
  type(text: string): Promise<void>;
  /** Presses keys by tmux name: 'Enter', 'C-c', 'C-d', 'BSpace'. */
  press(...keys: string[]): Promise<void>;
  /** Waits until the screen matches; returns the screen. Fails with the screen when it does not in time. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Waits for a prompt, then types the answer and Enter, as a person does. */
  answer(prompt: RegExp, text: string): Promise<void>;
  /** Waits for the command to end; its exit status. */
  exitCode(timeoutMs?: number): Promise<number>;
  dispose(): Promise<void>;
}

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/** Quotes a command and its arguments for the shell tmux runs (`sh -c`). */
export function shellCommand(...words: string[]): string {
  return words.map(shellQuote).join(' ');
}

/** Starts `command` (a shell command line) in a fresh pseudo-terminal. */
export async function startTerminal(command: string, options: TerminalOptions): Promise<Terminal> {
  const dir = await mkdtemp(join(tmpdir(), 'sophon-tty-'));
  const socket = join(dir, 'tmux.sock');
  const config = join(dir, 'tmux.conf');
  // remain-on-exit keeps the pane after the command ends, so its last screen can be read.
  await writeFile(config, 'set-option -g remain-on-exit on\nset-option -g history-limit 2000\nset-option -g status off\n');
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, TERM: 'xterm-256color', ...options.env };
  const tmux = (...args: string[]) => run('tmux', ['-S', socket, '-f', config, ...args], { env, cwd: options.cwd ?? process.cwd() });
  // The exit status goes to a file: tmux's own #{pane_dead_status} is sometimes never set.
  const statusFile = join(dir, 'status');
  await tmux('new-session', '-d', '-s', 'test', '-x', String(options.columns ?? 160), '-y', String(options.rows ?? 50), `cd ${shellQuote(options.cwd ?? process.cwd())} && { ${command}; }; echo $? > ${shellQuote(statusFile)}`);

  const screen = async () => {
    // -S -: from the start of the history, since a pane that dies scrolls its first line out of view.
    const { stdout } = await tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'test');
    // remain-on-exit writes its own "Pane is dead (status …)" line at the bottom: not the program's.
    return stdout.replace(/^Pane is dead.*$/m, '').replace(/[ \t]+$/gm, '').replace(/\s+$/, '');
  };
  const status = async (): Promise<number | undefined> => {
    const text = await readFile(statusFile, 'utf8').catch(() => '');
    return text.endsWith('\n') ? Number(text.trim()) : undefined;
  };
  let disposed = false;
  const terminal: Terminal = {
    screen,
    async type(text) {
      await tmux('send-keys', '-t', 'test', '-l', text);
    },
    async press(...keys) {
      await tmux('send-keys', '-t', 'test', ...keys);
    },
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const now = await screen();
        if (pattern.test(now)) return now;
        if (Date.now() > deadline) throw new Error(`the terminal never showed ${pattern}; it shows:\n${now}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async answer(prompt, text) {
      await terminal.waitFor(prompt);
      await terminal.type(text);
      await terminal.press('Enter');
    },
    async exitCode(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const code = await status();
        if (code !== undefined) return code;
        if (Date.now() > deadline) throw new Error(`the command did not end; the terminal shows:\n${await screen()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await tmux('kill-server').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return terminal;
}
