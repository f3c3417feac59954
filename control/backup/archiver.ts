/**
 * Zips and unzips backups on one piscina thread (archive-jobs.ts), started on first use and ended
 * when idle: a gateway that never makes a backup never holds the thread. One thread: backups are
 * bulk work, and the other core belongs to live calls.
 */
import { Piscina } from 'piscina';
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

export class Archiver {
  #pool: Piscina | null = null;

  constructor(private readonly idleTimeoutMs = 30_000) {}

  #run<T>(job: unknown, transferList: ArrayBuffer[]): Promise<T> {
    this.#pool ??= new Piscina({
      filename: new URL('./archive-worker.mjs', import.meta.url).href,
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: this.idleTimeoutMs,
    });
    return this.#pool.run(job, { transferList });
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
    const pool = this.#pool;
    this.#pool = null;
    await pool?.destroy();
  }
}
