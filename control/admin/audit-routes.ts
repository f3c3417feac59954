/** The audit log, admin only: filtered list and CSV/JSON export. */
import { z } from 'zod';
import { json, route, type RouteDef } from '../http/route.ts';
import type { ControlServices } from '../services.ts';
import { exportReply, toCsv } from './csv.ts';
import { PageQuery, TimeRange } from './schemas.ts';

const Filter = TimeRange.extend({
  actor: z.string().max(100).optional(),
  action: z.string().max(100).optional(),
  target: z.string().max(200).optional(),
});

const COLUMNS = ['id', 'at', 'actor_type', 'actor_id', 'actor_name', 'action', 'target', 'ip', 'status', 'details', 'restored_from'] as const;
const EXPORT_MAX = 100_000;

export function auditRoutes(s: ControlServices): RouteDef[] {
  const ADMIN = { kind: 'user', role: 'admin' } as const;
  return [
    route({
      method: 'GET',
      path: '/admin/audit',
      summary: 'Audit entries, newest first; filter by actor, action (a trailing dot matches a prefix), target, time',
      tag: 'audit',
      auth: ADMIN,
      query: Filter.extend(PageQuery.shape),
      async handler(ctx) {
        const { limit, offset, ...filter } = ctx.query;
        return json({ ...(await s.repos.audit.list(filter, { limit, offset })), limit, offset });
      },
    }),
    route({
      method: 'GET',
      path: '/admin/audit/export',
      summary: `Export matching audit entries (at most ${EXPORT_MAX}) as CSV or JSON`,
      tag: 'audit',
      auth: ADMIN,
      audit: 'audit.export',
      query: Filter.extend({ format: z.enum(['csv', 'json']).default('csv') }),
      async handler(ctx) {
        const { format, ...filter } = ctx.query;
        const { items } = await s.repos.audit.list(filter, { limit: EXPORT_MAX, offset: 0 });
        ctx.audit.details = { format, rows: items.length, filter };
        return exportReply('audit', format, items, () => toCsv(COLUMNS, items as unknown as Array<Record<string, unknown>>));
      },
    }),
  ];
}
