import type { Theme } from './store.ts';

/** "system" follows prefers-color-scheme (in CSS); light and dark pin it. */
export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  if (theme === 'system') delete root.dataset['theme'];
  else root.dataset['theme'] = theme;
}
