/**
 * TTS administration and streaming synthesis for telephony: presets CRUD, the engines' voices, a
 * test synthesis (WAV), cache statistics, and `POST /admin/tts/stream`, which answers raw PCM
 * s16le at `target_sample_rate` chunk by chunk as each sentence is synthesised. The WebSocket
 * twin (`/admin/tts/ws/stream`) lives in control/tts/tts-websocket.ts; its route-table entry here
 * only answers plain HTTP (426) so the route walk and the OpenAPI document see it.
 */
import { z } from 'zod';
import { encodeWav } from '../../media/wav.ts';
import { HttpError, notFound } from '../http/errors.ts';
import { created, json, noContent, raw, route, type RouteDef } from '../http/route.ts';
import type { ControlServices } from '../services.ts';
import { pcmStreamReply } from '../tts/pcm-reply.ts';
import { TARGET_SAMPLE_RATES } from '../tts/tts-service.ts';
import { withinJsonBounds } from '../json-bounds.ts';
import { IdParams, LanguageTag } from './schemas.ts';

const READ = { kind: 'user', role: 'viewer' } as const;
const WRITE = { kind: 'user', role: 'operator' } as const;

const PresetFields = z.strictObject({
  name: z.string().trim().min(1).max(100),
  engine: z.string().min(1).max(32),
  voice: z.string().min(1).max(200),
  language: LanguageTag.nullable().optional(),
  speed: z.number().min(0.25).max(4).optional(),
  /** Engine-specific settings, stored as JSON: a small map, not a place to keep documents. */
  params: z.record(z.string().min(1).max(64), z.unknown()).superRefine(withinJsonBounds({ maxDepth: 4, maxBytes: 4096 })).optional(),
});

export const VoiceFields = {
  preset_id: z.number().int().positive().optional(),
  engine: z.string().min(1).max(32).optional(),
  voice: z.string().min(1).max(200).optional(),
  language: LanguageTag.optional(),
  speed: z.number().min(0.25).max(4).optional(),
};

export const TargetSampleRate = z.union(TARGET_SAMPLE_RATES.map((r) => z.literal(r))).default(16000);

export const SynthesisBody = z.strictObject({
  text: z.string().trim().min(1).max(10_000),
  target_sample_rate: TargetSampleRate,
  ...VoiceFields,
});

export function pcmContentType(rate: number): string {
  return `audio/L16;rate=${rate};channels=1`;
}

