import { createInterface } from 'node:readline';
import { SophonError } from '../core/index.ts';

function ask(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    process.stderr.write(question);
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    rl.on('SIGINT', () => {
      rl.close();
      reject(new SophonError('OAUTH_CANCELLED', 'cancelled'));
    });
  });
}

/** The vault passphrase, typed at the terminal without echo. */
export async function hiddenPassphrase(request: { confirm: boolean }): Promise<string> {
  const first = await ask(request.confirm ? 'New vault passphrase: ' : 'Vault passphrase: ');
  if (request.confirm && (await ask('Repeat passphrase: ')) !== first) {
    throw new SophonError('INVALID_INPUT', 'the two passphrases differ — start again');
  }
  return first;
}
