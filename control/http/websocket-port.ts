/**
 * A WebSocket endpoint as the control plane defines it, and a connected socket as it sees one.
 * gateway/ serves such an endpoint on uWebSockets.js (gateway/http/uws-websocket.ts); control/
 * never touches the server library. The upgrade is decided before any socket exists (credential,
 * rate limits, the subprotocol to answer with), and may take its time: the server keeps the
 * request open meanwhile and drops the decision if the client has left by then.
 */
import type { HttpError } from './errors.ts';

export interface UpgradeRequest {
  /** Lower-case names. */
  readonly headers: Record<string, string>;
  /** The peer's address, whatever X-Forwarded-For says. */
  readonly remoteAddress: string;
  /** The subprotocols offered in Sec-WebSocket-Protocol, trimmed, in the client's order. */
  readonly protocols: readonly string[];
  /** Aborts when the client goes away before the decision: slow work for it can stop. */
  readonly signal: AbortSignal;
}

export type UpgradeDecision<S> =
  /** `protocol`: the subprotocol to answer with, one the client offered; '' for none. */
  | { accept: true; state: S; protocol: string }
  /** Answered with this error's status, headers and JSON body; no socket. */
  | { accept: false; error: HttpError };

export interface WebSocketPeer<S> {
  /** What the upgrade decided to keep for this connection. */
  readonly state: S;
  /** A string is sent as a text frame, bytes as a binary frame. Nothing is sent once closed. */
  send(message: string | Uint8Array): void;
  /** Bytes queued toward the client that the socket has not taken yet (0 once closed). */
  readonly bufferedAmount: number;
  /** Close with this code and reason; nothing is sent after it. */
  end(code: number, reason: string): void;
}

export interface WebSocketService<S> {
  readonly path: string;
  /** A larger message drops the connection (the transport refuses it outright). */
  readonly maxMessageBytes: number;
  /** A connection silent this long is closed. */
  readonly idleTimeoutS: number;
  /** Bytes the transport may queue toward one client; throttle below it with `bufferedAmount` and `drain`. */
  readonly maxBackpressureBytes: number;
  upgrade(req: UpgradeRequest): Promise<UpgradeDecision<S>>;
  open(peer: WebSocketPeer<S>): void;
  /** `data` is only valid during the call: copy what must outlive it. */
  message(peer: WebSocketPeer<S>, data: ArrayBuffer, isBinary: boolean): void;
  /** The socket took queued bytes: `bufferedAmount` went down. */
  drain(peer: WebSocketPeer<S>): void;
  close(peer: WebSocketPeer<S>, code: number): void;
}