export function ttsRoutes(s: ControlServices): RouteDef[] {
  /** A preset is saved only with an engine, voice and language the engine accepts (tts-service.ts). */
  const checkPreset = (p: { engine: string; voice: string; language?: string | null }) =>
    s.tts.settings({ engine: p.engine, voice: p.voice, language: p.language ?? undefined });
  return [
    route({
      method: 'GET',
      path: '/admin/tts/presets',
      summary: 'List TTS presets',
      tag: 'tts',
      auth: READ,
      async handler() {
        return json({ items: await s.repos.ttsPresets.list() });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/tts/presets',
      summary: 'Create a TTS preset (engine, voice, language, speed)',
      tag: 'tts',
      auth: WRITE,
      audit: 'tts_presets.create',
      body: PresetFields,
      async handler(ctx) {
        await checkPreset(ctx.body);
        const p = await s.repos.ttsPresets.create({ ...ctx.body, language: ctx.body.language ?? null, speed: ctx.body.speed ?? 1, params: ctx.body.params ?? {} });
        ctx.audit.target = `tts_preset:${p.id}`;
        return created(p);
      },
    }),
    route({
      method: 'GET',
      path: '/admin/tts/presets/:id',
      summary: 'One TTS preset',
      tag: 'tts',
      auth: READ,
      params: IdParams,
      async handler(ctx) {
        const p = await s.repos.ttsPresets.get(ctx.params.id);
        if (!p) throw notFound('TTS preset');
        return json(p);
      },
    }),
    route({
      method: 'PATCH',
      path: '/admin/tts/presets/:id',
      summary: 'Change a TTS preset',
      tag: 'tts',
      auth: WRITE,
      audit: 'tts_presets.update',
      params: IdParams,
      body: PresetFields.partial(),
      async handler(ctx) {
        const stored = await s.repos.ttsPresets.get(ctx.params.id);
        if (!stored) throw notFound('TTS preset');
        await checkPreset({ ...stored, ...ctx.body });
        const p = await s.repos.ttsPresets.update(ctx.params.id, ctx.body);
        if (!p) throw notFound('TTS preset');
        ctx.audit.target = `tts_preset:${p.id}`;
        ctx.audit.details = { fields: Object.keys(ctx.body) };
        await s.conversations.changed(); // the voice of the personas that use it
        return json(p);
      },
    }),
    route({
      method: 'DELETE',
      path: '/admin/tts/presets/:id',
      summary: 'Delete a TTS preset (personas using it fall back to the default voice)',
      tag: 'tts',
      auth: WRITE,
      audit: 'tts_presets.delete',
      params: IdParams,
      async handler(ctx) {
        if (!(await s.repos.ttsPresets.remove(ctx.params.id))) throw notFound('TTS preset');
        ctx.audit.target = `tts_preset:${ctx.params.id}`;
        await s.conversations.changed();
        return noContent();
      },
    }),
    route({
      method: 'GET',
      path: '/admin/tts/voices',
      summary: 'Engines and the voices each offers',
      tag: 'tts',
      auth: READ,
      query: z.object({ engine: z.string().max(32).optional() }),
      async handler(ctx) {
        const engines = s.tts.catalog.engineNames();
        const wanted = ctx.query.engine ? [ctx.query.engine] : engines;
        const items = (await Promise.all(wanted.map((e) => s.tts.catalog.voices(e)))).flat();
        return json({
          default_engine: s.tts.catalog.defaultEngine,
          engines: engines.map((name) => {
            const e = s.tts.catalog.engine(name)!;
            return { name, sample_rate: e.sampleRate, health: e.health() };
          }),
          items,
        });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/tts/test',
      summary: 'Synthesise a text and answer it as a WAV file (try a preset or voice)',
      tag: 'tts',
      auth: WRITE,
      audit: 'tts.test',
      rateClass: 'tts',
      usage: 'tts',
      body: SynthesisBody.extend({ text: z.string().trim().min(1).max(2000) }),
      async handler(ctx) {
        const v = await s.tts.resolve(ctx.body);
        const started = performance.now();
        const pcm = await s.tts.synthesize({ ...v, text: ctx.body.text, sampleRate: ctx.body.target_sample_rate, signal: ctx.signal });
        ctx.usage.source = v.engine;
        ctx.audit.details = { engine: v.engine, voice: v.voice ?? null, chars: ctx.body.text.length };
        return raw(encodeWav(pcm, ctx.body.target_sample_rate), 'audio/wav', [
          ['X-Synthesis-Ms', String(Math.round(performance.now() - started))],
          ['X-Audio-Duration-Ms', String(Math.round((pcm.length / ctx.body.target_sample_rate) * 1000))],
        ]);
      },
    }),
    route({
      method: 'GET',
      path: '/admin/tts/cache',
      summary: 'Sentence cache and streaming statistics',
      tag: 'tts',
      auth: READ,
      async handler() {
        return json({ cache: s.tts.cache.stats(), streams: s.tts.streamStats() });
      },
    }),
    route({
      method: 'DELETE',
      path: '/admin/tts/cache',
      summary: 'Empty the sentence cache',
      tag: 'tts',
      auth: WRITE,
      audit: 'tts.cache_clear',
      async handler(ctx) {
        ctx.audit.details = { entries: s.tts.cache.clear() };
        return noContent();
      },
    }),
    route({
      method: 'POST',
      path: '/admin/tts/stream',
      summary:
        'Streaming synthesis for telephony: raw PCM s16le mono at target_sample_rate (8000/16000/24000), chunked, each sentence sent as it is synthesised',
      tag: 'tts',
      auth: WRITE,
      audit: 'tts.stream',
      rateClass: 'tts',
      usage: 'tts',
      body: SynthesisBody,
      async handler(ctx) {
        const v = await s.tts.resolve(ctx.body);
        const rate = ctx.body.target_sample_rate;
        ctx.usage.source = v.engine;
        ctx.audit.details = { engine: v.engine, voice: v.voice ?? null, chars: ctx.body.text.length, sample_rate: rate };
        return pcmStreamReply(s.tts.stream({ ...v, text: ctx.body.text, sampleRate: rate, signal: ctx.signal }), {
          contentType: pcmContentType(rate),
          headers: [
            ['X-Sample-Rate', String(rate)],
            ['X-Audio-Format', 'pcm_s16le'],
          ],
        });
      },
    }),
    route({
      method: 'GET',
      path: '/admin/tts/ws/stream',
      summary:
        'WebSocket streaming synthesis (upgrade with Authorization: Bearer, or subprotocol `bearer.<token>`): send {"type":"synthesize","text","target_sample_rate"}; receive {"type":"start"}, binary PCM s16le, {"type":"end"}',
      tag: 'tts',
      auth: WRITE,
      async handler() {
        throw new HttpError(426, 'upgrade_required', 'this is a WebSocket endpoint: connect with Upgrade: websocket', undefined, [['Upgrade', 'websocket']]);
      },
    }),
  ];
}
