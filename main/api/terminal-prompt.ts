import { createInterface } from 'node:readline';
import { SophonError } from '../core/index.ts';

/** Asks for a value at the terminal without echoing it (shared by the CLI and `sophon serve`). */
export function hiddenPrompt(question: string): Promise<string> {
  const stdin = process.stdin;
  const stderr = process.stderr;
  if (!stdin.isTTY) return Promise.reject(new SophonError('INVALID_INPUT', 'no terminal to ask — pipe the value on stdin'));
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: stdin, output: stderr, terminal: true });
    stderr.write(question);
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
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

/** The vault passphrase, typed twice for a new vault. */
export async function passphrasePrompt(request: { confirm: boolean }): Promise<string> {
  const first = await hiddenPrompt(request.confirm ? 'New vault passphrase: ' : 'Vault passphrase: ');
  if (request.confirm && (await hiddenPrompt('Repeat passphrase: ')) !== first) {
    throw new SophonError('INVALID_INPUT', 'the two passphrases differ — run the command again');
  }
  return first;
}
