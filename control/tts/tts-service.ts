/**
 * Text to PCM at the rate a caller needs, streamed sentence by sentence: the text is split into
 * sentences, each sentence is synthesised by the engine (which itself streams as it goes) and
 * resampled on the fly, and every piece is handed on the moment it exists. The first audio of a
 * five-sentence text therefore leaves after the first sentence's first chunk, not after the last
 * sentence. Whole sentences are cached (PcmCache) at the rate they were asked for.
 */
import { createResampler, type Resampler } from '../../media/resampler.ts';
import { concatInt16 } from '../../media/pcm.ts';
import type { EngineLog } from '../../pipeline/engines/engine-error.ts';
import type { TtsEngine } from '../../pipeline/engines/types.ts';
import { isLanguageTag, isPlainVoiceName, UnknownVoiceError } from '../../pipeline/engines/voice-name.ts';
import { splitSentences } from '../../pipeline/text/sentence-splitter.ts';
import { backendFailure, HttpError, invalidLanguage, notFound } from '../http/errors.ts';
import type { TtsPresetsRepo } from '../repositories/tts-presets.ts';
import { PcmCache } from './pcm-cache.ts';
import { catalogTakesVoice, type TtsCatalog } from './tts-catalog.ts';

export const TARGET_SAMPLE_RATES = [8000, 16000, 24000] as const;
export type TargetSampleRate = (typeof TARGET_SAMPLE_RATES)[number];

export interface VoiceSettings {
  engine: string;
  voice?: string;
  language?: string;
  speed?: number;
}

export interface VoiceRequest {
  preset_id?: number;
  engine?: string;
  voice?: string;
  language?: string;
  speed?: number;
}

export interface SynthesisRequest extends VoiceSettings {
  text: string;
  sampleRate: number;
  signal?: AbortSignal;
}

export interface TtsStreamStats {
  streams: number;
  active: number;
  sentences: number;
  failures: number;
}

export class TtsService {
  readonly cache: PcmCache;
  readonly #stats: TtsStreamStats = { streams: 0, active: 0, sentences: 0, failures: 0 };

  constructor(
    readonly catalog: TtsCatalog,
    private readonly presets: TtsPresetsRepo,
    cacheMaxBytes: number,
    /** Where synthesis failures are logged in full (clients get what failed and an error id). */
    private readonly log: EngineLog,
  ) {
    this.cache = new PcmCache(cacheMaxBytes);
  }

  /** Resolves when the default engine is warm (e.g. espeak-ng's helper process is up). */
  async ready(): Promise<void> {
    await this.catalog.engine(this.catalog.defaultEngine)?.ready?.();
  }

  streamStats(): TtsStreamStats {
    return { ...this.#stats };
  }

  /** Request fields win over the preset's; the catalog's default engine over nothing. 404/400 for unknown ones. */
  async resolve(req: VoiceRequest): Promise<VoiceSettings> {
    const preset = req.preset_id === undefined ? undefined : await this.presets.get(req.preset_id);
    if (req.preset_id !== undefined && !preset) throw notFound('TTS preset');
    return this.settings({
      engine: req.engine ?? preset?.engine ?? this.catalog.defaultEngine,
      voice: req.voice ?? preset?.voice ?? undefined,
      language: req.language ?? preset?.language ?? undefined,
      speed: req.speed ?? preset?.speed ?? undefined,
    });
  }

  /**
   * The engine must exist, the voice must be one it takes (catalogTakesVoice; a plain name where the engine has
   * no list) and the language a language tag. Whatever reaches an engine, as a subprocess argument
   * or a field an upstream server may open a file by, has passed here, from a request or a stored
   * preset (presets are checked when saved, and again when used: a backup may bring older ones).
   */
  async settings(v: VoiceSettings): Promise<VoiceSettings> {
    if (!this.catalog.engine(v.engine)) {
      throw new HttpError(400, 'unknown_engine', `no TTS engine "${v.engine}"`, { engines: this.catalog.engineNames() });
    }
    if (v.voice !== undefined) {
      const takes = await catalogTakesVoice(this.catalog, v.engine, v.voice);
      if (takes === false || (takes === null && !isPlainVoiceName(v.voice))) {
        throw unknownVoice(new UnknownVoiceError(v.engine, v.voice), (await this.catalog.voices(v.engine)).map((x) => x.id));
      }
    }
    if (v.language !== undefined && !isLanguageTag(v.language)) {
      throw invalidLanguage(v.language);
    }
    return v;
  }

  /**
   * PCM16 mono at `sampleRate`, in pieces, as soon as each exists. Ends quietly when the signal
   * aborts. Failures are HttpErrors: 400 for settings the engine refuses, 502 `tts_failed` naming
   * what failed and an error id (what the engine printed is in the log under that id).
   */
  async *stream(req: SynthesisRequest): AsyncGenerator<Int16Array> {
    await this.settings(req);
    const engine = this.catalog.engine(req.engine)!;
    this.#stats.streams++;
    this.#stats.active++;
    try {
      for (const sentence of splitSentences(req.text)) {
        if (req.signal?.aborted) return;
        const key = [engine.name, req.voice ?? '', req.language ?? '', req.speed ?? 1, req.sampleRate, sentence].join('\u0000');
        const cached = this.cache.get(key);
        if (cached) {
          yield cached;
          continue;
        }
        const parts: Int16Array[] = [];
        for await (const pcm of this.#sentence(engine, sentence, req)) {
          parts.push(pcm);
          yield pcm;
        }
        this.#stats.sentences++;
        if (!req.signal?.aborted && parts.length) this.cache.set(key, concatInt16(parts));
      }
    } catch (err) {
      if (!req.signal?.aborted) this.#stats.failures++;
      throw this.#failure(err);
    } finally {
      this.#stats.active--;
    }
  }

  /** The whole text as one buffer (test synthesis, WAV answers). */
  async synthesize(req: SynthesisRequest): Promise<Int16Array> {
    const parts: Int16Array[] = [];
    for await (const p of this.stream(req)) parts.push(p);
    return concatInt16(parts);
  }

  async *#sentence(engine: TtsEngine, text: string, req: SynthesisRequest): AsyncGenerator<Int16Array> {
    let resampler: Resampler | null = null;
    for await (const chunk of engine.synthesize(text, { signal: req.signal, voice: req.voice, language: req.language, speed: req.speed })) {
      resampler ??= createResampler(chunk.sampleRate, req.sampleRate);
      const out = resampler.process(chunk.pcm);
      if (out.length) yield out;
    }
    if (resampler && !req.signal?.aborted) {
      const tail = resampler.flush();
      if (tail.length) yield tail;
    }
  }

  #failure(err: unknown): HttpError {
    if (err instanceof HttpError) return err;
    // The engine's own check (espeak-ng refuses paths as voices), should anything get past settings().
    if (err instanceof UnknownVoiceError) return unknownVoice(err, []);
    return backendFailure(this.log, 502, 'tts_failed', 'speech synthesis failed', err);
  }

  async close(): Promise<void> {
    await this.catalog.close();
  }
}

function unknownVoice(err: UnknownVoiceError, voices: string[]): HttpError {
  const hint = voices.length ? '; GET /admin/tts/voices lists them' : ': a plain voice name (letters, digits, " ._+-") is expected';
  return new HttpError(400, 'unknown_voice', `${err.message}${hint}`, { engine: err.engine, voices: voices.slice(0, 500) });
}
