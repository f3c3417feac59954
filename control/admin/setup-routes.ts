/**
 * First-admin setup over HTTP. Works only while no user exists and only with the one-time token
 * printed at start-up; afterwards the token is void and this route answers 409.
 */
import { z } from 'zod';
import { conflict, HttpError } from '../http/errors.ts';
import { created, route, type RouteDef } from '../http/route.ts';
import { createRepositories } from '../repositories/index.ts';
import { publicUser } from '../repositories/users.ts';
import type { ControlServices } from '../services.ts';
import { Password, Username } from './schemas.ts';

export function setupRoutes(s: ControlServices): RouteDef[] {
  return [
    route({
      method: 'POST',
      path: '/admin/setup',
      summary: 'Create the first admin with the one-time setup token printed at start-up',
      tag: 'setup',
      auth: { kind: 'public' },
      rateClass: 'auth',
      audit: 'setup.create_admin',
      body: z.strictObject({ token: z.string().min(1).max(200), username: Username, password: Password }),
      async handler(ctx) {
        ctx.audit.actorName = ctx.body.username;
        if (!s.setup.armed) throw conflict('setup is already complete; log in instead');
        if (!s.setup.matches(ctx.body.token)) throw new HttpError(401, 'invalid_setup_token', 'wrong setup token', undefined, [['WWW-Authenticate', 'Bearer']]);
        const hash = await s.auth.hash(ctx.body.password);
        const user = await s.db.transaction(async (trx) => {
          const repos = createRepositories(trx, s.cipher);
          if ((await repos.users.count()) > 0) return null;
          return repos.users.create({ username: ctx.body.username, password_hash: hash, role: 'admin' });
        });
        s.setup.disarm();
        if (!user) throw conflict('setup is already complete; log in instead');
        ctx.audit.actor = { type: 'user', id: String(user.id), name: user.username };
        ctx.audit.target = `user:${user.id}`;
        s.log.info({ username: user.username }, 'first admin created through /admin/setup; setup token is now void');
        return created({ user: publicUser(user) });
      },
    }),
  ];
}
