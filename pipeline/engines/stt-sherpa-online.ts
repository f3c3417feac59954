/**
 * Streaming STT with sherpa-onnx's OnlineRecognizer (streaming transducer/zipformer, paraformer,
 * zipformer2-CTC, T-one CTC) from a model directory. Decoding runs in StreamWorkerPool threads,
 * never on the gateway's event loop; each call's stream is a session pinned to one worker, where
 * its model state lives (pipeline/workers/stt-online-session.ts). A crashing worker ends only its
 * own calls: their finish() rejects and onError listeners hear it; the pool replaces the thread.
 *
 * Partials arrive while the caller speaks (onPartial); sherpa's endpoint rules are reported too
 * (onEndpoint), so the turn manager can combine them with VAD silence.
 */
import { StreamWorkerPool } from '../workers/stream-worker-pool.ts';
import type { OnlineSttSessionConfig } from '../workers/stt-online-session.ts';
import { openPoolSttStream, type PoolSttStream, type SttSessionEvent } from './pool-stt-stream.ts';
import { onlineRecognizerConfig, resolveModel, type OnlineEndpointOptions, type ResolvedModel, type SherpaModelSpec, type SherpaRuntimeOptions } from './sherpa-model-dir.ts';
import type { EngineHealth, SttEngine, SttOptions, SttResult } from './types.ts';

export interface SherpaOnlineSttOptions extends SherpaModelSpec, SherpaRuntimeOptions, OnlineEndpointOptions {
  /** Shared pool (e.g. the VAD's: a streaming decode step is short); by default the engine makes its own. */
  pool?: StreamWorkerPool;
  /** Threads of the engine's own pool (default 1); each loads the model once. */
  poolSize?: number;
}

const SESSION_MODULE = new URL('../workers/stt-online-session.ts', import.meta.url);

export class SherpaOnlineStt implements SttEngine {
  readonly name: string;
  readonly streaming = true;
  readonly model: ResolvedModel;
  private readonly pool: StreamWorkerPool;
  private readonly ownPool: boolean;
  private readonly config: OnlineSttSessionConfig;
  private lastError: string | null = null;
  private closed = false;

  /** Checks the model directory now (throws ModelDirError); the model loads in a worker on first use or warm(). */
  constructor(opts: SherpaOnlineSttOptions) {
    this.model = resolveModel('stt-online', opts);
    this.name = `sherpa-online-${this.model.type}`;
    this.config = { recognizer: onlineRecognizerConfig(this.model, opts) };
    this.ownPool = !opts.pool;
    this.pool = opts.pool ?? new StreamWorkerPool({ size: opts.poolSize ?? 1, name: 'stt-online' });
  }

  health(): EngineHealth {
    const h = this.pool.health();
    const pool = `${h.sessions} streams on ${h.workers} worker(s), ${h.restarts} restart(s)`;
    return { name: this.name, ok: h.ok && this.lastError === null, detail: this.lastError ? `${this.lastError}; ${pool}` : pool };
  }

  /** Load the model into every worker now, so the first call does not wait for it. Rejects if it cannot load. */
  async warm(): Promise<void> {
    await warmPool(this.pool, SESSION_MODULE, this.config);
  }

  createStream(opts: SttOptions = {}): PoolSttStream {
    if (this.closed) throw new Error(`${this.name} closed`);
    return openPoolSttStream(
      { pool: this.pool, module: SESSION_MODULE, config: this.config, name: this.name, onStatus: (e) => (this.lastError = e) },
      opts,
    );
  }

  async transcribe(pcm: Int16Array, opts: SttOptions = {}): Promise<SttResult> {
    const s = this.createStream(opts);
    for (let i = 0; i < pcm.length; i += 3200) s.accept(pcm.subarray(i, i + 3200));
    return s.finish();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.ownPool) await this.pool.close();
  }
}

/** Open one session per worker at once (the pool spreads them) and close them: each worker loads the model. */
export async function warmPool(pool: StreamWorkerPool, module: URL, config: unknown): Promise<void> {
  const sessions = await Promise.all(
    Array.from({ length: pool.size }, () => pool.open<SttSessionEvent>(module, config, { onEvents: () => {}, onError: () => {} })),
  );
  await Promise.all(sessions.map((s) => s.close()));
}
