/**
 * One request/response on uWS, made safe to use from async code: it records an abort so nothing
 * writes to a dead response, corks every write, reads the body with a size limit, and closes the
 * connection when we answer before the client finished sending (the rest of its body would
 * otherwise be parsed as the next request).
 */
import { STATUS_CODES } from 'node:http';
import type { UWS } from '../../gateway/uws.ts';
import { HttpError } from './errors.ts';
import type { StreamSink } from './route.ts';

const statusLine = (code: number) => `${code} ${STATUS_CODES[code] ?? 'Unknown'}`;

export class ClientAbortedError extends Error {
  override name = 'ClientAbortedError';
}

export class Exchange {
  #aborted = false;
  #done = false;
  #bodyPending = false;
  readonly #abort = new AbortController();
  readonly #onAbort: Array<() => void> = [];

  constructor(
    private readonly res: UWS.HttpResponse,
    private readonly baseHeaders: ReadonlyArray<[string, string]>,
  ) {
    res.onAborted(() => {
      this.#aborted = true;
      this.#abort.abort(new ClientAbortedError('client went away'));
      for (const f of this.#onAbort) f();
    });
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  get done(): boolean {
    return this.#done || this.#aborted;
  }

  /**
   * Read the whole body (must be called in the synchronous part of the uWS handler). Rejects with
   * 413 as soon as the limit is passed, without buffering the rest.
   */
  readBody(limit: number, declaredLength: number | undefined): Promise<Buffer> {
    if (declaredLength !== undefined && declaredLength > limit) {
      this.#bodyPending = true;
      return Promise.reject(tooLarge(limit));
    }
    this.#bodyPending = true;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      this.#onAbort.push(() => reject(new ClientAbortedError('client went away')));
      this.res.onData((chunk, isLast) => {
        if (failed) return;
        size += chunk.byteLength;
        if (size > limit) {
          failed = true;
          reject(tooLarge(limit));
          return;
        }
        // uWS reuses the chunk's memory after this callback returns: copy it now.
        chunks.push(Buffer.from(chunk.slice(0)));
        if (isLast) {
          this.#bodyPending = false;
          resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
        }
      });
    });
  }

  send(status: number, headers: ReadonlyArray<[string, string]>, contentType: string | null, body: string | Buffer): void {
    if (this.done) return;
    this.#done = true;
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status));
      for (const [k, v] of this.baseHeaders) this.res.writeHeader(k, v);
      for (const [k, v] of headers) this.res.writeHeader(k, v);
      if (contentType) this.res.writeHeader('Content-Type', contentType);
      this.res.end(body, this.#bodyPending);
    });
  }

  /** Start a streamed answer (SSE); `finish` ends it. Writes wait out backpressure. */
  startStream(status: number, headers: ReadonlyArray<[string, string]>, contentType: string): StreamSink & { finish(): void; abort(): void } {
    if (this.done) return { write: async () => false, closed: true, finish: () => {}, abort: () => {} };
    this.#done = true;
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status));
      for (const [k, v] of this.baseHeaders) this.res.writeHeader(k, v);
      for (const [k, v] of headers) this.res.writeHeader(k, v);
      this.res.writeHeader('Content-Type', contentType);
    });
    let waiting: (() => void) | null = null;
    let ended = false;
    this.#onAbort.push(() => waiting?.());
    const self = this;
    return {
      get closed() {
        return self.#aborted;
      },
      write: (chunk) => {
        if (self.#aborted || ended) return Promise.resolve(false);
        let ok = true;
        self.res.cork(() => {
          ok = self.res.write(chunk);
        });
        if (ok) return Promise.resolve(true);
        return new Promise<boolean>((resolve) => {
          waiting = () => {
            waiting = null;
            resolve(!self.#aborted);
          };
          self.res.onWritable(() => {
            waiting?.();
            return true;
          });
        });
      },
      finish: () => {
        if (self.#aborted || ended) return;
        ended = true;
        self.res.cork(() => self.res.end());
      },
      // A stream that failed half-way is cut off, not ended: a client must not take it for complete.
      abort: () => {
        if (self.#aborted || ended) return;
        ended = true;
        self.res.close();
      },
    };
  }
}

const tooLarge = (limit: number) => new HttpError(413, 'payload_too_large', `the body exceeds ${limit} bytes`);
