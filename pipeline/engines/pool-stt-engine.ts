/**
 * What an STT engine on a StreamWorkerPool needs (today only the online sherpa-onnx one; offline
 * STT is a piscina task, stt-sherpa-offline.ts): a StreamWorkerPool of its own (or a given one), a
 * session module that decodes inside it, health from the pool, warming every worker, streams
 * opened as pool sessions, and closing. Subclasses say which model and how a whole clip is fed
 * (`transcribe`).
 */
import type { StreamWorkerPool } from '../workers/stream-worker-pool.ts';
import { openPoolSttStream, type PoolSttStream, type SttSessionEvent } from './pool-stt-stream.ts';
import type { EngineHealth, SttEngine, SttOptions, SttResult } from './types.ts';

export abstract class PoolSttEngine implements SttEngine {
  abstract readonly name: string;
  abstract readonly streaming: boolean;
  private lastError: string | null = null;
  private closed = false;

  constructor(
    private readonly pool: StreamWorkerPool,
    private readonly ownPool: boolean,
    private readonly sessionModule: URL,
    private readonly config: unknown,
    /** What a pool session is, for /health ('streams', 'utterances'). */
    private readonly sessionNoun: string,
  ) {}

  health(): EngineHealth {
    const h = this.pool.health();
    const pool = `${h.sessions} ${this.sessionNoun} on ${h.workers} worker(s), ${h.restarts} restart(s)`;
    return { name: this.name, ok: h.ok && this.lastError === null, detail: this.lastError ? `${this.lastError}; ${pool}` : pool };
  }

  /** Load the model into every worker now, so the first call does not wait for it. Rejects if it cannot load. */
  async warm(): Promise<void> {
    await warmPool(this.pool, this.sessionModule, this.config);
  }

  createStream(opts: SttOptions = {}): PoolSttStream {
    if (this.closed) throw new Error(`${this.name} closed`);
    return openPoolSttStream(
      { pool: this.pool, module: this.sessionModule, config: this.config, name: this.name, onStatus: (e) => (this.lastError = e) },
      opts,
    );
  }

  abstract transcribe(pcm: Int16Array, opts?: SttOptions): Promise<SttResult>;

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
