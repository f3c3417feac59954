/**
 * Speech to text for uploads (admin "transcribe an upload", `/v1/audio/transcriptions`): decodes a
 * WAV file of any rate, channel count and encoding to 16 kHz PCM16 mono and hands it to the engine.
 * The engine is pocketsphinx from Debian unless the gateway passes its own
 * (ControlPlaneOptions.stt); it is created on first use so a control plane that never transcribes
 * never starts decoder processes.
 */
import { createResampler } from '../../media/resampler.ts';
import { concatInt16 } from '../../media/pcm.ts';
import { parseWav, WavFormatError } from '../../media/wav.ts';
import { PocketsphinxStt } from '../../pipeline/engines/stt-pocketsphinx.ts';
import type { EngineHealth, SttEngine, SttResult } from '../../pipeline/engines/types.ts';
import { HttpError } from '../http/errors.ts';

export const STT_SAMPLE_RATE = 16000;

export interface TranscriptionResult extends SttResult {
  duration_s: number;
  engine: string;
}

export class SttService {
  #engine: SttEngine | null;
  #transcriptions = 0;
  #failures = 0;

  constructor(
    engine: SttEngine | undefined,
    private readonly factory: () => SttEngine = () => new PocketsphinxStt(),
    /** Longest upload decoded (seconds of audio). */
    readonly maxSeconds = 300,
  ) {
    this.#engine = engine ?? null;
  }

  get engine(): SttEngine {
    return (this.#engine ??= this.factory());
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

  /** WAV bytes -> 16 kHz mono PCM16. 400 for anything that is not a WAV we can read. */
  decode(file: Uint8Array): Int16Array {
    let wav;
    try {
      wav = parseWav(file);
    } catch (err) {
      if (err instanceof WavFormatError) throw new HttpError(400, 'unsupported_audio', `not a readable WAV file: ${err.message}`);
      throw err;
    }
    const seconds = wav.samples.length / wav.sampleRate;
    if (seconds > this.maxSeconds) throw new HttpError(413, 'audio_too_long', `the audio is ${seconds.toFixed(1)} s; at most ${this.maxSeconds} s`);
    if (wav.sampleRate === STT_SAMPLE_RATE) return wav.samples;
    let r;
    try {
      r = createResampler(wav.sampleRate, STT_SAMPLE_RATE);
    } catch (err) {
      throw new HttpError(400, 'unsupported_audio', `cannot resample ${wav.sampleRate} Hz: ${(err as Error).message}`);
    }
    return concatInt16([r.process(wav.samples), r.flush()]);
  }

  async transcribe(file: Uint8Array, opts: { language?: string; signal?: AbortSignal } = {}): Promise<TranscriptionResult> {
    const pcm = this.decode(file);
    const started = performance.now();
    try {
      const r = await this.engine.transcribe(pcm, { language: opts.language, signal: opts.signal });
      this.#transcriptions++;
      return { ...r, latencyMs: r.latencyMs ?? performance.now() - started, duration_s: pcm.length / STT_SAMPLE_RATE, engine: this.engine.name };
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      this.#failures++;
      throw new HttpError(502, 'stt_failed', `speech recognition failed: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await this.#engine?.close();
  }
}
