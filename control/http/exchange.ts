/**
 * One request/response on uWS, made safe to use from async code: it records an abort so nothing
 * writes to a dead response, corks every write, reads the body with a size limit, and closes the
 * connection when we answer before the client finished sending (the rest of its body would
 * otherwise be parsed as the next request).
 */
import type { FileHandle } from 'node:fs/promises';
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

  /**
   * Answer with the first `size` bytes of an open file (closed when done): uWS's tryEnd sends the
   * Content-Length and tells us when the socket is full, so the file is read only as fast as the
   * client takes it. Resolves once sent or the client left. A file shorter than `size` (truncated
   * after it was measured) cuts the connection and rejects: a short body must not pass for the file.
   */
  sendFile(status: number, headers: ReadonlyArray<[string, string]>, contentType: string, fh: FileHandle, size: number): Promise<void> {
    const res = this.res;
    const head = () => {
      res.writeStatus(statusLine(status));
      for (const [k, v] of this.baseHeaders) res.writeHeader(k, v);
      for (const [k, v] of headers) res.writeHeader(k, v);
      res.writeHeader('Content-Type', contentType);
    };
    if (this.done || size === 0) {
      if (!this.done) res.cork(() => (head(), res.end('', this.#bodyPending)));
      this.#done = true;
      return fh.close();
    }
    this.#done = true;
    return new Promise<void>((resolve, reject) => {
      const stream = fh.createReadStream({ start: 0, end: size - 1, highWaterMark: 64 * 1024 });
      let started = false;
      let settled = false;
      let received = 0;
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        stream.destroy();
        if (err) reject(err);
        else resolve();
      };
      const cut = (err: Error) => {
        settle(err);
        if (!this.#aborted) res.close();
      };
      this.#onAbort.push(() => settle());
      stream.on('error', cut);
      stream.on('end', () => {
        if (received < size) cut(new Error(`file ended after ${received} of ${size} bytes`));
      });
      stream.on('data', (chunk: string | Buffer) => {
        if (settled || typeof chunk === 'string') return;
        received += chunk.byteLength;
        const offset = res.getWriteOffset();
        let result: [boolean, boolean] = [false, false];
        res.cork(() => {
          if (!started) head();
          started = true;
          result = res.tryEnd(chunk, size);
        });
        if (result[1]) return settle();
        if (result[0]) return;
        // The socket is full: hold the file until uWS says how much of this chunk it took.
        stream.pause();
        res.onWritable((at) => {
          const [ok, ended] = res.tryEnd(chunk.subarray(at - offset), size);
          if (ended) settle();
          else if (ok) stream.resume();
          return ok;
        });
      });
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
