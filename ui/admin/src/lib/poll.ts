/** Call `fn` every `ms` while the calling component lives (a view's live refresh). */
import { onCleanup } from 'solid-js';

export function poll(fn: () => unknown, ms: number): void {
  const timer = setInterval(() => void fn(), ms);
  onCleanup(() => clearInterval(timer));
}
