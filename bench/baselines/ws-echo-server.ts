/**
 * Baseline for the transport bench: the same echo call (same VoiceConnection, same codec and
 * resampling work) served the way most Node voice bridges are written: the `ws` library on
 * node:http, and a setInterval timer per call. Exposes the event-loop lag metric the bench reads.
 *
 *   PORT=... VOICE_WS_TOKEN=... node --import tsx bench/baselines/ws-echo-server.ts
 */
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { CallRegistry } from '../../gateway/call-registry.ts';
import { createLogger } from '../../gateway/logger.ts';
import { EventLoopMonitor } from '../../gateway/observability/event-loop-monitor.ts';
import { VoiceConnection } from '../../gateway/ws/voice-connection.ts';
import type { VoiceSocket } from '../../gateway/ws/voice-socket.ts';
import { presentedToken, tokenMatches } from '../../gateway/ws/voice-token.ts';
import { createEchoPipeline } from '../../pipeline/echo-pipeline.ts';

const port = Number(process.env.PORT ?? 8102);
const token = process.env.VOICE_WS_TOKEN ?? '';
const log = createLogger('silent');
const lag = new EventLoopMonitor();
const calls = new CallRegistry(100000);

class WsSocket implements VoiceSocket {
  constructor(private readonly ws: WebSocket) {}
  sendBinary(d: Uint8Array) {
    // ws keeps a reference until the bytes are written; the converter's scratch is reused.
    this.ws.send(Buffer.from(d));
    return true;
  }
  sendText(s: string) {
    this.ws.send(s);
    return true;
  }
  bufferedAmount() {
    return this.ws.bufferedAmount;
  }
  end(code: number, reason: string) {
    this.ws.close(code, reason);
  }
  cork(fn: () => void) {
    fn();
  }
}

const server = http.createServer((req, res) => {
  if (req.url === '/metrics') {
    const s = lag.snapshot();
    lag.reset();
    res.end(`voice_event_loop_lag_ms{quantile="0.5"} ${s.p50_ms}\nvoice_event_loop_lag_ms{quantile="0.99"} ${s.p99_ms}\nvoice_event_loop_lag_ms{quantile="1"} ${s.max_ms}\n`);
    return;
  }
  res.statusCode = 404;
  res.end();
});
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const presented = presentedToken(url.searchParams.get('token') ?? '', req.headers.authorization ?? '', '');
  if (url.pathname !== '/ws/voice' || !presented || !tokenMatches(presented, token)) {
    socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const conn = new VoiceConnection({
      socket: new WsSocket(ws),
      options: { startTimeoutMs: 10000, maxBufferedBytes: 256 * 1024, maxFrameBytes: 32768, jitterFrames: 2, maxErrors: 20, errorWindowMs: 10_000 },
      pipelineFactory: createEchoPipeline,
      calls,
      log,
    });
    const timer = setInterval(() => conn.tick(performance.now()), 20);
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) conn.onBinary(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
      else conn.onText(data.toString());
    });
    ws.on('close', (code) => {
      clearInterval(timer);
      conn.onClose(code);
    });
  });
});
server.listen(port, '127.0.0.1', () => process.stdout.write(JSON.stringify({ msg: 'ws baseline listening', port }) + '\n'));
process.on('SIGTERM', () => process.exit(0));
