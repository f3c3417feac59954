/** API keys for /v1, admin only. The key is shown once, in the create answer. */
import { z } from 'zod';
import { notFound } from '../http/errors.ts';
import { created, json, noContent, route, type RouteDef } from '../http/route.ts';
import type { ControlServices } from '../services.ts';
import { IdParams, Instant } from './schemas.ts';

export function apiKeysRoutes(s: ControlServices): RouteDef[] {
  const ADMIN = { kind: 'user', role: 'admin' } as const;
  return [
    route({
      method: 'GET',
      path: '/admin/api-keys',
      summary: 'List API keys (prefix only; the key itself is never shown again)',
      tag: 'api-keys',
      auth: ADMIN,
      async handler() {
        return json({ items: await s.repos.apiKeys.list() });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/api-keys',
      summary: 'Create an API key; the answer holds the key, once',
      tag: 'api-keys',
      auth: ADMIN,
      audit: 'api_keys.create',
      body: z.strictObject({ name: z.string().trim().min(1).max(100), expires_at: Instant.nullable().optional() }),
      async handler(ctx) {
        const { key, record } = await s.repos.apiKeys.create({
          name: ctx.body.name,
          expires_at: ctx.body.expires_at ?? null,
          created_by: ctx.principal.kind === 'user' ? ctx.principal.user.id : null,
        });
        ctx.audit.target = `api_key:${record.id}`;
        ctx.audit.details = { name: record.name, prefix: record.prefix };
        return created({ ...record, key });
      },
    }),
    route({
      method: 'DELETE',
      path: '/admin/api-keys/:id',
      summary: 'Revoke an API key (effective at once in this process)',
      tag: 'api-keys',
      auth: ADMIN,
      audit: 'api_keys.revoke',
      params: IdParams,
      async handler(ctx) {
        if (!(await s.repos.apiKeys.get(ctx.params.id))) throw notFound('API key');
        await s.repos.apiKeys.revoke(ctx.params.id);
        s.apiKeys.invalidate();
        ctx.audit.target = `api_key:${ctx.params.id}`;
        return noContent();
      },
    }),
  ];
}
