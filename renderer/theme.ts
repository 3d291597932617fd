import type { Theme } from './store.ts';

const darkQuery = (): MediaQueryList | undefined => (typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : undefined);

/**
 * Sets `data-theme` to light or dark: pinned by the person, or for "system" resolved from
 * prefers-color-scheme, so the stylesheet holds each palette once.
 */
export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  root.dataset['theme'] = theme === 'system' ? (darkQuery()?.matches ? 'dark' : 'light') : theme;
}

/** Re-applies "system" when the OS switches between light and dark. */
export function followSystemTheme(current: () => Theme, root: HTMLElement = document.documentElement): void {
  darkQuery()?.addEventListener('change', () => {
    if (current() === 'system') applyTheme('system', root);
  });
}
