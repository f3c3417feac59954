/**
 * User management, admin only. The last active admin cannot be deleted, disabled or demoted, so
 * the installation can never lock itself out; disabling a user or resetting a password ends that
 * user's sessions immediately, and a reset also clears the user's login throttling.
 */
import { z } from 'zod';
import { conflict, notFound } from '../http/errors.ts';
import { created, json, noContent, route, type RouteDef } from '../http/route.ts';
import { publicUser } from '../repositories/users.ts';
import type { ControlServices } from '../services.ts';
import { IdParams, Password, RoleSchema, Username } from './schemas.ts';

const ADMIN = { kind: 'user', role: 'admin' } as const;

export function usersRoutes(s: ControlServices): RouteDef[] {
  const loadOr404 = async (id: number) => (await s.repos.users.findById(id)) ?? Promise.reject(notFound('user'));
  const guardLastAdmin = async (id: number) => {
    const u = await loadOr404(id);
    if (u.role === 'admin' && !u.disabled && (await s.repos.users.countActiveAdmins()) <= 1) throw conflict('this is the last active admin');
    return u;
  };
  return [
    route({
      method: 'GET',
      path: '/admin/users',
      summary: 'List users',
      tag: 'users',
      auth: ADMIN,
      async handler() {
        return json({ items: (await s.repos.users.list()).map(publicUser) });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/users',
      summary: 'Create a user',
      tag: 'users',
      auth: ADMIN,
      audit: 'users.create',
      body: z.strictObject({ username: Username, password: Password, role: RoleSchema }),
      async handler(ctx) {
        const user = await s.repos.users.create({ username: ctx.body.username, role: ctx.body.role, password_hash: await s.auth.hash(ctx.body.password) });
        ctx.audit.target = `user:${user.id}`;
        ctx.audit.details = { username: user.username, role: user.role };
        return created(publicUser(user));
      },
    }),
    route({
      method: 'GET',
      path: '/admin/users/:id',
      summary: 'One user',
      tag: 'users',
      auth: ADMIN,
      params: IdParams,
      async handler(ctx) {
        return json(publicUser(await loadOr404(ctx.params.id)));
      },
    }),
    route({
      method: 'PATCH',
      path: '/admin/users/:id',
      summary: 'Change role, disable/enable, or reset the password',
      tag: 'users',
      auth: ADMIN,
      audit: 'users.update',
      params: IdParams,
      body: z.strictObject({ role: RoleSchema.optional(), disabled: z.boolean().optional(), password: Password.optional() }),
      async handler(ctx) {
        const { id } = ctx.params;
        const b = ctx.body;
        const current = (b.disabled === true || (b.role && b.role !== 'admin')) ? await guardLastAdmin(id) : await loadOr404(id);
        const updated = await s.repos.users.update(id, {
          role: b.role,
          disabled: b.disabled,
          password_hash: b.password ? await s.auth.hash(b.password) : undefined,
        });
        if (b.disabled || b.password) await s.repos.refreshTokens.revokeAllForUser(id, b.disabled ? 'disabled' : 'password_reset');
        if (b.password) await s.repos.loginThrottles.clearAll(id); // a reset is how an admin lets a held-back owner in at once
        ctx.audit.target = `user:${id}`;
        ctx.audit.details = { username: current.username, role: b.role, disabled: b.disabled, password_reset: b.password ? true : undefined };
        return json(publicUser(updated!));
      },
    }),
    route({
      method: 'DELETE',
      path: '/admin/users/:id',
      summary: 'Delete a user',
      tag: 'users',
      auth: ADMIN,
      audit: 'users.delete',
      params: IdParams,
      async handler(ctx) {
        const u = await guardLastAdmin(ctx.params.id);
        await s.repos.users.remove(u.id);
        ctx.audit.target = `user:${u.id}`;
        ctx.audit.details = { username: u.username };
        return noContent();
      },
    }),
  ];
}
