/**
 * Batch STT with sherpa-onnx's OfflineRecognizer (Whisper, SenseVoice, NeMo CTC/GigaAM, offline
 * transducer/paraformer/zipformer CTC) from a model directory: the VAD delimits an utterance and
 * the whole of it is decoded at once.
 *
 * Stateless, so a piscina job (pipeline/workers/task-pool.ts, stt-offline-task.mjs): the stream
 * keeps the utterance's frames on the caller's thread (a copy per frame, cheap), and finish() runs
 * one task with the joined PCM transferred; features and decode run on that thread. Not sherpa's
 * own decodeAsync on the gateway thread: its acceptWaveform computes the features synchronously on
 * the calling thread (measured: ~25 ms of blocked loop per 30 s of audio), and that is inference
 * work too. Parallel decodes = `poolSize`; each thread loads the model once and keeps it.
 */
import { concatInt16 } from '../../media/pcm.ts';
import { TaskPool } from '../workers/task-pool.ts';
import type { OfflineDecodeResult, OfflineDecodeTask } from '../workers/stt-offline-decode.ts';
import { offlineRecognizerConfig, resolveModel, type OfflineRecognizerOptions, type ResolvedModel, type SherpaModelSpec } from './sherpa-model-dir.ts';
import type { EngineHealth, SttEngine, SttOptions, SttResult, SttStream } from './types.ts';

export interface SherpaOfflineSttOptions extends SherpaModelSpec, OfflineRecognizerOptions {
  /** Utterances shorter than this many samples are not decoded (a click, a breath; default 1600 = 0.1 s). */
  minSamples?: number;
  /** Piscina threads, i.e. decodes in parallel (default 1); each loads the model once. (`numThreads` is ONNX Runtime's threads per decode.) */
  poolSize?: number;
}

/** Not options: a configuration object (env, admin UI) can never choose which module a thread runs. */
export interface SherpaOfflineSttInternals {
  /** The piscina worker module; tests substitute one that can crash on demand. */
  taskModule?: URL;
}

const TASK_MODULE = new URL('../workers/stt-offline-task.mjs', import.meta.url);

function abortError(): Error {
  const err = new Error('utterance cancelled');
  err.name = 'AbortError';
  return err;
}

export class SherpaOfflineStt implements SttEngine {
  readonly name: string;
  readonly streaming = false;
  readonly model: ResolvedModel;
  private readonly recognizer: Record<string, unknown>;
  private readonly minSamples: number;
  private readonly pool: TaskPool;
  private closed = false;

  /** Checks the model directory now (throws ModelDirError); the model loads in the threads on first use or warm(). */
  constructor(opts: SherpaOfflineSttOptions, internals: SherpaOfflineSttInternals = {}) {
    this.model = resolveModel('stt-offline', opts);
    this.name = `sherpa-offline-${this.model.type}`;
    this.recognizer = offlineRecognizerConfig(this.model, opts);
    this.minSamples = opts.minSamples ?? 1600;
    this.pool = new TaskPool({ filename: internals.taskModule ?? TASK_MODULE, threads: opts.poolSize ?? 1, name: this.name });
  }

  health(): EngineHealth {
    const h = this.pool.health();
    const pool = `${h.running} decoding, ${h.queued} queued on ${h.threads} thread(s), ${h.restarts} restart(s)`;
    return { name: this.name, ok: h.lastError === null, detail: h.lastError ? `${h.lastError}; ${pool}` : pool };
  }

  /** Load the model into every thread now, so the first utterance does not wait for it. Rejects if it cannot load. */
  async warm(): Promise<void> {
    if (this.closed) throw new Error(`${this.name} closed`);
    await this.pool.warm((): OfflineDecodeTask => ({ recognizer: this.recognizer }));
  }

  createStream(opts: SttOptions = {}): SttStream {
    if (this.closed) throw new Error(`${this.name} closed`);
    let parts: Int16Array[] = [];
    let done = false;
    // Our own controller: stream.cancel() and the caller's signal both end the pending finish().
    const cancelled = new AbortController();
    const onAbort = () => stream.cancel();
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const stream: SttStream = {
      accept: (pcm) => {
        if (done || !pcm.length) return;
        // Kept by reference (transports never write to a frame again, see CallPipeline.pushAudio);
        // finish() joins them into one copy of its own, which it may then move to the thread.
        parts.push(pcm);
      },
      onPartial: () => () => {},
      finish: async (): Promise<SttResult> => {
        if (done) throw new Error('stream already finished or cancelled');
        done = true;
        const started = performance.now();
        const pcm = concatInt16(parts); // always a copy: the caller's frames must not be moved away
        parts = [];
        if (pcm.length < this.minSamples) {
          opts.signal?.removeEventListener('abort', onAbort);
          return { text: '', latencyMs: performance.now() - started };
        }
        try {
          const task: OfflineDecodeTask = { recognizer: this.recognizer, pcm };
          const r = await this.pool.run<OfflineDecodeResult>(task, { transferList: [pcm.buffer as ArrayBuffer], signal: cancelled.signal });
          return { text: r.text, latencyMs: performance.now() - started };
        } finally {
          opts.signal?.removeEventListener('abort', onAbort);
        }
      },
      cancel: () => {
        opts.signal?.removeEventListener('abort', onAbort);
        parts = [];
        if (!done) {
          done = true;
          return;
        }
        // finish() is pending: a queued decode is dropped, a running one finishes on its thread unheard.
        cancelled.abort(abortError());
      },
    };
    return stream;
  }

  async transcribe(pcm: Int16Array, opts: SttOptions = {}): Promise<SttResult> {
    const s = this.createStream(opts);
    s.accept(pcm);
    return s.finish();
  }

  /** Refuses new utterances, lets running decodes finish (a thread is never terminated mid-decode), then ends the threads. */
  async close(): Promise<void> {
    this.closed = true;
    await this.pool.close();
  }
}
