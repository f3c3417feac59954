/**
 * Login, token refresh, logout, who-am-I and password change. Scripts send and receive the refresh
 * token in JSON; the admin UI asks for it as an HttpOnly cookie instead (`cookie: true` at login,
 * an empty JSON body at refresh), so no script on the page can read it (auth/refresh-cookie.ts).
 */
import { z } from 'zod';
import { LoginRefusedError } from '../auth/login-refused.ts';
import { verifyPassword } from '../auth/password.ts';
import { assertSameOrigin, clearRefreshCookie, readRefreshCookie, refreshCookie } from '../auth/refresh-cookie.ts';
import { HttpError, unauthorized } from '../http/errors.ts';
import { json, route, type RequestContext, type RouteDef } from '../http/route.ts';
import { publicUser } from '../repositories/users.ts';
import type { ControlServices } from '../services.ts';
import { OkResponse, Password } from './schemas.ts';

const meta = (ctx: RequestContext) => ({ ip: ctx.ip, userAgent: ctx.headers['user-agent'] });

const requireUser = (ctx: RequestContext) => {
  if (ctx.principal.kind !== 'user') throw unauthorized();
  return ctx.principal;
};

export function authRoutes(s: ControlServices): RouteDef[] {
  return [
    route({
      method: 'POST',
      path: '/admin/auth/login',
      summary:
        'Exchange username and password for an access token and a refresh token, plus a device token to send with later logins from this client (its wrong passwords are then throttled apart from strangers’)',
      tag: 'auth',
      auth: { kind: 'public' },
      rateClass: 'auth',
      audit: 'auth.login',
      body: z.strictObject({
        username: z.string().min(1).max(64),
        password: z.string().min(1).max(256),
        device_token: z.string().max(200).optional(),
        /** The admin UI: the refresh token as an HttpOnly cookie, left out of the answer. */
        cookie: z.boolean().optional(),
      }),
      async handler(ctx) {
        ctx.audit.actorName = ctx.body.username;
        try {
          const { user, tokens, deviceToken, knownDevice } = await s.auth.login(ctx.body.username, ctx.body.password, meta(ctx), ctx.body.device_token);
          ctx.audit.actor = { type: 'user', id: String(user.id), name: user.username };
          ctx.audit.target = `user:${user.id}`;
          ctx.audit.details = { device: knownDevice ? 'known' : 'new', ...(ctx.body.cookie ? { via: 'cookie' } : {}) };
          if (ctx.body.cookie) {
            const { refresh_token, ...rest } = tokens;
            return json({ ...rest, device_token: deviceToken, user: publicUser(user) }, 200, refreshCookie(refresh_token, tokens.refresh_expires_in, ctx.headers));
          }
          return json({ ...tokens, device_token: deviceToken, user: publicUser(user) });
        } catch (err) {
          if (!(err instanceof LoginRefusedError)) throw err;
          // One answer for every refusal; the reason is for the audit log only.
          ctx.audit.details = { reason: err.reason, device: err.knownDevice ? 'known' : 'unknown' };
          throw unauthorized('wrong username or password', 'invalid_credentials');
        }
      },
    }),
    route({
      method: 'POST',
      path: '/admin/auth/refresh',
      summary:
        'Rotate a refresh token: returns a new pair; a reused token revokes its whole session. Without refresh_token (an empty JSON object), the token is the HttpOnly cookie set at login with cookie: true, and the new one is set the same way',
      tag: 'auth',
      auth: { kind: 'public' },
      rateClass: 'auth',
      audit: 'auth.refresh',
      body: z.strictObject({ refresh_token: z.string().min(1).max(200).optional() }),
      async handler(ctx) {
        if (ctx.body.refresh_token !== undefined) {
          const { user, tokens } = await s.auth.refresh(ctx.body.refresh_token, meta(ctx));
          ctx.audit.actor = { type: 'user', id: String(user.id), name: user.username };
          ctx.audit.target = `user:${user.id}`;
          return json({ ...tokens, user: publicUser(user) });
        }
        ctx.audit.details = { via: 'cookie' };
        assertSameOrigin(ctx.headers, s.config.trustProxy);
        const cookie = readRefreshCookie(ctx.headers.cookie);
        if (!cookie) throw unauthorized('no refresh token: send refresh_token, or log in with cookie: true first', 'no_refresh_token');
        let refreshed: Awaited<ReturnType<typeof s.auth.refresh>>;
        try {
          refreshed = await s.auth.refresh(cookie, meta(ctx));
        } catch (err) {
          // A cookie that no longer works is dropped, so the browser stops sending it.
          if (err instanceof HttpError && err.status === 401) throw new HttpError(err.status, err.code, err.message, err.details, [...err.headers, ...clearRefreshCookie(ctx.headers)]);
          throw err;
        }
        const { user, tokens } = refreshed;
        ctx.audit.actor = { type: 'user', id: String(user.id), name: user.username };
        ctx.audit.target = `user:${user.id}`;
        const { refresh_token, ...rest } = tokens;
        return json({ ...rest, user: publicUser(user) }, 200, refreshCookie(refresh_token, tokens.refresh_expires_in, ctx.headers));
      },
    }),
    route({
      method: 'POST',
      path: '/admin/auth/logout',
      summary: 'End this session: its refresh tokens are revoked, its access token stops working, and the refresh cookie (if any) is cleared',
      tag: 'auth',
      auth: { kind: 'user', role: 'viewer' },
      audit: 'auth.logout',
      response: OkResponse,
      async handler(ctx) {
        await s.auth.logout(requireUser(ctx).sid);
        return json({ ok: true }, 200, clearRefreshCookie(ctx.headers));
      },
    }),
    route({
      method: 'GET',
      path: '/admin/auth/me',
      summary: 'The logged-in user',
      tag: 'auth',
      auth: { kind: 'user', role: 'viewer' },
      async handler(ctx) {
        return json({ user: publicUser(requireUser(ctx).user) });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/auth/password',
      summary: 'Change your own password; every session of yours ends, log in again',
      tag: 'auth',
      auth: { kind: 'user', role: 'viewer' },
      rateClass: 'auth',
      audit: 'auth.password_change',
      body: z.strictObject({ current_password: z.string().min(1).max(256), new_password: Password }),
      response: OkResponse,
      async handler(ctx) {
        const { user } = requireUser(ctx);
        ctx.audit.target = `user:${user.id}`;
        if (!(await verifyPassword(ctx.body.current_password, user.password_hash))) throw unauthorized('current password is wrong', 'invalid_credentials');
        await s.repos.users.update(user.id, { password_hash: await s.auth.hash(ctx.body.new_password) });
        await s.repos.refreshTokens.revokeAllForUser(user.id, 'password_change');
        return json({ ok: true });
      },
    }),
  ];
}
