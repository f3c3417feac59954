/**
 * The WebSocket voice transport on uWS: authenticates the upgrade, adapts uWS sockets to
 * `VoiceSocket`, and steps every live connection from one shared 20 ms media clock.
 *
 * The upgrade: an IP with too many failed upgrades is refused with 429 before its token is
 * looked at (control/http/upgrade-guard.ts); a missing or wrong token is 401 and counts as one.
 * Besides VOICE_WS_TOKEN, an operator's one-connection softphone token (control/auth), and a
 * website visitor's one-call voice token (control/widget) from the origin it was issued to; that
 * call speaks as the widget's persona.
 * The bearer subprotocol is never echoed: only `voice.v1`, when offered (browsers need one of
 * theirs back); a client that offered only `bearer.<token>` gets no protocol header.
 */
import type { Logger } from 'pino';
import type { PipelineFactory } from '../../pipeline/call-pipeline.ts';
import { MediaClock } from '../../media/media-clock.ts';
import type { CallRegistry } from '../call-registry.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { UpgradeGuard } from '../../control/http/upgrade-guard.ts';
import { errorBody, writeHttpError, writeJson } from '../http/respond.ts';
import { remoteAddress } from '../http/uws-http.ts';
import { uws, type UWS } from '../uws.ts';
import { VoiceConnection, type VoiceConnectionOptions } from './voice-connection.ts';
import { VOICE_SUBPROTOCOL } from './protocol.ts';
import type { VoiceSocket } from './voice-socket.ts';
import { presentedToken, tokenMatches } from './voice-token.ts';

interface UserData {
  remote: string;
  /** Set when the call's persona is fixed by its token (a widget visitor's), whatever `start` asks for. */
  persona?: { id: string | undefined };
  /** A widget visitor's call: gives its instance's voice line back when the call ends. */
  release?: () => void;
  connection?: VoiceConnection;
}

export interface VoiceEndpointOptions extends VoiceConnectionOptions {
  path: string;
  token: string;
  idleTimeoutS: number;
}

class UwsVoiceSocket implements VoiceSocket {
  closed = false;
  constructor(private readonly ws: UWS.WebSocket<UserData>) {}
  sendBinary(data: Uint8Array): boolean {
    return !this.closed && this.ws.send(data, true) !== 2;
  }
  sendText(text: string): boolean {
    return !this.closed && this.ws.send(text, false) !== 2;
  }
  bufferedAmount(): number {
    return this.closed ? 0 : this.ws.getBufferedAmount();
  }
  end(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.end(code, reason);
  }
  cork(fn: () => void): void {
    if (this.closed) return fn();
    this.ws.cork(fn);
  }
}

/**
 * Calls are spread over PHASES sub-ticks of one 20 ms period: each call is still stepped exactly
 * once every 20 ms, but the loop never blocks for all calls at once (500 calls' encode+send in one
 * go is several ms of lag for everything else). One timer for the whole endpoint. 10 phases (2 ms
 * apart, 50 calls each at 500) against 4: reply jitter p99 7.8 / 6.8 ms vs 9.5 / 8.7 ms, p50 0.1
 * vs 0.4 ms, same CPU (transport bench, 500 streams, alternating runs, 2026-12-06).
 */
export const PHASES = 10;
export const voiceClock = new MediaClock({ intervalMs: 20 / PHASES });

/** One open connection as the clock sees it; `step` is made once so a tick allocates nothing. */
interface LiveConnection {
  connection: VoiceConnection;
  socket: UwsVoiceSocket;
  phase: number;
  step: () => void;
}

export class VoiceEndpoint {
  private readonly live = new Map<VoiceConnection, LiveConnection>();
  private readonly phases: Set<LiveConnection>[] = Array.from({ length: PHASES }, () => new Set());
  private nextPhase = 0;
  /** The current tick's time, read by every `step` in it. */
  private tickNow = 0;
  private unsubscribeClock: (() => void) | null = null;

  constructor(
    private readonly options: VoiceEndpointOptions,
    private readonly deps: {
      pipelineFactory: PipelineFactory;
      calls: CallRegistry;
      clock: MediaClock;
      metrics?: GatewayMetrics;
      log: Logger;
      /** Failed upgrades per IP, shared with the gateway's other WebSockets. */
      upgrades: UpgradeGuard;
      /** Take the client IP from X-Forwarded-For (TRUST_PROXY). */
      trustProxy?: boolean;
      /**
       * Tokens other than the voice token: a website visitor's one-call voice token (control/widget),
       * checked with the upgrade's Origin; the call speaks as the persona it names. Null: refused.
       */
      voiceGrant?: (token: string, origin: string | undefined) => { persona: string | undefined; release(): void } | 'busy' | null;
      /** Softphone tokens minted for signed-in operators (control/auth/operator-voice-tokens.ts), each good for one upgrade. */
      operatorTokens?: { redeem(token: string): unknown };
    },
  ) {}

  get connections(): number {
    return this.live.size;
  }

