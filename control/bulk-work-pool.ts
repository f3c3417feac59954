/**
 * The control plane's one thread for bulk jobs: decoding uploaded audio (stt/upload-decoder.ts)
 * and packing, hashing and unpacking backups (backup/archiver.ts). A piscina pool started on first
 * use and ended when idle, so a gateway that never gets such a job never holds the thread. One
 * thread for all of them, not one per kind of job: the other core belongs to live calls, and two
 * pools could take it at once (a backup while an upload decodes). Each job names its worker module.
 */
import { Piscina } from 'piscina';

export interface BulkWorkPoolOptions {
  /** Default 1. */
  maxThreads?: number;
  /** Idle time after which the thread exits (default 30 s). */
  idleTimeoutMs?: number;
}

export class BulkWorkPool {
  #pool: Piscina | null = null;

  constructor(private readonly opts: BulkWorkPoolOptions = {}) {}

  /** Runs the default export of `worker` (a module URL) on `task`; buffers in `transferList` are moved. */
  run<T>(worker: URL, task: unknown, opts: { transferList?: ArrayBuffer[]; signal?: AbortSignal } = {}): Promise<T> {
    this.#pool ??= new Piscina({ minThreads: 0, maxThreads: this.opts.maxThreads ?? 1, idleTimeout: this.opts.idleTimeoutMs ?? 30_000 });
    return this.#pool.run(task, { ...opts, filename: worker.href });
  }

  /** Threads running now (0 when idle). */
  get threads(): number {
    return this.#pool?.threads.length ?? 0;
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    await pool?.destroy();
  }
}
