#!/usr/bin/env node
// The CLI runs from TypeScript source through tsx, so `npm ci` is the only set-up step.
import { register } from 'tsx/esm/api';

register();
const argv = process.argv.slice(2);
if (argv[0] === 'serve') {
  // The headless host is its own entry: the CLI never imports it (see architecture.md).
  const { serveMain } = await import('../main/headless/main.ts');
  process.exitCode = await serveMain(argv.slice(1));
} else {
  const { main } = await import('../main/cli/main.ts');
  process.exitCode = await main(argv);
}
