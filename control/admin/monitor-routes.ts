/**
 * Live metrics for the admin UI: a snapshot, and a server-sent-events stream that pushes one every
 * `interval_ms` until the client goes away. Figures come from the gateway's MetricsSource plus the
 * control plane's own (TTS streams, cache, STT).
 */
import { z } from 'zod';
import { eventStream, json, route, type RouteDef } from '../http/route.ts';
import type { ControlServices } from '../services.ts';

export function monitorRoutes(s: ControlServices): RouteDef[] {
  const snapshot = async () => {
    const cache = s.tts.cache.stats();
    const streams = s.tts.streamStats();
    const stt = s.stt.status();
    return {
      at: new Date().toISOString(),
      source: s.live.metricsLabel,
      metrics: {
        ...(await s.live.metrics.snapshot()),
        control_tts_streams_active: streams.active,
        control_tts_streams_total: streams.streams,
        control_tts_cache_entries: cache.entries,
        control_tts_cache_hit_ratio: cache.hit_ratio,
        control_stt_transcriptions_total: stt.transcriptions,
      },
    };
  };
  return [
    route({
      method: 'GET',
      path: '/admin/monitor/snapshot',
      summary: 'Live metrics now',
      tag: 'monitor',
      auth: { kind: 'user', role: 'viewer' },
      async handler() {
        return json(await snapshot());
      },
    }),
    route({
      method: 'GET',
      path: '/admin/monitor/stream',
      summary: 'Live metrics as server-sent events (`event: metrics`), one every interval_ms',
      tag: 'monitor',
      auth: { kind: 'user', role: 'viewer' },
      query: z.object({ interval_ms: z.coerce.number().int().min(200).max(60_000).default(1000) }),
      async handler(ctx) {
        const interval = ctx.query.interval_ms;
        return eventStream(async (sink) => {
          let id = 0;
          if (!(await sink.write(`retry: ${Math.max(1000, interval)}\n\n`))) return;
          while (!ctx.signal.aborted && !sink.closed) {
            const data = await snapshot();
            if (!(await sink.write(`id: ${++id}\nevent: metrics\ndata: ${JSON.stringify(data)}\n\n`))) return;
            await new Promise<void>((resolve) => {
              const t = setTimeout(done, interval);
              function done() {
                clearTimeout(t);
                ctx.signal.removeEventListener('abort', done);
                resolve();
              }
              ctx.signal.addEventListener('abort', done, { once: true });
            });
          }
        });
      },
    }),
  ];
}
