/** Light, dark or the system's choice: `data-theme` on <html> (styles.css), remembered in localStorage. */
import { createSignal } from 'solid-js';

export type Theme = 'system' | 'light' | 'dark';
export const THEMES: readonly Theme[] = ['system', 'light', 'dark'];
const KEY = 'vg.theme';

const saved = localStorage.getItem(KEY);
const [theme, setThemeSignal] = createSignal<Theme>(saved === 'light' || saved === 'dark' ? saved : 'system');
export { theme };

function apply(t: Theme): void {
  document.documentElement.dataset.theme = t;
}
apply(theme());

export function setTheme(t: Theme): void {
  localStorage.setItem(KEY, t);
  setThemeSignal(t);
  apply(t);
}
