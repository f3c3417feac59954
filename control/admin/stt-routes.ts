/** Speech recognition administration: engine status, and transcribing an uploaded WAV file. */
import { z } from 'zod';
import { HttpError } from '../http/errors.ts';
import { json, route, type RouteDef } from '../http/route.ts';
import type { ControlServices } from '../services.ts';
import { parseMultipart } from '../stt/multipart.ts';
import { LanguageTag } from './schemas.ts';

export function sttRoutes(s: ControlServices): RouteDef[] {
  return [
    route({
      method: 'GET',
      path: '/admin/stt/status',
      summary: 'Speech recognition engine: name, health, transcriptions so far',
      tag: 'stt',
      auth: { kind: 'user', role: 'viewer' },
      async handler() {
        return json(s.stt.status());
      },
    }),
    route({
      method: 'POST',
      path: '/admin/stt/transcribe',
      summary: 'Transcribe an uploaded audio file: WAV, MP3, FLAC or Ogg Opus (told apart by content), as the body or as multipart/form-data `file`',
      tag: 'stt',
      auth: { kind: 'user', role: 'operator' },
      audit: 'stt.transcribe',
      rateClass: 'tts',
      // Metered like /v1/audio/transcriptions, so an `stt` limit covers both ways in.
      usage: 'stt',
      maxBodyBytes: 25 * 1024 * 1024,
      query: z.object({ language: LanguageTag.optional() }),
      rawBody: { contentTypes: ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/mpeg', 'audio/mp3', 'audio/flac', 'audio/x-flac', 'audio/ogg', 'audio/opus', 'application/octet-stream', 'multipart/form-data'], description: 'a WAV, MP3, FLAC or Ogg Opus file' },
      async handler(ctx) {
        let file = ctx.rawBody ?? Buffer.alloc(0);
        if ((ctx.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/')) {
          file = parseMultipart(file, ctx.headers['content-type']).find((p) => p.name === 'file')?.data ?? Buffer.alloc(0);
        }
        if (file.length === 0) throw new HttpError(400, 'validation_failed', 'body: file: an audio file is required');
        const r = await s.stt.transcribe(file, { language: ctx.query.language, signal: ctx.signal });
        ctx.usage.source = r.engine;
        ctx.audit.details = { engine: r.engine, duration_s: Math.round(r.duration_s * 10) / 10 };
        return json({ text: r.text, alternatives: r.alternatives ?? [], confidence: r.confidence ?? null, latency_ms: Math.round(r.latencyMs ?? 0), duration_s: r.duration_s, engine: r.engine, format: r.format });
      },
    }),
  ];
}
