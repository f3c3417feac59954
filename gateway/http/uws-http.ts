/**
 * The control plane's HTTP port (control/http/http-port.ts) on uWS. One exchange per request, made
 * safe to use from async code: it records an abort so nothing writes to a dead response, corks
 * every write, reads the body with a size limit, waits out backpressure on streamed answers, and
 * closes the connection when we answer before the client finished sending (the rest of its body
 * would otherwise be parsed as the next request).
 */
import { STATUS_CODES } from 'node:http';
import { payloadTooLarge } from '../../control/http/errors.ts';
import { ClientAbortedError, type Header, type HttpRequest, type HttpResponse, type HttpService, type ResponseStream } from '../../control/http/http-port.ts';
import type { UWS } from '../uws.ts';

const statusLine = (code: number) => `${code} ${STATUS_CODES[code] ?? 'Unknown'}`;
const decoder = new TextDecoder();

/** The peer's address as text (read it in the synchronous part of a handler). */
export const remoteAddress = (res: UWS.HttpResponse): string => decoder.decode(res.getRemoteAddressAsText());

/** Serve `service` on `app`: each of its prefixes and everything below it. */
export function serveHttp(app: UWS.TemplatedApp, service: HttpService): void {
  const handle = (res: UWS.HttpResponse, req: UWS.HttpRequest) => {
    const exchange = new UwsExchange(res, req);
    service.handle(exchange, exchange);
  };
  for (const prefix of service.prefixes) {
    app.any(prefix, handle);
    app.any(`${prefix}/*`, handle);
  }
}

const closedStream: ResponseStream = { write: async () => false, closed: true, finish: () => {}, abort: () => {} };

export class UwsExchange implements HttpRequest, HttpResponse {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Record<string, string> = {};
  readonly remoteAddress: string;
  #aborted = false;
  #answered = false;
  #bodyPending = false;
  readonly #abort = new AbortController();
  /** Rejects the body being read; resolves the write waiting for the socket: both when the client leaves. */
  #bodyFailed: ((err: Error) => void) | null = null;
  #writableWaiter: (() => void) | null = null;

  constructor(
    private readonly res: UWS.HttpResponse,
    req: UWS.HttpRequest,
  ) {
    // Everything from `req` must be read now: uWS frees it when the handler returns.
    this.method = req.getMethod().toUpperCase();
    this.path = req.getUrl();
    this.query = req.getQuery() ?? '';
    req.forEach((k, v) => {
      this.headers[k] = v;
    });
    this.remoteAddress = remoteAddress(res);
    res.onAborted(() => {
      this.#aborted = true;
      this.#abort.abort(new ClientAbortedError('client went away'));
      this.#bodyFailed?.(new ClientAbortedError('client went away'));
      this.#writableWaiter?.();
    });
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  readBody(limit: number): Promise<Buffer> {
    this.#bodyPending = true;
    const declared = Number(this.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return Promise.reject(payloadTooLarge(limit));
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      this.#bodyFailed = reject;
      this.res.onData((chunk, isLast) => {
        if (failed) return;
        size += chunk.byteLength;
        if (size > limit) {
          failed = true;
          reject(payloadTooLarge(limit));
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

  send(status: number, headers: readonly Header[], body: string | Buffer): void {
    if (this.#answered || this.#aborted) return;
    this.#answered = true;
    this.res.cork(() => {
      this.#head(status, headers);
      this.res.end(body, this.#bodyPending);
    });
  }

  stream(status: number, headers: readonly Header[], length?: number): ResponseStream {
    if (this.#answered || this.#aborted) return closedStream;
    this.#answered = true;
    this.res.cork(() => this.#head(status, headers));
    return length === undefined ? this.#chunked() : this.#sized(length);
  }

  #head(status: number, headers: readonly Header[]): void {
    this.res.writeStatus(statusLine(status));
    for (const [k, v] of headers) this.res.writeHeader(k, v);
  }

  /** Chunked transfer encoding: a write that fills the socket resolves once uWS says it drained. */
  #chunked(): ResponseStream {
    const res = this.res;
    return this.#stream({
      write: (chunk) => {
        let ok = true;
        res.cork(() => {
          ok = res.write(chunk);
        });
        return ok ? Promise.resolve(true) : this.#whenWritable(() => true);
      },
      finish: () => res.cork(() => res.end()),
    });
  }

  /**
   * A body of `length` bytes with Content-Length: uWS's tryEnd takes what the socket can, and the
   * rest of a chunk is offered again from the offset uWS reports once it is writable.
   */
  #sized(length: number): ResponseStream {
    const res = this.res;
    let sent = 0;
    return this.#stream({
      write: (chunk, complete) => {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        if (sent + bytes.byteLength > length) return Promise.reject(new Error(`the body exceeds its declared ${length} bytes`));
        sent += bytes.byteLength;
        const offset = res.getWriteOffset();
        let result: [boolean, boolean] = [false, false];
        res.cork(() => {
          result = res.tryEnd(bytes, length);
        });
        if (result[1]) complete();
        if (result[0] || result[1]) return Promise.resolve(true);
        return this.#whenWritable((at) => {
          const [ok, done] = res.tryEnd(bytes.subarray(at - offset), length);
          if (done) complete();
          return ok || done;
        });
      },
      // Only an empty body is whole without a write; anything else short of `length` is cut.
      finish: () => (length === 0 ? res.cork(() => res.end('', this.#bodyPending)) : res.close()),
    });
  }

  /**
   * A response stream around a way to write and a way to finish: once finished, cut or left by
   * the client, writes answer false and nothing more reaches uWS. `complete`: uWS has the whole body.
   */
  #stream(how: { write(chunk: string | Uint8Array, complete: () => void): Promise<boolean>; finish(): void }): ResponseStream {
    const self = this;
    let ended = false;
    const complete = () => void (ended = true);
    return {
      get closed() {
        return self.#aborted;
      },
      write: (chunk) => (self.#aborted || ended ? Promise.resolve(false) : how.write(chunk, complete)),
      finish: () => {
        if (self.#aborted || ended) return;
        ended = true;
        how.finish();
      },
      // A stream that failed half-way is cut off, not ended: a client must not take it for complete.
      abort: () => {
        if (self.#aborted || ended) return;
        ended = true;
        self.res.close();
      },
    };
  }

  /**
   * Resolves true once `retry` (called from uWS's onWritable with the write offset) succeeds, false
   * if the client left first. The waiting writer is woken on a later turn of the loop: woken inside
   * the callback, its next write would run there too (microtasks drain before uWS returns), and an
   * onWritable handler set from inside one is lost, so a second stall would never end.
   */
  #whenWritable(retry: (offset: number) => boolean): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const wake = () => {
        this.#writableWaiter = null;
        resolve(!this.#aborted);
      };
      this.#writableWaiter = wake;
      this.res.onWritable((offset) => {
        const ok = retry(offset);
        if (ok) setImmediate(wake);
        return ok;
      });
    });
  }
}
