import { SophonError } from '../core/base.ts';
import { hiddenPrompt } from '../api/terminal-prompt.ts';

export { hiddenPrompt, passphrasePrompt } from '../api/terminal-prompt.ts';

/** Reads all of stdin (a piped secret). */
export async function readStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** A secret from the hidden prompt on a TTY, else from stdin; never from argv. */
export async function readSecret(what: string): Promise<string> {
  const raw = process.stdin.isTTY ? await hiddenPrompt(`${what}: `) : await readStdin();
  const value = raw.replace(/\r?\n$/, '');
  if (value.length === 0) {
    throw new SophonError('EMPTY_SECRET', `no ${what} given — ${process.stdin.isTTY ? 'type or paste it at the prompt' : 'pipe it on stdin, e.g. `printf %s "$KEY" | sophon connect add …`'}`);
  }
  return value;
}
