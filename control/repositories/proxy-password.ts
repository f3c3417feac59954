/**
 * An LLM provider's proxy URL is stored in two parts: the URL without its password (scheme, user,
 * host, port: shown to admins, fine in a backup) and the password alone, encrypted like the API
 * key. These helpers split and join the two, mask the password for the API, and decide whether a
 * URL sent back with the `***` placeholder may keep the stored password: only when it still goes
 * to the same proxy as the same user, so a stored password is never handed to another host.
 */

export const MASKED_PASSWORD = '***';

/** A proxy URL as the admin typed it: URL adds a "/" path to a bare origin, which we drop again. */
const hrefLike = (u: URL, original: string) => (original.endsWith('/') ? u.href : u.href.replace(/\/$/, ''));

/** The URL without its password, and the password (decoded), or null when there is none. */
export function splitProxyPassword(url: string): { url: string; password: string | null } {
  const u = new URL(url);
  if (!u.password) return { url, password: null };
  const password = decodeURIComponent(u.password);
  u.password = '';
  return { url: hrefLike(u, url), password };
}

/** The URL with `password` put back in (percent-encoded as URL does). */
export function joinProxyPassword(url: string, password: string | null): string {
  if (password === null) return url;
  const u = new URL(url);
  u.password = password;
  return hrefLike(u, url);
}

/** What the API shows: the password as `***`; null for a URL that does not parse (never a secret). */
export function maskProxyUrl(url: string | null, hasPassword: boolean): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    if (!hasPassword && !u.password) return url;
    u.password = MASKED_PASSWORD;
    return hrefLike(u, url);
  } catch {
    return null;
  }
}

/** Whether a URL's password is the placeholder the API shows, i.e. "keep the stored one". */
export function isMasked(url: string): boolean {
  try {
    return decodeURIComponent(new URL(url).password) === MASKED_PASSWORD;
  } catch {
    return false;
  }
}

/** Refused use of the `***` placeholder: `changed` names what differs from the stored proxy. */
export class MaskedPasswordError extends Error {
  override name = 'MaskedPasswordError';
  constructor(
    message: string,
    readonly changed: string[],
  ) {
    super(message);
  }
}

/** The parts of a proxy URL that say where its password goes: any change means a new password is needed. */
const ENDPOINT_PARTS = ['protocol', 'hostname', 'port', 'username'] as const;

/**
 * The stored password for `sent` (a URL whose password is `***`), or a MaskedPasswordError when
 * there is none or `sent` points somewhere else than `stored`.
 */
export function keepStoredPassword(sent: string, stored: { url: string | null; password: string | null }): string {
  if (!stored.url || stored.password === null) {
    throw new MaskedPasswordError(`${MASKED_PASSWORD} stands for a stored proxy password, and this provider has none; send the password itself`, []);
  }
  const a = new URL(sent);
  const b = new URL(stored.url);
  // URL reports the default port as '', so "http://h" and "http://h:80" compare equal.
  const changed = ENDPOINT_PARTS.filter((k) => a[k] !== b[k]).map((k) => (k === 'hostname' ? 'host' : k === 'username' ? 'user' : k));
  if (changed.length) {
    throw new MaskedPasswordError(
      `the stored proxy password may only be kept for the same proxy and user, but the ${changed.join(', ')} changed; send the password itself`,
      changed,
    );
  }
  return stored.password;
}
