import { createInterface } from 'node:readline';
import { SophonError } from '../core/index.ts';

/** Reads all of stdin (a piped secret). */
export async function readStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Asks for a value at the terminal without echoing it. */
export function hiddenPrompt(question: string): Promise<string> {
  const stdin = process.stdin;
  const stderr = process.stderr;
  if (!stdin.isTTY) return Promise.reject(new SophonError('INVALID_INPUT', 'no terminal to ask — pipe the value on stdin'));
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: stdin, output: stderr, terminal: true });
    const output = rl as unknown as { _writeToOutput?: (s: string) => void };
    stderr.write(question);
    output._writeToOutput = () => undefined;
    rl.question('', (answer) => {
      rl.close();
      stderr.write('\n');
      resolve(answer);
    });
    rl.on('SIGINT', () => {
      rl.close();
      reject(new SophonError('OAUTH_CANCELLED', 'cancelled'));
    });
  });
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

export async function passphrasePrompt(request: { confirm: boolean }): Promise<string> {
  const first = await hiddenPrompt(request.confirm ? 'New vault passphrase: ' : 'Vault passphrase: ');
  if (request.confirm) {
    const second = await hiddenPrompt('Repeat passphrase: ');
    if (first !== second) throw new SophonError('INVALID_INPUT', 'the two passphrases differ — run the command again');
  }
  return first;
}
