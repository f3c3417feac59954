/**
 * Admin-UI users: credentials and role. `failed_logins` / `locked_until` are the account's login
 * throttle for unknown clients, kept by repositories/login-throttles.ts.
 */
import { bool, insertedId, nowIso, num, type Queryable } from '../db/rows.ts';

export const ROLES = ['admin', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: number;
  username: string;
  role: Role;
  disabled: boolean;
  failed_logins: number;
  locked_until: string | null;
  last_login_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface UserWithHash extends User {
  password_hash: string;
}

/** What the API may show of a user: never the hash. */
export type PublicUser = Omit<User, 'failed_logins'>;

const toUser = (r: Record<string, unknown>): UserWithHash => ({
  id: num(r.id),
  username: String(r.username),
  password_hash: String(r.password_hash),
  role: r.role as Role,
  disabled: bool(r.disabled),
  failed_logins: num(r.failed_logins),
  locked_until: (r.locked_until as string | null) ?? null,
  last_login_at: (r.last_login_at as string | null) ?? null,
  created_at: String(r.created_at),
  updated_at: String(r.updated_at),
});

export function publicUser(u: User): PublicUser {
  const { id, username, role, disabled, locked_until, last_login_at, created_at, updated_at } = u;
  return { id, username, role, disabled, locked_until, last_login_at, created_at, updated_at };
}

export class UsersRepo {
  constructor(private readonly db: Queryable) {}

  async create(input: { username: string; password_hash: string; role: Role }): Promise<UserWithHash> {
    const now = nowIso();
    const id = insertedId(await this.db('users').insert({ ...input, disabled: false, failed_logins: 0, created_at: now, updated_at: now }).returning('id'));
    return (await this.findById(id))!;
  }

  async findById(id: number): Promise<UserWithHash | undefined> {
    const r = await this.db('users').where({ id }).first();
    return r ? toUser(r) : undefined;
  }

  async findByUsername(username: string): Promise<UserWithHash | undefined> {
    const r = await this.db('users').where({ username }).first();
    return r ? toUser(r) : undefined;
  }

  async list(): Promise<UserWithHash[]> {
    return (await this.db('users').orderBy('id')).map(toUser);
  }

  async count(): Promise<number> {
    const [r] = await this.db('users').count({ c: '*' });
    return num(r.c);
  }

  async countActiveAdmins(): Promise<number> {
    const [r] = await this.db('users').where({ role: 'admin', disabled: false }).count({ c: '*' });
    return num(r.c);
  }

  async update(id: number, patch: Partial<Pick<UserWithHash, 'role' | 'disabled' | 'password_hash'>>): Promise<UserWithHash | undefined> {
    await this.db('users').where({ id }).update({ ...patch, updated_at: nowIso() });
    return this.findById(id);
  }

  async remove(id: number): Promise<boolean> {
    return (await this.db('users').where({ id }).delete()) > 0;
  }

  async recordLogin(id: number): Promise<void> {
    await this.db('users').where({ id }).update({ last_login_at: nowIso() });
  }
}
