/**
 * A piscina pool for stateless inference jobs whose threads hold native models (offline STT: one
 * utterance in, its text out), which never terminates a thread in the middle of a task.
 *
 * Why the care: piscina aborts a task that is already on a thread by terminating that thread
 * (taskInfo.onAbort -> _removeWorker), and Worker.terminate() while sherpa-onnx native code runs
 * aborts the whole process ("terminate called after throwing Napi::Error"). So:
 * - tasks wait in a queue of our own and are handed to piscina only when a thread is free; an
 *   AbortSignal removes a task that is still waiting, while a task already on a thread runs to its
 *   end and only its result is dropped. piscina's own AbortSignal is never used.
 * - close() refuses what is still waiting, waits for what runs, and only then destroys the pool.
 * - threads are fixed (minThreads === maxThreads, idleTimeout Infinity): each loads its model
 *   once and keeps it. A thread that crashes (process.exit, an uncaught error) fails only the task
 *   it ran; piscina starts a replacement, counted in health().restarts.
 */
import { Piscina } from 'piscina';

export interface TaskPoolOptions {
  /** The piscina worker module (an .mjs that registers tsx if it loads TypeScript). */
  filename: URL;
  /** Threads, i.e. tasks in parallel (default 1). */
  threads?: number;
  /** For error messages. */
  name: string;
}

export interface RunOptions {
  /** Buffers moved to the thread with the task (the caller must not use them afterwards). */
  transferList?: ArrayBuffer[];
  /** Drops the task if it has not reached a thread yet, else only its result; the promise rejects with an AbortError. */
  signal?: AbortSignal;
}

export interface TaskPoolHealth {
  threads: number;
  running: number;
  queued: number;
  /** Threads replaced after a crash. */
  restarts: number;
  lastError: string | null;
}

interface Job {
  task: unknown;
  transferList?: ArrayBuffer[];
  signal?: AbortSignal;
  onAbort?: () => void;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

function abortError(signal: AbortSignal): Error {
  const err = new Error(signal.reason instanceof Error ? signal.reason.message : 'aborted');
  err.name = 'AbortError';
  return err;
}

export class TaskPool {
  readonly threads: number;
  private readonly name: string;
  private readonly filename: URL;
  private pool: Piscina | null = null;
  private readonly queue: Job[] = [];
  /** Tasks on a thread (settled when the thread is done with them, whether or not their caller still waits). */
  private readonly running = new Set<Promise<unknown>>();
  private restarts = 0;
  private pumpScheduled = false;
  private lastError: string | null = null;
  private closing: Promise<void> | null = null;

  constructor(opts: TaskPoolOptions) {
    this.threads = Math.max(1, Math.floor(opts.threads ?? 1));
    this.name = opts.name;
    this.filename = opts.filename;
  }

  /** Threads start on first use (warm() or the first task), not at construction. */
  private piscina(): Piscina {
    if (this.pool) return this.pool;
    const pool = new Piscina({
      filename: this.filename.href, // (piscina's `name` option picks the exported function, not a thread name)
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: 1,
    });
    pool.on('workerDestroy', () => {
      // Threads are only destroyed by a crash or by close(): idleTimeout is Infinity and nothing aborts.
      if (!this.closing) this.restarts++;
    });
    // A thread that fails with no task on it: piscina emits 'error' (unhandled, it would throw).
    pool.on('error', (err: Error) => {
      this.lastError = `${this.name}: ${err.message}`;
    });
    this.pool = pool;
    return pool;
  }

  run<R>(task: unknown, opts: RunOptions = {}): Promise<R> {
    if (this.closing) return Promise.reject(new Error(`${this.name} closed`));
    if (opts.signal?.aborted) return Promise.reject(abortError(opts.signal));
    return new Promise<R>((resolve, reject) => {
      const job: Job = { task, transferList: opts.transferList, signal: opts.signal, resolve: resolve as (v: unknown) => void, reject };
      if (opts.signal) {
        const signal = opts.signal;
        job.onAbort = () => {
          const waiting = this.queue.indexOf(job);
          if (waiting >= 0) this.queue.splice(waiting, 1);
          // On a thread already: it runs to its end; settle() below then finds the caller gone.
          job.resolve = () => {};
          job.reject = () => {};
          reject(abortError(signal));
        };
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.schedulePump();
    });
  }

  /** One task per thread at once (a thread takes one task at a time, so each gets one): every thread loads its model. */
  async warm(task: () => unknown): Promise<void> {
    await Promise.all(Array.from({ length: this.threads }, () => this.run(task())));
  }

  /**
   * Tasks submitted during one synchronous stretch are handed to threads after it, not one by one
   * inside it: a burst of utterances (each copied on this thread) is not slowed by decodes that
   * already compete with it for the cores (8 x 30 s at once on 2 threads, 2 cores: worst loop lag
   * typically ~12-30 ms dispatching inside the burst, ~6-10 ms after it).
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.running.size < this.threads && this.queue.length) {
      const job = this.queue.shift()!;
      const settle = (ok: boolean, value: unknown) => {
        if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
        if (ok) {
          this.lastError = null;
          job.resolve(value);
        } else {
          const err = value instanceof Error ? value : new Error(String(value));
          this.lastError = `${this.name}: ${err.message}`;
          job.reject(new Error(`${this.name}: ${err.message}`, { cause: err }));
        }
      };
      const p: Promise<unknown> = this.piscina()
        .run(job.task, job.transferList?.length ? { transferList: job.transferList } : {})
        .then(
          (v) => settle(true, v),
          (e) => settle(false, e),
        )
        .finally(() => {
          this.running.delete(p);
          this.pump();
        });
      this.running.add(p);
    }
  }

  health(): TaskPoolHealth {
    return {
      threads: this.pool?.threads.length ?? 0,
      running: this.running.size,
      queued: this.queue.length,
      restarts: this.restarts,
      lastError: this.lastError,
    };
  }

  /** Refuses waiting tasks, lets running ones finish (their callers get their results), then ends the threads. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const job of this.queue.splice(0)) {
        if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
        job.reject(new Error(`${this.name} closed`));
      }
      while (this.running.size) await Promise.allSettled([...this.running]);
      const pool = this.pool;
      this.pool = null;
      await pool?.destroy();
    })();
    return this.closing;
  }
}
