/**
 * Speech to text for uploads (admin "transcribe an upload", `/v1/audio/transcriptions`): decodes a
 * WAV, MP3, FLAC or Ogg Opus file of any rate and channel count to 16 kHz PCM16 mono in a worker
 * thread (upload-decoder.ts) and hands it to the engine.
 * The engine is pocketsphinx from Debian unless the gateway passes its own
 * (ControlPlaneOptions.stt); it is created on first use so a control plane that never transcribes
 * never starts decoder processes.
 */
import { AudioDecodeError, type AudioFileFormat } from '../../media/audio-file-decode.ts';
import type { EngineLog } from '../../pipeline/engines/engine-error.ts';
import type { EngineHealth, SttEngine, SttResult } from '../../pipeline/engines/types.ts';
import { isLanguageTag } from '../../pipeline/engines/voice-name.ts';
import { backendFailure, HttpError, invalidLanguage } from '../http/errors.ts';
import { UploadDecoder } from './upload-decoder.ts';
import type { BulkWorkPool } from '../bulk-work-pool.ts';

export const STT_SAMPLE_RATE = 16000;

export interface TranscriptionResult extends SttResult {
  duration_s: number;
  engine: string;
  /** What the upload was, as told by its bytes. */
  format: AudioFileFormat;
}

export interface SttServiceOptions {
  /** The engine to use; without it `factory` makes one on first use. */
  engine?: SttEngine;
  factory: () => SttEngine;
  /** Longest upload decoded (seconds of audio; default 300). */
  maxSeconds?: number;
  /** The control plane's bulk-work thread (shared with backups); default: a thread of its own. */
  bulk?: BulkWorkPool;
  /** Where recognition failures are logged in full (clients get what failed and an error id). */
  log: EngineLog;
}

export class SttService {
  #engine: SttEngine | null;
  #transcriptions = 0;
  #failures = 0;
  readonly #decoder: UploadDecoder;
  readonly #factory: () => SttEngine;
  readonly #log: EngineLog;
  readonly maxSeconds: number;

  constructor(opts: SttServiceOptions) {
    this.#decoder = new UploadDecoder({ pool: opts.bulk });
    this.#engine = opts.engine ?? null;
    this.#factory = opts.factory;
    this.#log = opts.log;
    this.maxSeconds = opts.maxSeconds ?? 300;
  }

  get engine(): SttEngine {
    return (this.#engine ??= this.#factory());
  }

  status(): { engine: string; started: boolean; streaming: boolean; health: EngineHealth | null; transcriptions: number; failures: number; max_seconds: number } {
    const e = this.#engine;
    return {
      engine: e?.name ?? 'pocketsphinx',
      started: e !== null,
      streaming: e?.streaming ?? false,
      health: e ? e.health() : null,
      transcriptions: this.#transcriptions,
      failures: this.#failures,
      max_seconds: this.maxSeconds,
    };
  }

  /** Audio file bytes -> 16 kHz mono PCM16: 400 for what we cannot read, 413 past maxSeconds. */
  async decode(file: Uint8Array, signal?: AbortSignal): Promise<{ pcm: Int16Array; format: AudioFileFormat }> {
    try {
      const d = await this.#decoder.decode(file, { sampleRate: STT_SAMPLE_RATE, maxSeconds: this.maxSeconds, signal });
      return { pcm: d.samples, format: d.format };
    } catch (err) {
      if (err instanceof AudioDecodeError) throw new HttpError(err.code === 'audio_too_long' ? 413 : 400, err.code, err.message);
      throw err;
    }
  }

  /** 400 for a language that is not a language tag (it reaches the engine and an upstream server). */
  async transcribe(file: Uint8Array, opts: { language?: string; signal?: AbortSignal } = {}): Promise<TranscriptionResult> {
    if (opts.language !== undefined && !isLanguageTag(opts.language)) {
      throw invalidLanguage(opts.language);
    }
    const { pcm, format } = await this.decode(file, opts.signal);
    const started = performance.now();
    try {
      const r = await this.engine.transcribe(pcm, { language: opts.language, signal: opts.signal });
      this.#transcriptions++;
      return { ...r, latencyMs: r.latencyMs ?? performance.now() - started, duration_s: pcm.length / STT_SAMPLE_RATE, engine: this.engine.name, format };
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      this.#failures++;
      throw backendFailure(this.#log, 502, 'stt_failed', 'speech recognition failed', err);
    }
  }

  async close(): Promise<void> {
    await this.#decoder.close();
    await this.#engine?.close();
  }
}
