/**
 * Calls for the admin UI: a filtered list, one call with its turns, transcript and recordings, and
 * the download of a recording. Listing needs a viewer; the audio itself needs an operator (a voice
 * is more personal than the call's metadata) and each download is audited.
 */
import { z } from 'zod';
import { notFound } from '../http/errors.ts';
import { fileReply, json, route, type RouteDef } from '../http/route.ts';
import type { ControlServices } from '../services.ts';
import { PageQuery, TimeRange } from './schemas.ts';

const CONTENT_TYPES: Record<string, string> = { wav: 'audio/wav' };

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
    route({
      method: 'GET',
      path: '/admin/calls/:id/recordings/:recordingId',
      summary: 'Download one recording of a call (audio/wav, attachment)',
      tag: 'calls',
      auth: { kind: 'user', role: 'operator' },
      audit: 'call.recording_download',
      params: z.object({ id: z.string().min(1).max(64), recordingId: z.coerce.number().int().positive() }),
      produces: 'audio/wav',
      async handler(ctx) {
        const { id, recordingId } = ctx.params;
        ctx.audit.details = { recording_id: recordingId };
        if (!(await s.repos.calls.get(id))) throw notFound('call');
        const rec = await s.repos.calls.recording(id, recordingId);
        if (!rec) throw notFound('recording');
        const found = await s.recordings.open(rec.path);
        if (!found) throw notFound('recording file');
        // The name is ours, not the row's: a stored path never reaches a header.
        const ext = /^[a-z0-9]{1,8}$/.test(rec.format) ? rec.format : 'bin';
        const name = `call-${id.replace(/[^A-Za-z0-9_-]/g, '_')}-recording-${rec.id}.${ext}`;
        const type = CONTENT_TYPES[rec.format] ?? 'application/octet-stream';
        return fileReply(found.file, found.size, type, [['Content-Disposition', `attachment; filename="${name}"`]]);
      },
    }),
  ];
}
