/**
 * Text into DOM nodes, never HTML: plain text as text nodes, and web addresses (http and https
 * only) as links that open in a new tab without giving it the page (rel=noopener noreferrer).
 */
const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`]+/gi;
/** Punctuation that ends a sentence rather than the address. */
const TRAILING = /[.,;:!?)\]}»"']+$/;

export function safeHref(candidate: string): string | null {
  try {
    const u = new URL(candidate);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

export function appendText(parent: Node, text: string): void {
  const doc = parent.ownerDocument ?? document;
  let last = 0;
  for (const m of text.matchAll(URL_IN_TEXT)) {
    const url = m[0].replace(TRAILING, '');
    const href = safeHref(url);
    if (!href || m.index === undefined) continue;
    if (m.index > last) parent.appendChild(doc.createTextNode(text.slice(last, m.index)));
    const a = doc.createElement('a');
    a.href = href;
    a.textContent = url;
    a.rel = 'noopener noreferrer';
    a.target = '_blank';
    parent.appendChild(a);
    last = m.index + url.length;
  }
  if (last < text.length) parent.appendChild(doc.createTextNode(text.slice(last)));
}
