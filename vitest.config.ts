import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'main/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default'],
    // oidc-provider announces its development-only settings on every start; they are expected here.
    onConsoleLog: (log) => !log.includes('oidc-provider'),
  },
});
