/**
 * The admin API of a running gateway (a process or an in-process one), as an owner's client uses
 * it: an admin account put into its data directory's database beforehand (the gateway has no
 * default password), a login over HTTP, and JSON calls with the access token.
 */
import { hashPassword } from '../../../control/auth/password.ts';
import { openDatabase } from '../../../control/db/connection.ts';
import { UsersRepo } from '../../../control/repositories/users.ts';

export const ADMIN_PASSWORD = 'correct horse battery staple';
/** Cheap hashing for tests; the gateway needs PASSWORD_HASH_LN at least this low to keep it (it rehashes higher ones at login). */
const TEST_HASH = { ln: 12, r: 8, p: 1 };

/** Create an admin in the SQLite database of `dataDir` (migrated if new), before or while the gateway runs. */
export async function seedAdmin(dataDir: string, username = 'owner'): Promise<void> {
  const db = await openDatabase({ dataDir });
  try {
    await new UsersRepo(db).create({ username, role: 'admin', password_hash: await hashPassword(ADMIN_PASSWORD, TEST_HASH) });
  } finally {
    await db.destroy();
  }
}

export interface AdminClient {
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; text: string }>;
}

export async function adminLogin(base: string, username = 'owner'): Promise<AdminClient> {
  const login = await fetch(`${base}/admin/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: ADMIN_PASSWORD }) });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
  const token = ((await login.json()) as { access_token: string }).access_token;
  return { call: (method, path, body) => jsonCall(base + path, method, token, body) };
}

/** A request with a bearer token and a JSON body (if any); the answer's JSON (undefined if it is none) and text. */
export async function jsonCall(url: string, method: string, token: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const res = await fetch(url, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}
