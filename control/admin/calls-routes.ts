/** Calls for the admin UI: a filtered list, and one call with its turns, transcript and recordings. */
import { z } from 'zod';
import { notFound } from '../http/errors.ts';
import { json, route, type RouteDef } from '../http/route.ts';
import type { ControlServices } from '../services.ts';
import { PageQuery, TimeRange } from './schemas.ts';

export function callsRoutes(s: ControlServices): RouteDef[] {
  const READ = { kind: 'user', role: 'viewer' } as const;
  return [
    route({
      method: 'GET',
      path: '/admin/calls',
      summary: 'Calls, newest first; filter by time, caller, channel, status',
      tag: 'calls',
      auth: READ,
      query: TimeRange.extend({
        caller: z.string().max(64).optional(),
        channel: z.string().max(16).optional(),
        status: z.string().max(16).optional(),
      }).extend(PageQuery.shape),
      async handler(ctx) {
        const { limit, offset, ...filter } = ctx.query;
        return json({ ...(await s.repos.calls.list(filter, { limit, offset })), limit, offset });
      },
    }),
    route({
      method: 'GET',
      path: '/admin/calls/:id',
      summary: 'One call with its turns (and per-turn latency), transcript and recordings',
      tag: 'calls',
      auth: READ,
      params: z.object({ id: z.string().min(1).max(64) }),
      async handler(ctx) {
        const call = await s.repos.calls.get(ctx.params.id);
        if (!call) throw notFound('call');
        const [turns, transcript, recordings] = await Promise.all([
          s.repos.calls.turns(call.id),
          s.repos.calls.transcript(call.id),
          s.repos.calls.recordings(call.id),
        ]);
        return json({ call, turns, transcript, recordings: recordings.map(({ path: _path, ...r }) => r) });
      },
    }),
  ];
}
