/**
 * A control-plane WebSocket endpoint (control/http/websocket-port.ts) on uWS. The upgrade request's
 * headers are read at once (uWS frees the request when the handler returns), the decision is
 * awaited with the response kept open, and dropped if the client left meanwhile; a refusal is
 * answered in the one error format.
 */
import type { Logger } from 'pino';
import type { WebSocketPeer, WebSocketService } from '../../control/http/websocket-port.ts';
import { uws, type UWS } from '../uws.ts';
import { internalError, writeHttpError } from './respond.ts';
import { remoteAddress } from './uws-http.ts';

interface UserData<S> {
  state: S;
  peer?: UwsPeer<S>;
}

class UwsPeer<S> implements WebSocketPeer<S> {
  closed = false;
  constructor(
    private readonly ws: UWS.WebSocket<UserData<S>>,
    readonly state: S,
  ) {}
  send(message: string | Uint8Array): void {
    if (!this.closed) this.ws.send(message, typeof message !== 'string');
  }
  get bufferedAmount(): number {
    return this.closed ? 0 : this.ws.getBufferedAmount();
  }
  end(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.end(code, reason);
  }
}

export function serveWebSocket<S>(app: UWS.TemplatedApp, service: WebSocketService<S>, log: Logger): void {
  const peerOf = (ws: UWS.WebSocket<UserData<S>>): UwsPeer<S> => (ws.getUserData().peer ??= new UwsPeer(ws, ws.getUserData().state));
  app.ws<UserData<S>>(service.path, {
    compression: uws.DISABLED,
    maxPayloadLength: service.maxMessageBytes,
    idleTimeout: service.idleTimeoutS,
    maxBackpressure: service.maxBackpressureBytes,
    upgrade(res, req, context) {
      const headers: Record<string, string> = {};
      req.forEach((k, v) => {
        headers[k] = v;
      });
      const protocols = (headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
      const left = new AbortController();
      res.onAborted(() => left.abort());
      service.upgrade({ headers, remoteAddress: remoteAddress(res), protocols, signal: left.signal }).then(
        (decision) => {
          if (left.signal.aborted) return;
          if (!decision.accept) return writeHttpError(res, decision.error);
          const data: UserData<S> = { state: decision.state };
          res.cork(() => res.upgrade(data, headers['sec-websocket-key'] ?? '', decision.protocol, headers['sec-websocket-extensions'] ?? '', context));
        },
        (err: unknown) => internalError(res, left.signal.aborted, err, log.child({ path: service.path }), 'websocket upgrade decision failed'),
      );
    },
    open(ws) {
      service.open(peerOf(ws));
    },
    message(ws, message, isBinary) {
      const peer = peerOf(ws);
      try {
        service.message(peer, message, isBinary);
      } catch (err) {
        // A bug in one connection's handling must not take the process down; end that connection.
        log.error({ err, path: service.path }, 'websocket message handler failed');
        peer.end(1011, 'internal error');
      }
    },
    drain(ws) {
      service.drain(peerOf(ws));
    },
    close(ws, code) {
      const peer = peerOf(ws);
      peer.closed = true;
      service.close(peer, code);
    },
  });
}
