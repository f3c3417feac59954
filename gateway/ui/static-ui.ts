/**
 * Serves the admin SPA at `/` (docs/ui.md, "Serving"): the gateway's last route, after the API,
 * WebSocket, /health and /metrics routes, which uWS always prefers to a wildcard. Per request:
 *   - only GET and HEAD; API paths (/admin, /v1, /health, /metrics, /ws, /widget, the voice path)
 *     are never answered with the UI, so a mistyped API call gets a JSON 404, not an HTML page;
 *   - a built file by its exact path (UiBundle: memory, never the disk), hashed /assets/* with
 *     `Cache-Control: public, max-age=31536000, immutable`, everything else `no-cache` plus an
 *     ETag (304 when it matches);
 *   - Brotli or gzip as the client accepts, from the copies made at build time;
 *   - any other path without a file extension is a client-side route: index.html (SPA fallback);
 *   - security headers with a CSP the built app satisfies (no inline script or style).
 */
import type { UWS } from '../uws.ts';
import type { UiBundle, UiFile } from './ui-bundle.ts';

/** The UI's own policy: scripts, styles and connections to this origin only; recordings play from blob: URLs. */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const UI_SECURITY_HEADERS: ReadonlyArray<[string, string]> = [
  ['Content-Security-Policy', UI_CSP],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'same-origin'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  // The softphone (a later view) asks for the microphone on this origin; nothing else may.
  ['Permissions-Policy', 'camera=(), geolocation=(), microphone=(self)'],
];

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/** Paths that belong to the APIs, whatever route answers them (or none does). */
export function isApiPath(url: string, voicePath: string): boolean {
  return /^\/(admin|v1|health|metrics|ws|widget)(\/|\.|$)/.test(url) || url === voicePath || url.startsWith(`${voicePath}/`);
}

export type UiState = { kind: 'ready'; bundle: UiBundle } | { kind: 'building' } | { kind: 'missing' };

function pickEncoding(file: UiFile, acceptEncoding: string): { body: Buffer; encoding: string | null } {
  const accepts = (name: string) => new RegExp(`(^|[\\s,])${name}(?!;q=0(\\.0+)?(\\s|,|$))`, 'i').test(acceptEncoding);
  if (file.br && accepts('br')) return { body: file.br, encoding: 'br' };
  if (file.gz && accepts('gzip')) return { body: file.gz, encoding: 'gzip' };
  return { body: file.body, encoding: null };
}

/** Answer one request for the UI, or return false when it is not the UI's to answer. */
export function serveUi(res: UWS.HttpResponse, req: UWS.HttpRequest, state: UiState, voicePath: string): boolean {
  const method = req.getMethod().toUpperCase();
  const url = req.getUrl();
  if ((method !== 'GET' && method !== 'HEAD') || isApiPath(url, voicePath)) return false;
  const head = method === 'HEAD';
  if (state.kind !== 'ready') {
    const building = state.kind === 'building';
    const text = building ? 'The admin UI is being built; this page reloads itself.' : 'The admin UI is not built: run `npm install` (with dev dependencies) or `node ui/build.mjs`.';
    res.cork(() => {
      res.writeStatus(building ? '503 Service Unavailable' : '404 Not Found');
      for (const [k, v] of UI_SECURITY_HEADERS) res.writeHeader(k, v);
      res.writeHeader('Cache-Control', 'no-store');
      if (building) res.writeHeader('Retry-After', '3');
      if (building) res.writeHeader('Refresh', '3');
      res.writeHeader('Content-Type', 'text/html; charset=utf-8');
      const page = `<!doctype html><html lang="en"><title>Voice gateway</title><main><h1>Voice gateway</h1><p>${text}</p></main></html>`;
      if (head) {
        res.writeHeader('Content-Length', String(Buffer.byteLength(page)));
        res.endWithoutBody();
      } else res.end(page);
    });
    return true;
  }
  const { bundle } = state;
  let file = url === '/' ? bundle.index : bundle.files.get(url);
  if (!file) {
    const last = url.slice(url.lastIndexOf('/') + 1);
    // A missing asset is a 404, never index.html: a script tag given HTML fails in confusing ways.
    if (url.startsWith('/assets/') || last.includes('.')) return false;
    file = bundle.index!;
  }
  const ifNoneMatch = req.getHeader('if-none-match');
  const { body, encoding } = pickEncoding(file, req.getHeader('accept-encoding'));
  res.cork(() => {
    const notModified = ifNoneMatch !== '' && ifNoneMatch.split(',').some((t) => t.trim() === file.etag);
    res.writeStatus(notModified ? '304 Not Modified' : '200 OK');
    for (const [k, v] of UI_SECURITY_HEADERS) res.writeHeader(k, v);
    res.writeHeader('Cache-Control', file.immutable ? IMMUTABLE : REVALIDATE);
    res.writeHeader('ETag', file.etag);
    res.writeHeader('Vary', 'Accept-Encoding');
    // endWithoutBody(length) aborts the process in this uWS build: the length is written by hand.
    if (notModified) return void res.endWithoutBody();
    res.writeHeader('Content-Type', file.contentType);
    if (encoding) res.writeHeader('Content-Encoding', encoding);
    if (head) {
      res.writeHeader('Content-Length', String(body.byteLength));
      res.endWithoutBody();
    } else res.end(body);
  });
  return true;
}
