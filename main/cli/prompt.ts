import { SophonError } from '../core/base.ts';
import { hiddenPrompt } from '../api/terminal-prompt.ts';

export { hiddenPrompt, linePrompt, passphrasePrompt } from '../api/terminal-prompt.ts';

/** Longest secret the contract accepts, in characters: keys and passwords 8 KiB, pasted tokens 16 KiB. */
export const SECRET_MAX_CHARS = 8192;

function tooLong(what: string, maxChars: number): SophonError {
  return new SophonError('INPUT_TOO_LARGE', `the ${what} is longer than ${maxChars / 1024} KiB — is this the right file? nothing was stored`);
}

/**
 * Reads all of stdin (a piped secret), up to `maxBytes`: a file piped by mistake (a log,
 * an image) is refused as soon as it is too large instead of being read to its end.
 */
export async function readStdin(stdin: NodeJS.ReadableStream = process.stdin, maxBytes = Number.POSITIVE_INFINITY): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += buffer.length;
    if (total > maxBytes) {
      (stdin as NodeJS.ReadStream).destroy?.();
      return undefined;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A secret from the hidden prompt on a TTY, else from stdin; never from argv. */
export async function readSecret(what: string, maxChars = SECRET_MAX_CHARS): Promise<string> {
  // UTF-8 takes at most 4 bytes a character, and a trailing newline is allowed.
  const raw = process.stdin.isTTY ? await hiddenPrompt(`${what}: `) : await readStdin(process.stdin, maxChars * 4 + 2);
  if (raw === undefined) throw tooLong(what, maxChars);
  const value = raw.replace(/\r?\n$/, '');
  if (value.length > maxChars) throw tooLong(what, maxChars);
  if (value.length === 0) {
    throw new SophonError('EMPTY_SECRET', `no ${what} given — ${process.stdin.isTTY ? 'type or paste it at the prompt' : 'pipe it on stdin, e.g. `printf %s "$KEY" | sophon connect add …`'}`);
  }
  return value;
}
