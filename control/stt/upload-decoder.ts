/**
 * Decodes uploaded audio files off the event loop: a piscina pool (stateless jobs, unlike the
 * call-affine stream workers) running media/audio-file-decode.ts. One thread by default: uploads
 * are bulk work and the other core belongs to live calls. Threads start on first use and exit when
 * idle, so a gateway that never receives an upload never holds one.
 */
import { Piscina } from 'piscina';
import { AudioDecodeError, type DecodedAudioFile } from '../../media/audio-file-decode.ts';

type WorkerResult = ({ ok: true } & DecodedAudioFile) | { ok: false; code: AudioDecodeError['code']; message: string };

export class UploadDecoder {
  #pool: Piscina | null = null;

  constructor(private readonly opts: { maxThreads?: number; idleTimeoutMs?: number } = {}) {}

  /** Throws AudioDecodeError for input it cannot or will not decode. */
  async decode(file: Uint8Array, opts: { sampleRate: number; maxSeconds: number; signal?: AbortSignal }): Promise<DecodedAudioFile> {
    this.#pool ??= new Piscina({
      filename: new URL('./upload-decode-worker.mjs', import.meta.url).href,
      minThreads: 0,
      maxThreads: this.opts.maxThreads ?? 1,
      idleTimeout: this.opts.idleTimeoutMs ?? 30_000,
    });
    // A private copy whose buffer can be moved to the worker (the upload may be a slice of a larger body).
    const bytes = new Uint8Array(file).buffer;
    const r = (await this.#pool.run({ bytes, sampleRate: opts.sampleRate, maxSeconds: opts.maxSeconds }, { transferList: [bytes], signal: opts.signal })) as WorkerResult;
    if (!r.ok) throw new AudioDecodeError(r.code, r.message);
    const { ok: _ok, ...decoded } = r;
    return decoded;
  }

  get threads(): number {
    return this.#pool?.threads.length ?? 0;
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    await pool?.destroy();
  }
}
