/**
 * The floor of the transport bench: uWS echoing every binary message straight back, with no
 * codec, no resampling, no pacing and no per-call state, the least work a WebSocket echo in Node
 * can do. Its frames per CPU-second bound what any gateway design can reach on this machine,
 * because the rest is the kernel's cost of a loopback TCP write and read per frame.
 *
 *   PORT=... VOICE_WS_TOKEN=... node --import tsx bench/baselines/uws-raw-echo-server.ts
 */
import { EventLoopMonitor } from '../../gateway/observability/event-loop-monitor.ts';
import { uws } from '../../gateway/uws.ts';
import { presentedToken, tokenMatches } from '../../gateway/ws/voice-token.ts';

const port = Number(process.env.PORT ?? 8103);
const token = process.env.VOICE_WS_TOKEN ?? '';
const lag = new EventLoopMonitor();
const STARTED = JSON.stringify({ type: 'started', protocol: 1, frame_ms: 20 });

uws
  .App()
  .get('/metrics', (res) => {
    const s = lag.snapshot();
    lag.reset();
    res.end(`voice_event_loop_lag_ms{quantile="0.5"} ${s.p50_ms}\nvoice_event_loop_lag_ms{quantile="0.99"} ${s.p99_ms}\nvoice_event_loop_lag_ms{quantile="1"} ${s.max_ms}\n`);
  })
  .ws('/ws/voice', {
    compression: uws.DISABLED,
    maxPayloadLength: 65536,
    idleTimeout: 32,
    upgrade: (res, req, context) => {
      const presented = presentedToken(req.getQuery('token') ?? '', req.getHeader('authorization'), '');
      if (!presented || !tokenMatches(presented, token)) {
        res.writeStatus('401 Unauthorized').end();
        return;
      }
      res.upgrade({}, req.getHeader('sec-websocket-key'), '', req.getHeader('sec-websocket-extensions'), context);
    },
    message: (ws, message, isBinary) => {
      if (isBinary) ws.send(message, true);
      else ws.send(STARTED, false);
    },
  })
  .listen('127.0.0.1', port, (listenSocket) => {
    if (!listenSocket) process.exit(1);
    process.stdout.write(JSON.stringify({ msg: 'uws raw echo listening', port }) + '\n');
  });
process.on('SIGTERM', () => process.exit(0));
