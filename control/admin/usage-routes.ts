/** Usage records and summaries, and the limits the router enforces on metered routes (chat, TTS, STT). */
import { z } from 'zod';
import { notFound } from '../http/errors.ts';
import { created, json, noContent, route, type RouteDef } from '../http/route.ts';
import { SUBJECT_TYPES, USAGE_KINDS, USAGE_METRICS, USAGE_PERIODS } from '../repositories/usage.ts';
import type { ControlServices } from '../services.ts';
import { IdParams, PageQuery, TimeRange } from './schemas.ts';

const Filter = TimeRange.extend({
  subject_type: z.enum(['api_key', 'user', 'ip', 'telegram_bot', 'widget']).optional(),
  subject_id: z.string().max(200).optional(),
  kind: z.string().max(32).optional(),
});

const LimitFields = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    subject_type: z.enum(SUBJECT_TYPES),
    subject_id: z.string().min(1).max(200).nullable().optional(),
    kind: z.enum(USAGE_KINDS),
    metric: z.enum(USAGE_METRICS),
    period: z.enum(USAGE_PERIODS),
    max_value: z.number().int().min(0).max(1_000_000_000),
    enabled: z.boolean().optional(),
  });

export function usageRoutes(s: ControlServices): RouteDef[] {
  const READ = { kind: 'user', role: 'operator' } as const;
  const ADMIN = { kind: 'user', role: 'admin' } as const;
  const reload = () => s.usage.reloadLimits();
  return [
    route({
      method: 'GET',
      path: '/admin/usage',
      summary: 'Usage records, newest first',
      tag: 'usage',
      auth: READ,
      query: Filter.extend(PageQuery.shape),
      async handler(ctx) {
        await s.usage.flush();
        const { limit, offset, ...filter } = ctx.query;
        return json({ ...(await s.repos.usageLog.list(filter, { limit, offset })), limit, offset });
      },
    }),
    route({
      method: 'GET',
      path: '/admin/usage/summary',
      summary: 'Requests and tokens per kind and answer source',
      tag: 'usage',
      auth: READ,
      query: Filter,
      async handler(ctx) {
        await s.usage.flush();
        return json({ items: await s.repos.usageLog.summary(ctx.query) });
      },
    }),
    route({
      method: 'GET',
      path: '/admin/usage/limits',
      summary: 'Usage limits',
      tag: 'usage',
      auth: READ,
      async handler() {
        return json({ items: await s.repos.usageLimits.list() });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/usage/limits',
      summary: 'Add a limit (global, per API key, per user or per IP; per minute/hour/day/month)',
      tag: 'usage',
      auth: ADMIN,
      audit: 'usage_limits.create',
      body: LimitFields,
      async handler(ctx) {
        const l = await s.repos.usageLimits.create({ enabled: true, ...ctx.body, subject_id: ctx.body.subject_type === 'global' ? null : (ctx.body.subject_id ?? null) });
        await reload();
        ctx.audit.target = `usage_limit:${l.id}`;
        ctx.audit.details = { ...ctx.body };
        return created(l);
      },
    }),
    route({
      method: 'PATCH',
      path: '/admin/usage/limits/:id',
      summary: 'Change a limit',
      tag: 'usage',
      auth: ADMIN,
      audit: 'usage_limits.update',
      params: IdParams,
      body: LimitFields.partial(),
      async handler(ctx) {
        const l = await s.repos.usageLimits.update(ctx.params.id, ctx.body);
        if (!l) throw notFound('usage limit');
        await reload();
        ctx.audit.target = `usage_limit:${l.id}`;
        ctx.audit.details = { ...ctx.body };
        return json(l);
      },
    }),
    route({
      method: 'DELETE',
      path: '/admin/usage/limits/:id',
      summary: 'Delete a limit',
      tag: 'usage',
      auth: ADMIN,
      audit: 'usage_limits.delete',
      params: IdParams,
      async handler(ctx) {
        if (!(await s.repos.usageLimits.remove(ctx.params.id))) throw notFound('usage limit');
        await reload();
        ctx.audit.target = `usage_limit:${ctx.params.id}`;
        return noContent();
      },
    }),
  ];
}
