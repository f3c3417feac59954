/**
 * sherpa-onnx OfflineTts (VITS/Piper, Matcha, Kokoro) as a streaming TtsEngine. sherpa splits the
 * text into sentences itself and `generateAsync` reports each one through `onProgress` as soon as
 * it is synthesised, so the first sentence plays while the next is computed; returning 0 from the
 * callback stops synthesis (barge-in). generateAsync runs on a libuv worker thread, never on the
 * event loop (the test measures the loop's lag while a long text is synthesised).
 */
import { offlineTtsConfig, resolveModel, type SherpaModelSpec } from './sherpa-model-dir.ts';
import { float32ToInt16, sherpa, type SherpaOfflineTts } from './sherpa-onnx.ts';
import type { EngineHealth, TtsChunk, TtsEngine, TtsOptions } from './types.ts';

export type SherpaTtsKind = 'vits' | 'matcha' | 'kokoro';

/**
 * `modelDir` holds the files as sherpa-onnx releases them; `engine` is the type ('vits', 'matcha',
 * 'kokoro') or a manifest entry's engine (type and files, e.g. Kokoro's several lexicons). Without
 * it the type is guessed from the files (voices.bin: kokoro; a vocoder .onnx: matcha; else vits).
 */
export interface SherpaTtsOptions extends SherpaModelSpec {
  numThreads?: number;
  /** Speaker id for multi-speaker models. */
  speakerId?: number;
}

export class SherpaTtsConfigError extends Error {
  override name = 'SherpaTtsConfigError';
}

export class SherpaTts implements TtsEngine {
  readonly name: string;
  private lastError: string | null = null;

  private constructor(
    private readonly tts: SherpaOfflineTts,
    readonly kind: SherpaTtsKind,
    private readonly opts: SherpaTtsOptions,
  ) {
    this.name = `sherpa-onnx-${kind}`;
  }

  /** Loads the model (off the event loop: createAsync). Throws SherpaTtsConfigError naming what is missing. */
  static async load(opts: SherpaTtsOptions): Promise<SherpaTts> {
    let config: Record<string, unknown>;
    let kind: SherpaTtsKind;
    try {
      // The same directory rules as the recognisers (files by role, lexicon-*.txt all passed, ONNX and tokens checked).
      const model = resolveModel('tts', opts);
      kind = model.type as SherpaTtsKind;
      config = offlineTtsConfig(model, { numThreads: opts.numThreads });
    } catch (err) {
      throw new SherpaTtsConfigError((err as Error).message);
    }
    try {
      return new SherpaTts(await sherpa().OfflineTts.createAsync(config), kind, opts);
    } catch (err) {
      throw new SherpaTtsConfigError(`sherpa-onnx could not load the ${kind} model in ${opts.modelDir}: ${(err as Error).message}`);
    }
  }

  get sampleRate(): number {
    return this.tts.sampleRate;
  }

  health(): EngineHealth {
    return { name: this.name, ok: this.lastError === null, detail: this.lastError ?? `${this.opts.modelDir}` };
  }

  async *synthesize(text: string, opts: TtsOptions = {}): AsyncIterable<TtsChunk> {
    const signal = opts.signal;
    if (signal?.aborted || !text.trim()) return;
    const queue: Int16Array[] = [];
    let wake: (() => void) | null = null;
    let done = false;
    let failure: Error | null = null;
    const notify = () => {
      wake?.();
      wake = null;
    };
    const onAbort = () => notify();
    signal?.addEventListener('abort', onAbort, { once: true });
    void this.tts
      .generateAsync({
        text,
        sid: this.opts.speakerId ?? 0,
        speed: opts.speed ?? 1,
        onProgress: ({ samples }) => {
          if (signal?.aborted) return 0;
          if (samples.length) queue.push(float32ToInt16(samples));
          notify();
          return 1;
        },
      })
      .then(
        () => {
          this.lastError = null;
        },
        (err: Error) => {
          failure = err;
          this.lastError = err.message;
        },
      )
      .finally(() => {
        done = true;
        notify();
      });
    try {
      for (;;) {
        if (signal?.aborted) return;
        const next = queue.shift();
        if (next) {
          yield { pcm: next, sampleRate: this.tts.sampleRate };
          continue;
        }
        if (done) break;
        await new Promise<void>((r) => (wake = r));
      }
      if (failure) throw failure;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {}
}
