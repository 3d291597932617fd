// Lint: TypeScript rules, plus the architecture's import walls (architecture.md,
// "What may import what") so nobody has to remember them.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const electronOnly = { name: 'electron', message: 'electron may be imported only in main/desktop and preload.' };

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'test-results/**', 'renderer/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-exports': ['error', { restrictDefaultExports: { direct: true, named: true, defaultFrom: true, namedFrom: true, namespaceFrom: true } }],
    },
  },
  {
    files: ['main/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [electronOnly, { name: 'react', message: 'core has no UI.' }],
        patterns: [{ group: ['**/api/**', '**/desktop/**', '**/headless/**', '**/cli/**', '**/renderer/**', '**/preload/**'], message: 'main/core imports only main/core, node:* and vetted libraries.' }],
      }],
    },
  },
  {
    files: ['main/api/**/*.ts'],
    ignores: ['main/api/contract.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [electronOnly],
        patterns: [
          { group: ['**/desktop/**', '**/headless/**', '**/cli/**', '**/renderer/**', '**/preload/**'], message: 'main/api is shared by the hosts; it imports none of them.' },
          { group: ['**/core/*/**', '!**/core/index.ts', '!**/core/base.ts'], message: 'Import main/core through main/core/index.ts (or base.ts, its start-up subset).' },
        ],
      }],
    },
  },
  {
    files: ['main/api/contract.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['*', '!zod'], message: 'contract.ts imports zod only (preload and renderer import it).' }] }],
    },
  },
  {
    files: ['main/headless/**/*.ts', 'main/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [electronOnly],
        patterns: [
          { group: ['**/desktop/**', '**/headless/**', '**/cli/**', '**/renderer/**', '**/preload/**'], message: 'Hosts do not import each other; share code through main/core or main/api.' },
          { group: ['**/core/*/**', '!**/core/index.ts', '!**/core/base.ts'], message: 'Import main/core through main/core/index.ts (or base.ts, its start-up subset).' },
        ],
      }],
    },
  },
  {
    files: ['main/desktop/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/headless/**', '**/cli/**', '**/renderer/**', '**/preload/**'], message: 'The desktop host imports main/core (index), main/api, electron and node:* only.' },
          { group: ['**/core/*/**', '!**/core/index.ts', '!**/core/base.ts'], message: 'Import main/core through main/core/index.ts (or base.ts, its start-up subset).' },
        ],
      }],
    },
  },
  {
    files: ['preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', importNames: ['ipcMain', 'shell', 'remote', 'app', 'BrowserWindow', 'webContents', 'safeStorage'], message: 'preload uses only contextBridge and ipcRenderer from electron.' }],
        patterns: [{ group: ['**/core/**', '**/desktop/**', '**/headless/**', '**/cli/**', '**/renderer/**', 'node:*', '**/api/*', '!**/api/contract.ts'], message: 'preload imports main/api/contract.ts and electron (contextBridge, ipcRenderer) only.' }],
      }],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [electronOnly],
        patterns: [{ group: ['**/core/**', '**/desktop/**', '**/headless/**', '**/cli/**', '**/preload/**', 'node:*', '**/api/*', '!**/api/contract.ts'], message: 'renderer imports renderer, main/api/contract.ts, react and zustand only.' }],
      }],
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    ignores: ['main/desktop/**', 'preload/**', 'test/**'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "ImportExpression[source.value='electron']", message: 'electron only in main/desktop and preload.' }],
    },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.js', '.ci/**/*.js'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['eslint.config.js', 'vitest.config.ts', 'vite.config.ts'],
    rules: { 'no-restricted-exports': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'scripts/**/*.js'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
