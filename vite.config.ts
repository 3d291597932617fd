// The renderer's build (React + zustand). Used by `vite build`, by `npm start`, and by
// `sophon serve --dashboard`, which builds on demand (main/headless/renderer-build.ts).
import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'vite';

const root = fileURLToPath(new URL('./renderer', import.meta.url));

export const rendererConfig: UserConfig = {
  root,
  // Always a production build, whoever calls it (vitest sets NODE_ENV=test).
  mode: 'production',
  // Relative asset URLs: the same build loads from app://sophon/ (desktop) and http://127.0.0.1:PORT/ (dashboard).
  base: './',
  publicDir: false,
  logLevel: 'warn',
  clearScreen: false,
  // JSX through Vite's own transformer (no React plugin needed: no Fast Refresh in a build).
  oxc: { jsx: { runtime: 'automatic', importSource: 'react', development: false } },
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: false,
    reportCompressedSize: false,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
};

export default defineConfig(rendererConfig);