  attach(app: UWS.TemplatedApp): void {
    const { options, deps } = this;
    app.ws<UserData>(options.path, {
      compression: uws.DISABLED,
      // uWS drops the connection above this; smaller oversize messages get an error event instead.
      maxPayloadLength: options.maxFrameBytes * 4,
      idleTimeout: options.idleTimeoutS,
      sendPingsAutomatically: true,
      // Above our own slow-consumer threshold, so we, not uWS, decide what happens to a slow client.
      maxBackpressure: options.maxBufferedBytes * 4,
      closeOnBackpressureLimit: 0,
      upgrade: (res, req, context) => {
        const remote = remoteAddress(res);
        const ip = deps.upgrades.client(remote, req.getHeader('x-forwarded-for') || undefined, deps.trustProxy ?? false);
        const refusal = deps.upgrades.refusal(ip);
        if (refusal) {
          deps.metrics?.protocolErrors.inc({ code: 'upgrade_blocked' });
          return writeHttpError(res, refusal);
        }
        const protocols = req.getHeader('sec-websocket-protocol');
        const token = presentedToken(req.getQuery('token') ?? '', req.getHeader('authorization'), protocols);
        // An operator's softphone token is as good as the gateway's own, and spent by this upgrade.
        const gatewayToken = !!token && (tokenMatches(token, options.token) || !!deps.operatorTokens?.redeem(token));
        const grant = token && !gatewayToken ? (deps.voiceGrant?.(token, req.getHeader('origin') || undefined) ?? null) : null;
        if (grant === 'busy') {
          // Not a failed upgrade: the token is good (and not spent), the widget's lines are taken.
          deps.metrics?.protocolErrors.inc({ code: 'widget_voice_busy' });
          writeJson(res, '503 Service Unavailable', errorBody('voice_busy', 'every voice line of this chat is busy; try again in a minute'), [['Retry-After', '30']]);
          return;
        }
        if (!gatewayToken && !grant) {
          deps.upgrades.failed(ip);
          deps.metrics?.protocolErrors.inc({ code: 'unauthorized' });
          writeJson(res, '401 Unauthorized', errorBody('unauthorized', 'missing or wrong voice token (use ?token= or Authorization: Bearer)'));
          return;
        }
        const offered = protocols.split(',').map((p) => p.trim());
        res.upgrade<UserData>(
          grant ? { remote, persona: { id: grant.persona }, release: grant.release } : { remote },
          req.getHeader('sec-websocket-key'),
          offered.includes(VOICE_SUBPROTOCOL) ? VOICE_SUBPROTOCOL : '',
          req.getHeader('sec-websocket-extensions'),
          context,
        );
      },
      open: (ws) => {
        const socket = new UwsVoiceSocket(ws);
        const data = ws.getUserData();
        const connection = new VoiceConnection({
          socket,
          options,
          pipelineFactory: deps.pipelineFactory,
          calls: deps.calls,
          metrics: deps.metrics,
          log: deps.log,
          remoteAddress: data.remote,
          persona: data.persona,
        });
        data.connection = connection;
        const live: LiveConnection = { connection, socket, phase: this.nextPhase++ % PHASES, step: () => connection.tick(this.tickNow) };
        this.live.set(connection, live);
        this.phases[live.phase].add(live);
        deps.metrics?.wsConnections.set(this.live.size);
        this.ensureClock();
      },
      message: (ws, message, isBinary) => {
        const connection = ws.getUserData().connection;
        if (!connection) return;
        try {
          if (isBinary) connection.onBinary(message);
          else connection.onText(Buffer.from(message).toString('utf8'));
        } catch (err) {
          // A bug in one call must not take the process down; end that call, keep the rest.
          deps.log.error({ err, callId: connection.callId }, 'voice message handler failed');
          this.live.get(connection)?.socket.end(4010, 'internal error');
        }
      },
      close: (ws, code) => {
        const data = ws.getUserData();
        data.release?.();
        const connection = data.connection;
        if (!connection) return;
        const live = this.live.get(connection);
        if (live) live.socket.closed = true;
        connection.onClose(code);
        if (live) this.phases[live.phase].delete(live);
        this.live.delete(connection);
        deps.metrics?.wsConnections.set(this.live.size);
        deps.metrics?.wsClosed.inc({ code: String(code) });
        if (this.live.size === 0) this.stopClock();
      },
    });
  }

  /** Close every connection with 1001 after telling each client why. */
  shutdown(): void {
    for (const { connection, socket } of this.live.values()) socket.cork(() => connection.shutdown());
  }

  private ensureClock(): void {
    if (this.unsubscribeClock) return;
    this.unsubscribeClock = this.deps.clock.subscribe((n) => this.tick(n % PHASES));
  }

  private stopClock(): void {
    this.unsubscribeClock?.();
    this.unsubscribeClock = null;
  }

  private tick(phase: number): void {
    this.tickNow = performance.now();
    for (const live of this.phases[phase]) {
      try {
        live.socket.cork(live.step);
      } catch (err) {
        this.deps.log.error({ err, callId: live.connection.callId }, 'voice tick failed');
        live.socket.end(4010, 'internal error');
      }
    }
  }
}
