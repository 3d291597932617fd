import { closeSync, openSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { SophonError, PASSPHRASE_MIN_LENGTH, PASSPHRASE_TRIES } from '../core/base.ts';

/**
 * Prompts on the controlling terminal, as ssh, gpg and sudo do: the question is written to
 * the terminal and the answer read from it with echo off, even when stdin carries something
 * else (`echo KEY | sophon connect add …`) or stderr goes to a file. Shared by the CLI and
 * `sophon serve`.
 */
interface Terminal {
  readonly input: ReadStream;
  write(text: string): void;
  close(): void;
}

const CONTROLLING_TERMINAL = '/dev/tty';

function openTerminal(): Terminal | undefined {
  if (process.platform !== 'win32') {
    let fd: number | undefined;
    try {
      fd = openSync(CONTROLLING_TERMINAL, 'r+');
      const input = new ReadStream(fd);
      const owned = fd;
      return {
        input,
        write: (text) => void writeSync(owned, text),
        close: () => input.destroy(),
      };
    } catch {
      // ENXIO: no controlling terminal (a service, CI, `setsid`); fall through.
      if (fd !== undefined) closeSync(fd);
    }
  }
  if (process.stdin.isTTY) {
    return { input: process.stdin as ReadStream, write: (text) => void process.stderr.write(text), close: () => process.stdin.pause() };
  }
  return undefined;
}

/** Whether there is a terminal to ask on (stdin, or the controlling terminal behind a pipe). */
export function hasTerminal(): boolean {
  const terminal = openTerminal();
  if (!terminal) return false;
  terminal.close();
  return true;
}

function noTerminal(): SophonError {
  return new SophonError('PASSPHRASE_REQUIRED', 'there is no terminal to ask on (no controlling terminal) — pipe the value on stdin, or set SOPHON_VAULT_PASSPHRASE for the vault passphrase');
}

/** Asks for a value without echoing it (a passphrase, a key, a token). */
export function hiddenPrompt(question: string): Promise<string> {
  return readAtTerminal(question, false);
}

/** Asks for a value that may be seen (an address, a host name), showing what is typed. */
export function linePrompt(question: string): Promise<string> {
  return readAtTerminal(question, true);
}

/** Asks a yes/no question on the terminal; only "y" or "yes" is yes. */
export async function confirmPrompt(question: string): Promise<boolean> {
  return /^(y|yes)$/i.test((await readAtTerminal(question, true)).trim());
}

/**
 * The terminal is in raw mode while it reads, so Ctrl-C, Ctrl-D, backspace and Ctrl-U are
 * handled here; other control keys and escape sequences (arrows) are ignored rather than
 * becoming part of a passphrase. With `echo`, what is typed is shown.
 */
function readAtTerminal(question: string, echo: boolean): Promise<string> {
  const terminal = openTerminal();
  if (!terminal) return Promise.reject(noTerminal());
  const { input } = terminal;
  // Echo off before the question shows: whatever is typed once it is visible stays hidden.
  input.setRawMode(true);
  terminal.write(question);
  return new Promise<string>((resolve, reject) => {
    let value = '';
    let escape: 'none' | 'esc' | 'csi' = 'none';
    const finish = (outcome: { value: string } | { error: SophonError }) => {
      input.off('data', onData);
      input.setRawMode(false);
      terminal.write('\r\n');
      terminal.close();
      if ('value' in outcome) resolve(outcome.value);
      else reject(outcome.error);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (escape === 'esc') {
          escape = ch === '[' || ch === 'O' ? 'csi' : 'none';
          continue;
        }
        if (escape === 'csi') {
          if (ch >= '@' && ch <= '~') escape = 'none';
          continue;
        }
        switch (ch) {
          case '\r':
          case '\n':
            finish({ value });
            return;
          case '\u0003':
            finish({ error: new SophonError('CANCELLED', 'cancelled at the prompt — nothing was changed') });
            return;
          case '\u0004':
            if (value === '') {
              finish({ error: new SophonError('CANCELLED', 'nothing typed (Ctrl-D) — nothing was changed') });
              return;
            }
            break;
          case '\u007f':
          case '\b':
            if (echo && value !== '') terminal.write('\b \b');
            value = Array.from(value).slice(0, -1).join('');
            break;
          case '\u0015':
            if (echo) terminal.write('\b \b'.repeat(Array.from(value).length));
            value = '';
            break;
          case '\u001b':
            escape = 'esc';
            break;
          default:
            if (ch < ' ') break;
            value += ch;
            if (echo) terminal.write(ch);
        }
      }
    };
    input.on('data', onData);
    input.resume();
  });
}

/** Writes a line on the terminal the prompts use (e.g. "try again"); nowhere when there is none. */
function tell(line: string): void {
  const terminal = openTerminal();
  if (!terminal) return;
  terminal.write(`${line}\r\n`);
  terminal.close();
}

/**
 * The vault passphrase. A new one is typed twice, and asked again (up to three times) when
 * it is too short or the two differ; `attempt` > 1 means the previous one did not open the vault.
 */
export async function passphrasePrompt(request: { confirm: boolean; attempt?: number }): Promise<string> {
  if (!request.confirm) {
    if ((request.attempt ?? 1) > 1) tell(`That passphrase does not open the vault — try again (${request.attempt} of ${PASSPHRASE_TRIES}).`);
    return hiddenPrompt('Vault passphrase: ');
  }
  for (let attempt = 1; ; attempt++) {
    const first = await hiddenPrompt('New vault passphrase: ');
    let problem: string | undefined;
    if (Array.from(first).length < PASSPHRASE_MIN_LENGTH) problem = `the passphrase is shorter than ${PASSPHRASE_MIN_LENGTH} characters`;
    else if ((await hiddenPrompt('Repeat passphrase: ')) !== first) problem = 'the two passphrases differ';
    if (!problem) return first;
    if (attempt >= PASSPHRASE_TRIES) throw new SophonError('INVALID_INPUT', `${problem} (${PASSPHRASE_TRIES} tries) — nothing was created; run the command again`);
    tell(`${problem[0]?.toUpperCase()}${problem.slice(1)} — try again (${attempt + 1} of ${PASSPHRASE_TRIES}).`);
  }
}
