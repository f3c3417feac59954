/**
 * Zips and unzips backups on one piscina thread (archive-jobs.ts), started on first use and ended
 * when idle: a gateway that never makes a backup never holds the thread. One thread: backups are
 * bulk work, and the other core belongs to live calls.
 */
import { Piscina } from 'piscina';
import { readPacked, readUnzipped, type PackJob, type PackManifest, type UnpackedEntry } from './archive-jobs.ts';

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
  async pack(job: Omit<PackJob, 'op'>): Promise<{ manifest: PackManifest; sha256: string; zip: Uint8Array }> {
    const entries = job.entries.map((e) => ({ ...e, data: movable(e.data) }));
    const buffers = [...new Set(entries.map((e) => e.data.buffer as ArrayBuffer))];
    return readPacked(await this.#run<Uint8Array>({ ...job, op: 'pack', entries } satisfies PackJob, buffers));
  }

  /** Every entry and its sha256, and the zip's; rejects with why the archive cannot be read. `zip`'s buffer is moved. */
  async unzip(zip: Uint8Array, maxUnpacked: number): Promise<{ entries: Map<string, UnpackedEntry>; sha256: string }> {
    const data = movable(zip);
    return readUnzipped(await this.#run<Uint8Array>({ op: 'unzip', zip: data, maxUnpacked }, [data.buffer as ArrayBuffer]));
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    await pool?.destroy();
  }
}
