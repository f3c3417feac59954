/**
 * An HTTP server as the control plane sees it, and all it knows of one: a request (method, path,
 * query, headers, the peer's address, a body read under a size limit) and a response (a whole
 * body, or a stream of chunks whose writes wait out backpressure: server-sent events and chunked
 * PCM have no length, a file download declares one). gateway/ adapts uWebSockets.js to these shapes
 * (gateway/http/uws-http.ts), so the router and its rules hold whatever serves them, and only
 * gateway/ knows uWS (DESIGN.md, "Layout").
 */
import type { StreamSink } from './route.ts';

export type Header = [string, string];

export interface HttpRequest {
  /** Upper case. */
  readonly method: string;
  /** Without the query string. */
  readonly path: string;
  /** The query string without its `?` ('' when none). */
  readonly query: string;
  /** Lower-case names. */
  readonly headers: Record<string, string>;
  /** The peer's address, whatever X-Forwarded-For says. */
  readonly remoteAddress: string;
  /**
   * The whole body, read as it arrives. Rejects with a 413 HttpError (`payloadTooLarge`) as soon as
   * the body, or its declared Content-Length, passes `limit`, without buffering the rest; with
   * ClientAbortedError when the client goes away. Call it before `handle` returns: a server may
   * discard a body nobody asked for by then (uWS does).
   */
  readBody(limit: number): Promise<Buffer>;
}

export interface HttpResponse {
  /** Aborts, with a ClientAbortedError as its reason, when the client goes away. */
  readonly signal: AbortSignal;
  /** The client went away: nothing sent from now on reaches it. */
  readonly aborted: boolean;
  /**
   * A whole answer (headers include Content-Type when there is one). Answering before the request
   * body was read to its end closes the connection afterwards, so the rest of that body is not
   * taken for the next request. Does nothing once answered or aborted.
   */
  send(status: number, headers: readonly Header[], body: string | Buffer): void;
  /**
   * Start a streamed answer: the head goes out now, the body as it is written. Without `length`
   * the body is chunked; with it, that many bytes follow as Content-Length says, and finishing
   * short of it cuts the connection (a short body must not pass for the whole). Once answered or
   * aborted, a stream that is already closed.
   */
  stream(status: number, headers: readonly Header[], length?: number): ResponseStream;
}

export interface ResponseStream extends StreamSink {
  /** The answer is complete. */
  finish(): void;
  /** The answer failed half-way: the connection is cut, so the client cannot take it for complete. */
  abort(): void;
}

export class ClientAbortedError extends Error {
  override name = 'ClientAbortedError';
}

/** What the control plane serves over HTTP: every path under one of `prefixes`. */
export interface HttpService {
  /** `/admin`, `/v1`: each, and everything below it. */
  readonly prefixes: readonly string[];
  /** Called once per request, synchronously by the server (see `readBody`). */
  handle(req: HttpRequest, res: HttpResponse): void;
}
