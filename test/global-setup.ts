// Builds the CLI once before any test starts a `sophon` process, so tests run the same
// JavaScript a person runs after `npm ci`, and parallel test files do not each rebuild it.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build-cli.js', import.meta.url))], { stdio: 'inherit' });
}
