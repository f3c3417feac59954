/**
 * OpenAI-compatible audio: `POST /v1/audio/speech` streams audio as it is synthesised (WAV with an
 * open-ended header, raw 24 kHz PCM as OpenAI's `pcm` format, MP3 or Ogg Opus), and
 * `POST /v1/audio/transcriptions` takes a multipart upload (WAV, MP3, FLAC or Ogg Opus) and answers
 * `{text}`, plain text or verbose JSON.
 * `voice` (then `model`) may name a TTS preset or one of the engine's voices; OpenAI's stock voice
 * names fall back to the default voice. Any other voice is a 400: it would otherwise reach the
 * engine (espeak-ng reads `-v` as a path), and a client asking for a voice that does not exist
 * should be told rather than hear another one.
 */
import { z } from 'zod';
import { HttpError } from '../http/errors.ts';
import { UnknownVoiceError } from '../../pipeline/engines/voice-name.ts';
import { withinJsonBounds } from '../json-bounds.ts';
import { json, raw, route, type RouteDef } from '../http/route.ts';
import type { ControlServices } from '../services.ts';
import { parseMultipart } from '../stt/multipart.ts';
import { pcmStreamReply } from '../tts/pcm-reply.ts';
import { SPEECH_FORMATS, speechEncoder } from '../tts/speech-formats.ts';
import { catalogTakesVoice } from '../tts/tts-catalog.ts';
import type { VoiceSettings } from '../tts/tts-service.ts';

/** OpenAI's fields we do not use are accepted, as OpenAI clients send them, but small. */
const OtherField = z.unknown().superRefine(withinJsonBounds({ maxDepth: 8, maxBytes: 16 * 1024 }));

const SpeechRequest = z
  .object({
    model: z.string().min(1).max(200),
    input: z.string().trim().min(1).max(4096),
    voice: z.union([z.string().min(1).max(200), z.object({ id: z.string().min(1).max(200) }).catchall(OtherField)]),
    response_format: z.enum(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']).optional(),
    speed: z.number().min(0.25).max(4).optional(),
    instructions: z.string().max(4096).optional(),
  })
  .catchall(OtherField);

/** OpenAI's own voice names: a client written for OpenAI sends one of these; they get the default voice. */
export const OPENAI_VOICES = new Set(['alloy', 'ash', 'ballad', 'cedar', 'coral', 'echo', 'fable', 'marin', 'nova', 'onyx', 'sage', 'shimmer', 'verse']);

export function audioRoutes(s: ControlServices): RouteDef[] {
  const KEY = { kind: 'api_key' } as const;

  async function voiceFor(voice: string, model: string, speed: number | undefined): Promise<VoiceSettings> {
    const presets = await s.repos.ttsPresets.list();
    const named = presets.find((p) => p.name === voice);
    const engine = s.tts.catalog.defaultEngine;
    const known = (await catalogTakesVoice(s.tts.catalog, engine, voice)) === true;
    if (!named && !known && !OPENAI_VOICES.has(voice)) {
      const e = new UnknownVoiceError(engine, voice);
      throw new HttpError(400, 'unknown_voice', `${e.message}: use a TTS preset's name, one of the engine's voices or an OpenAI voice name (${[...OPENAI_VOICES].join(', ')})`, { engine });
    }
    const preset = named ?? presets.find((p) => p.name === model);
    if (preset) return s.tts.resolve({ preset_id: preset.id, speed });
    return s.tts.settings({ engine, voice: known ? voice : undefined, speed });
  }

  return [
    route({
      method: 'POST',
      path: '/v1/audio/speech',
      summary: `Text to speech (OpenAI format), streamed as synthesised: response_format ${SPEECH_FORMATS.join(', ')} (wav by default; pcm is 24 kHz s16le; opus is Ogg Opus)`,
      tag: 'openai',
      auth: KEY,
      rateClass: 'tts',
      usage: 'tts',
      body: SpeechRequest,
      async handler(ctx) {
        const b = ctx.body;
        const v = await voiceFor(typeof b.voice === 'string' ? b.voice : b.voice.id, b.model, b.speed);
        const enc = await speechEncoder(b.response_format ?? 'wav');
        ctx.usage.source = v.engine;
        ctx.usage.tokensIn = b.input.length;
        return pcmStreamReply(s.tts.stream({ ...v, text: b.input, sampleRate: enc.sampleRate, signal: ctx.signal }), {
          contentType: enc.contentType,
          prefix: enc.start(),
          encoder: enc,
          headers: [['X-Sample-Rate', String(enc.sampleRate)]],
        });
      },
    }),
    route({
      method: 'POST',
      path: '/v1/audio/transcriptions',
      summary: 'Speech to text (OpenAI format): multipart/form-data with `file` (WAV, MP3, FLAC or Ogg Opus, told apart by content), `model`, optional `language` and `response_format` (json, text, verbose_json)',
      tag: 'openai',
      auth: KEY,
      rateClass: 'tts',
      usage: 'stt',
      maxBodyBytes: 25 * 1024 * 1024,
      rawBody: { contentTypes: ['multipart/form-data'], description: 'file (WAV, MP3, FLAC or Ogg Opus), model, language?, response_format?' },
      async handler(ctx) {
        const parts = parseMultipart(ctx.rawBody ?? Buffer.alloc(0), ctx.headers['content-type']);
        const field = (name: string) => parts.find((p) => p.name === name && p.filename === undefined)?.data.toString('utf8');
        const file = parts.find((p) => p.name === 'file');
        if (!file || file.data.length === 0) throw new HttpError(400, 'validation_failed', 'body: file: an audio file is required', { in: 'body', issues: [{ field: 'file', message: 'required' }] });
        if (!field('model')) throw new HttpError(400, 'validation_failed', 'body: model: required', { in: 'body', issues: [{ field: 'model', message: 'required' }] });
        const format = field('response_format') ?? 'json';
        if (!['json', 'text', 'verbose_json'].includes(format)) throw new HttpError(400, 'unsupported_format', `response_format "${format}" is not available; use json, text or verbose_json`);
        const language = field('language');
        const r = await s.stt.transcribe(file.data, { language: language || undefined, signal: ctx.signal });
        ctx.usage.source = r.engine;
        if (format === 'text') return raw(r.text + '\n', 'text/plain; charset=utf-8');
        if (format === 'verbose_json') {
          return json({ task: 'transcribe', language: language || 'en', duration: r.duration_s, text: r.text, segments: [{ id: 0, start: 0, end: r.duration_s, text: r.text }] });
        }
        return json({ text: r.text });
      },
    }),
  ];
}
