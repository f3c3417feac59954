/**
 * A small History-API router: the path is a signal, links are ordinary <a href> that `navigate`
 * intercepts, and the gateway answers any such path with index.html (its SPA fallback). Old
 * `/#/messages/<id>` links (notifications carry them) are turned into paths on load.
 */
import { createSignal } from 'solid-js';

function currentPath(): string {
  if (location.hash.startsWith('#/')) {
    const p = location.hash.slice(1);
    history.replaceState(null, '', p);
    return p;
  }
  return location.pathname + location.search;
}

const [path, setPath] = createSignal(currentPath());
export { path };

export function navigate(to: string, replace = false): void {
  if (to === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  setPath(to);
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => setPath(currentPath()));

/** Same-origin plain left clicks on <a> go through the router instead of reloading the page. */
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element | null)?.closest?.('a');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/admin/')) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});

/** The path without its query, and the query as URLSearchParams. */
export const pathname = () => path().split('?')[0];
export const query = () => new URLSearchParams(path().split('?')[1] ?? '');

/** Match `/calls/:id` against a pathname; the params or null. */
export function match(pattern: string, p: string): Record<string, string> | null {
  const ps = pattern.split('/');
  const xs = p.split('/');
  if (ps.length !== xs.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < ps.length; i++) {
    if (ps[i].startsWith(':')) {
      if (!xs[i]) return null;
      out[ps[i].slice(1)] = decodeURIComponent(xs[i]);
    } else if (ps[i] !== xs[i]) return null;
  }
  return out;
}
