/**
 * Decodes uploaded audio files off the event loop: stateless jobs (unlike the call-affine stream
 * workers) running media/audio-file-decode.ts on the control plane's bulk-work thread
 * (bulk-work-pool.ts), or on a pool of its own when none is given (tests, benches).
 */
import { AudioDecodeError, type DecodedAudioFile } from '../../media/audio-file-decode.ts';
import { BulkWorkPool, type BulkWorkPoolOptions } from '../bulk-work-pool.ts';

const WORKER = new URL('./upload-decode-worker.mjs', import.meta.url);

type WorkerResult = ({ ok: true } & DecodedAudioFile) | { ok: false; code: AudioDecodeError['code']; message: string };

export class UploadDecoder {
  readonly #pool: BulkWorkPool;
  readonly #ownPool: boolean;

  /** `pool`: a shared one (not closed by close()); else one of its own with these options. */
  constructor(opts: BulkWorkPoolOptions & { pool?: BulkWorkPool } = {}) {
    this.#pool = opts.pool ?? new BulkWorkPool(opts);
    this.#ownPool = !opts.pool;
  }

  /** Throws AudioDecodeError for input it cannot or will not decode. */
  async decode(file: Uint8Array, opts: { sampleRate: number; maxSeconds: number; signal?: AbortSignal }): Promise<DecodedAudioFile> {
    // A private copy whose buffer can be moved to the worker (the upload may be a slice of a larger body).
    const bytes = new Uint8Array(file).buffer;
    const r = await this.#pool.run<WorkerResult>(WORKER, { bytes, sampleRate: opts.sampleRate, maxSeconds: opts.maxSeconds }, { transferList: [bytes], signal: opts.signal });
    if (!r.ok) throw new AudioDecodeError(r.code, r.message);
    const { ok: _ok, ...decoded } = r;
    return decoded;
  }

  get threads(): number {
    return this.#pool.threads;
  }

  async close(): Promise<void> {
    if (this.#ownPool) await this.#pool.close();
  }
}
