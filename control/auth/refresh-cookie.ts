/**
 * The refresh token as a cookie, for the admin UI (docs/ui.md, "Auth"): the page never sees it
 * (HttpOnly), the browser sends it only to /admin/auth/* (Path) and only from our own pages
 * (SameSite=Strict), and only over HTTPS (Secure), with one exception: a request whose Host is a
 * loopback address or `localhost` and that no proxy marked as HTTPS (X-Forwarded-Proto) is plain
 * http on this machine, where browsers treat the origin as secure anyway (Chromium and Firefox
 * accept Secure cookies from http://localhost, not all from http://127.0.0.1), so the flag is
 * left off there and set everywhere else.
 *
 * Beside it goes `vg_session=1` (Path=/, not HttpOnly, no secret): the page can see that a
 * refresh cookie may exist, so a signed-out browser does not call the refresh route on every page
 * load (each such call would be an audited 401 and spend the IP's auth rate allowance).
 *
 * CSRF: besides SameSite=Strict, the cookie is read only from a JSON body (a cross-site form
 * cannot send one without a preflight, which CORS refuses) and, when the browser names an Origin,
 * only if it is this host's own.
 */
import { HttpError } from '../http/errors.ts';

export const REFRESH_COOKIE = 'vg_refresh';
/** Readable by the page: "a refresh cookie was set"; carries nothing secret. */
export const SESSION_HINT_COOKIE = 'vg_session';
const COOKIE_PATH = '/admin/auth';

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d+)?$/i;

/** Whether to mark the cookie Secure for this request (see above). */
export function needsSecureFlag(headers: Record<string, string>): boolean {
  const forwardedProto = (headers['x-forwarded-proto'] ?? '').split(',')[0].trim().toLowerCase();
  if (forwardedProto === 'https') return true;
  // A proxy may pass a loopback Host for a public https page without saying so: the page's own
  // Origin, when the browser names one, must be plain-http loopback too.
  const origin = (headers.origin ?? '').trim();
  if (origin && !(origin.startsWith('http://') && LOOPBACK_HOST.test(origin.slice('http://'.length)))) return true;
  return !LOOPBACK_HOST.test((headers.host ?? '').trim());
}

/** The Set-Cookie headers that hand the browser a refresh token (and the hint that it has one). */
export function refreshCookie(token: string, maxAgeS: number, headers: Record<string, string>): Array<[string, string]> {
  const secure = needsSecureFlag(headers) ? '; Secure' : '';
  return [
    ['Set-Cookie', `${REFRESH_COOKIE}=${token}; Path=${COOKIE_PATH}; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict${secure}`],
    ['Set-Cookie', `${SESSION_HINT_COOKIE}=1; Path=/; Max-Age=${maxAgeS}; SameSite=Strict${secure}`],
  ];
}

/** The Set-Cookie headers that remove both. */
export function clearRefreshCookie(headers: Record<string, string>): Array<[string, string]> {
  const secure = needsSecureFlag(headers) ? '; Secure' : '';
  return [
    ['Set-Cookie', `${REFRESH_COOKIE}=; Path=${COOKIE_PATH}; Max-Age=0; HttpOnly; SameSite=Strict${secure}`],
    ['Set-Cookie', `${SESSION_HINT_COOKIE}=; Path=/; Max-Age=0; SameSite=Strict${secure}`],
  ];
}

/** The refresh token from the Cookie header, or null. */
export function readRefreshCookie(cookieHeader: string | undefined): string | null {
  for (const part of (cookieHeader ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === REFRESH_COOKIE) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

/**
 * A cookie refresh from another site's page is refused before the cookie is looked at. The host the
 * page should have is the Host header, or X-Forwarded-Host only when TRUST_PROXY says the proxy in
 * front is ours: otherwise any client could name the host its own Origin has.
 */
export function assertSameOrigin(headers: Record<string, string>, trustProxy: boolean): void {
  const origin = headers.origin;
  if (!origin) return; // same-origin GET/HEAD-like requests and non-browser clients send none
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    host = '';
  }
  const ownHost = (trustProxy ? headers['x-forwarded-host'] : undefined) ?? headers.host ?? '';
  if (!host || host.toLowerCase() !== ownHost.split(',')[0].trim().toLowerCase()) {
    throw new HttpError(403, 'cross_origin', 'the refresh cookie is accepted only from this gateway’s own pages');
  }
}
