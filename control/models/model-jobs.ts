/**
 * Model downloads started through the admin API, as jobs a client polls: one per model at a time,
 * at most `maxRunning` downloading at once (the rest wait, `queued`), each moving through
 * `queued -> downloading -> verifying -> extracting -> done`, or to `failed` with our words and an
 * error id (what the network, the server or tar said goes to the log under that id only).
 *
 * Jobs live in this process: a restart forgets them, while a download cut by it keeps its .part
 * file and the next fetch of that model resumes it (models/fetch.ts). Finished jobs are kept, the
 * newest `keepFinished`, so a client that polls late still reads how its job ended.
 */
import { randomBytes } from 'node:crypto';
import { engineFailure, type EngineLog } from '../../pipeline/engines/engine-error.ts';
import { ModelFetchError, type FetchEvent, type ModelCatalog, type ModelEntry } from '../../pipeline/engines/model-catalog.ts';

export const JOB_STATES = ['queued', 'downloading', 'verifying', 'extracting', 'done', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface ModelJob {
  id: string;
  model: string;
  state: JobState;
  received_bytes: number;
  /** Null until the server said how big the file is (or when it never does). */
  total_bytes: number | null;
  /** Why it failed, in our words, ending with the error id; null unless `failed`. */
  error: string | null;
  error_id: string | null;
  started_at: string;
  finished_at: string | null;
}

/** A job id as it appears in /admin/models/jobs/:id. */
export const JOB_ID = /^[0-9a-f]{16}$/;

export class FetchRunningError extends Error {
  override name = 'FetchRunningError';
  constructor(readonly job: ModelJob) {
    super(`a fetch of ${job.model} is already running (job ${job.id})`);
  }
}

export interface ModelJobsOptions {
  /** Downloads at once; more wait in `queued` (default 2). */
  maxRunning?: number;
  /** Finished jobs remembered (default 50). */
  keepFinished?: number;
}

const ACTIVE: ReadonlySet<JobState> = new Set(['queued', 'downloading', 'verifying', 'extracting']);

export class ModelJobs {
  readonly #jobs = new Map<string, ModelJob>();
  readonly #queue: Array<{ job: ModelJob; entry: ModelEntry }> = [];
  readonly #running = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  readonly #maxRunning: number;
  readonly #keepFinished: number;

  constructor(
    readonly catalog: ModelCatalog,
    private readonly log: EngineLog,
    opts: ModelJobsOptions = {},
  ) {
    this.#maxRunning = opts.maxRunning ?? 2;
    this.#keepFinished = opts.keepFinished ?? 50;
  }

  /** Start fetching `entry` (a manifest entry: the caller looked the name up). Throws FetchRunningError. */
  start(entry: ModelEntry): ModelJob {
    if (this.#abort.signal.aborted) throw new Error('model downloads are shut down');
    const running = this.active(entry.name);
    if (running) throw new FetchRunningError(running);
    const job: ModelJob = { id: randomBytes(8).toString('hex'), model: entry.name, state: 'queued', received_bytes: 0, total_bytes: entry.sizeBytes, error: null, error_id: null, started_at: new Date().toISOString(), finished_at: null };
    this.#jobs.set(job.id, job);
    this.#queue.push({ job, entry });
    this.#next();
    return { ...job };
  }

  get(id: string): ModelJob | undefined {
    const job = this.#jobs.get(id);
    return job && { ...job };
  }

  /** Every job remembered, newest first. */
  list(): ModelJob[] {
    return [...this.#jobs.values()].reverse().map((j) => ({ ...j }));
  }

  /** The job fetching `model` now (queued or running), if any. */
  active(model: string): ModelJob | undefined {
    const job = [...this.#jobs.values()].find((j) => j.model === model && ACTIVE.has(j.state));
    return job && { ...job };
  }

  /** Stops every download (the .part files stay, to be resumed) and waits for them to end. */
  async close(): Promise<void> {
    this.#abort.abort();
    for (const { job } of this.#queue.splice(0)) this.#fail(job, 'the gateway shut down before the download started', null);
    await Promise.allSettled([...this.#running]);
  }

  #next(): void {
    while (this.#running.size < this.#maxRunning && this.#queue.length) {
      const { job, entry } = this.#queue.shift()!;
      const run = this.#run(job, entry).finally(() => {
        this.#running.delete(run);
        this.#next();
      });
      this.#running.add(run);
    }
  }

  async #run(job: ModelJob, entry: ModelEntry): Promise<void> {
    try {
      const r = await this.catalog.fetch(entry, (e) => this.#progress(job, e), this.#abort.signal);
      if (r.source !== 'download') job.received_bytes = job.total_bytes = r.sizeBytes; // installed already, or placed by hand
      job.state = 'done';
      job.finished_at = new Date().toISOString();
    } catch (err) {
      const summary = err instanceof ModelFetchError ? err.message : 'the download failed';
      const failure = engineFailure(this.log, 'models', `fetching ${entry.name}: ${summary}`, { model: entry.name, err: err instanceof ModelFetchError ? err.cause : err });
      this.#fail(job, failure.message, failure.errorId);
    }
    this.#forgetOld();
  }

  #progress(job: ModelJob, e: FetchEvent): void {
    switch (e.type) {
      case 'start':
        job.state = 'downloading';
        job.received_bytes = e.resumedFrom;
        if (e.total !== null) job.total_bytes = e.total;
        break;
      case 'progress':
        job.state = 'downloading';
        job.received_bytes = e.received;
        if (e.total !== null) job.total_bytes = e.total;
        break;
      case 'verify':
        job.state = 'verifying';
        break;
      case 'extract':
        job.state = 'extracting';
        break;
      default:
        break;
    }
  }

  #fail(job: ModelJob, error: string, errorId: string | null): void {
    job.state = 'failed';
    job.error = error;
    job.error_id = errorId;
    job.finished_at = new Date().toISOString();
  }

  #forgetOld(): void {
    const finished = [...this.#jobs.values()].filter((j) => !ACTIVE.has(j.state));
    for (const j of finished.slice(0, Math.max(0, finished.length - this.#keepFinished))) this.#jobs.delete(j.id);
  }
}
