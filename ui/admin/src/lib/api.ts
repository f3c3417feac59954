/**
 * The admin API as the UI uses it. The access token lives only in this module's memory; the
 * refresh token is an HttpOnly cookie the page never sees (docs/ui.md, "Auth"). A request that
 * meets 401 refreshes once through the cookie and tries again; if that fails too, the session is
 * over and the app shows the login page. Errors carry the API's JSON error body, so views can
 * show them in words.
 */
import { createSignal } from 'solid-js';

export type Role = 'viewer' | 'operator' | 'admin';
export interface User {
  id: number;
  username: string;
  role: Role;
}

/** An answer that was not 2xx, or no answer at all (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let accessToken: string | null = null;
const [user, setUser] = createSignal<User | null>(null);
export { user };

const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };
/** The signed-in user has at least `role` (the API checks again; this only hides what would be refused). */
export const can = (role: Role) => {
  const u = user();
  return !!u && ROLE_RANK[u.role] >= ROLE_RANK[role];
};

async function errorFrom(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    /* not JSON: keep the status line */
  }
  return new ApiError(res.status, code, message);
}

async function send(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, { credentials: 'same-origin', ...init });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', err instanceof Error ? err.message : String(err));
  }
}

interface TokenAnswer {
  access_token: string;
  user: User;
}

function signedIn(answer: TokenAnswer): void {
  accessToken = answer.access_token;
  setUser(answer.user);
}

export function signedOut(): void {
  accessToken = null;
  setUser(null);
}

/** Log in; the refresh token comes back only as the HttpOnly cookie (`cookie: true`). */
export async function login(username: string, password: string): Promise<void> {
  const res = await send('/admin/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password, cookie: true }) });
  if (!res.ok) throw await errorFrom(res);
  signedIn((await res.json()) as TokenAnswer);
}

let refreshing: Promise<boolean> | null = null;

async function refreshOnce(): Promise<boolean> {
  try {
    const res = await send('/admin/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    if (!res.ok) {
      signedOut();
      return false;
    }
    signedIn((await res.json()) as TokenAnswer);
    return true;
  } catch {
    return false;
  }
}

/**
 * A new access token through the refresh cookie; false when there is no live session. One at a
 * time in this tab, and across tabs too (Web Locks, where the browser has them): every tab shares
 * the cookie, and two tabs sending the same single-use token at once would look like a stolen
 * token to the server, which then ends the session.
 */
export function refresh(): Promise<boolean> {
  // No hint, no refresh cookie: asking would only be an audited 401 (see control/auth/refresh-cookie.ts).
  if (!/(^|;\s*)vg_session=1(;|$)/.test(document.cookie)) {
    signedOut();
    return Promise.resolve(false);
  }
  refreshing ??= (async () => {
    try {
      return navigator.locks ? await navigator.locks.request('vg-refresh-cookie', refreshOnce) : await refreshOnce();
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export async function logout(): Promise<void> {
  try {
    if (accessToken) await send('/admin/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } });
  } finally {
    signedOut();
  }
}

/** A request with the access token, refreshed once on 401; the raw Response (for streams and downloads). */
export async function authorized(path: string, init: RequestInit = {}): Promise<Response> {
  const attempt = () => send(path, { ...init, headers: { ...(init.headers as Record<string, string>), ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}) } });
  let res = await attempt();
  if (res.status === 401 && (await refresh())) res = await attempt();
  if (res.status === 401) signedOut();
  if (!res.ok) throw await errorFrom(res);
  return res;
}

/** A JSON call: the body as JSON (undefined for 204). */
export async function api<T = unknown>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await authorized(path, { method, signal, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** The token for requests that cannot go through `api` (the /health bearer form). */
export const currentAccessToken = () => accessToken;
