/**
 * Zips and unzips backups (archive-jobs.ts) on the control plane's bulk-work thread
 * (bulk-work-pool.ts), or on a pool of its own when none is given (tests, benches).
 */
import { BulkWorkPool } from '../bulk-work-pool.ts';
import type { PackJob, PackResult, UnpackedEntry, UnzipResult } from './archive-jobs.ts';

/** The archive itself cannot be read (not a zip, damaged, unpacks too large): the client's fault. */
export class InvalidArchiveError extends Error {
  override readonly name = 'InvalidArchiveError';
}

/**
 * `data` as a typed array that owns its whole buffer, so the buffer can be moved to the thread; a
 * view into a larger or shared buffer is copied (new Uint8Array(view) copies; a Buffer's slice()
 * would not, and moving it would detach memory others still read).
 */
function movable(data: Uint8Array): Uint8Array {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && !(data.buffer instanceof SharedArrayBuffer) ? data : new Uint8Array(data);
}

const WORKER = new URL('./archive-worker.mjs', import.meta.url);

export class Archiver {
  readonly #pool: BulkWorkPool;
  readonly #ownPool: boolean;

  /** `pool`: a shared one (not closed by close()); else one thread of its own. */
  constructor(pool?: BulkWorkPool) {
    this.#pool = pool ?? new BulkWorkPool();
    this.#ownPool = !pool;
  }

  #run<T>(job: unknown, transferList: ArrayBuffer[]): Promise<T> {
    return this.#pool.run<T>(WORKER, job, { transferList });
  }

  /**
   * A backup zip of the entries with manifest.json (the manifest with `entries` filled in) and
   * SHA256SUMS, the finished manifest, and the zip's sha256. The entries' buffers are moved to the
   * thread: the caller must not use them afterwards.
   */
  async pack(job: Omit<PackJob, 'op'>): Promise<PackResult> {
    const entries = job.entries.map((e) => ({ ...e, data: movable(e.data) }));
    const buffers = [...new Set(entries.map((e) => e.data.buffer as ArrayBuffer))];
    return this.#run<PackResult>({ ...job, op: 'pack', entries } satisfies PackJob, buffers);
  }

  /**
   * Every entry and its sha256, and the zip's; rejects with InvalidArchiveError when the archive
   * cannot be read (any other rejection is the thread's). `zip`'s buffer is moved.
   */
  async unzip(zip: Uint8Array, maxUnpacked: number): Promise<{ entries: Map<string, UnpackedEntry>; sha256: string }> {
    const data = movable(zip);
    const r = await this.#run<UnzipResult>({ op: 'unzip', zip: data, maxUnpacked }, [data.buffer as ArrayBuffer]);
    if (!r.ok) throw new InvalidArchiveError(r.message);
    return { entries: new Map(r.entries.map(({ name, ...e }) => [name, e])), sha256: r.sha256 };
  }

  async close(): Promise<void> {
    if (this.#ownPool) await this.#pool.close();
  }
}
