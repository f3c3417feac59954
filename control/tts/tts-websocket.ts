/**
 * `WS /admin/tts/ws/stream`: streaming synthesis over a WebSocket, for clients that keep one
 * connection for many utterances (a softphone, a telephony bridge). Authentication happens at the
 * upgrade, before any socket exists: `Authorization: Bearer <access token>` or, from a browser
 * (which cannot set headers on a WebSocket), the subprotocol `bearer.<access token>`; operator role.
 *
 * Protocol (text frames are JSON, audio frames are binary PCM s16le mono):
 *   -> {"type":"synthesize","id"?,"text","target_sample_rate"?: 8000|16000|24000, preset_id/engine/voice/language/speed?}
 *   <- {"type":"start","id","sample_rate","format":"pcm_s16le"}, binary chunks as synthesised,
 *      {"type":"end","id","bytes","ttfb_ms","total_ms"}  (or {"type":"error","id","code","message"})
 *   -> {"type":"cancel"} stops the current utterance and drops queued ones.
 * Requests queue and are answered in order. Sends wait while more than 256 KiB is buffered toward
 * the client, so a slow reader slows synthesis instead of growing memory.
 *
 * A socket can outlive its session, so the credential from the upgrade is checked again before
 * each synthesize request is served, exactly as a route would check it (token not expired, session
 * not logged out or revoked, user not disabled, still operator or above). Once it fails the client
 * gets {"type":"error","code":...} naming why, queued requests are dropped and the socket is closed
 * with 4401 (authentication no longer valid) or 4403 (role no longer allows it).
 *
 * The transport rules of the voice socket hold here too: an IP with too many failed upgrades gets
 * 429 before its credential is looked at (a refused credential counts as one; upgrade-guard.ts);
 * only `vg-tts` is echoed as the subprotocol, never `bearer.<token>`; and a client that sends
 * too many bad messages in a short time (the voice socket's VOICE_WS_MAX_ERRORS within
 * VOICE_WS_ERROR_WINDOW_S, which the gateway passes; WS_MAX_ERRORS within WS_ERROR_WINDOW_MS
 * without it) is sent `too_many_errors` and closed with 4000.
 */
import { z } from 'zod';
import { bytesFromInt16 } from '../../media/pcm.ts';
import { roleAtLeast } from '../auth/roles.ts';
import { forbidden, HttpError } from '../http/errors.ts';
import type { RateLimiter } from '../http/rate-limiter.ts';
import type { Principal } from '../http/route.ts';
import type { WebSocketPeer, WebSocketService } from '../http/websocket-port.ts';
import { SynthesisBody } from '../admin/tts-routes.ts';
import { ErrorFlood } from '../http/error-flood.ts';
import type { UpgradeGuard } from '../http/upgrade-guard.ts';
import type { ControlServices } from '../services.ts';

export const TTS_WS_PATH = '/admin/tts/ws/stream';
export const TTS_WS_SUBPROTOCOL = 'vg-tts';
const HIGH_WATER = 256 * 1024;
/** Close codes (4000-4999 are the application's): the HTTP status the same check gives a route, plus 4000. */
export const WS_CLOSE_UNAUTHORIZED = 4401;
export const WS_CLOSE_FORBIDDEN = 4403;
/** Too many bad messages in a short time (as on the voice socket). */
export const WS_CLOSE_TOO_MANY_ERRORS = 4000;
/** The defaults of VOICE_WS_MAX_ERRORS and VOICE_WS_ERROR_WINDOW_S, for a control plane served without the gateway's settings. */
export const WS_MAX_ERRORS = 20;
export const WS_ERROR_WINDOW_MS = 10_000;

/** Bad messages a client may send within `errorWindowMs` before the socket is closed (0 = never). */
export interface WsErrorLimits {
  maxErrors: number;
  errorWindowMs: number;
}

const ClientMessage = z.discriminatedUnion('type', [
  SynthesisBody.extend({ type: z.literal('synthesize'), id: z.string().max(100).optional() }),
  z.strictObject({ type: z.literal('cancel') }),
]);
type SynthesizeMessage = Extract<z.infer<typeof ClientMessage>, { type: 'synthesize' }>;

interface SocketState {
  principal: Principal;
  /** The Authorization value from the upgrade, kept to check again per request; never logged or sent. */
  authorization: string | undefined;
  ip: string;
  queue: SynthesizeMessage[];
  current: AbortController | null;
  busy: boolean;
  closed: boolean;
  drained: (() => void) | null;
  errors: ErrorFlood;
}

type Authenticate = (authorization: string | undefined) => Promise<Principal>;
type Peer = WebSocketPeer<SocketState>;

/** What the socket uses of the control plane. */
export type TtsSocketServices = Pick<ControlServices, 'log' | 'config' | 'repos' | 'usage' | 'tts'> & { rateLimiter: RateLimiter };

export function ttsWebSocket(
  cp: TtsSocketServices,
  authenticate: Authenticate,
  upgrades: UpgradeGuard,
  limits: WsErrorLimits = { maxErrors: WS_MAX_ERRORS, errorWindowMs: WS_ERROR_WINDOW_MS },
): WebSocketService<SocketState> {
  const log = cp.log.child({ component: 'tts-ws' });
  let seq = 0;
  const authorizeOperator = async (authorization: string | undefined): Promise<Principal> => {
    const principal = await authenticate(authorization);
    if (principal.kind !== 'user' || !roleAtLeast(principal.user.role, 'operator')) throw forbidden('this needs the operator role');
    return principal;
  };

  /** The upgrade's credential checked again; on failure the socket is told why and closed. */
  async function stillAuthorized(ws: Peer, st: SocketState, id: string): Promise<boolean> {
    try {
      st.principal = await authorizeOperator(st.authorization);
      return true;
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(401, 'unauthorized', 'authentication required');
      if (!(err instanceof HttpError)) log.warn({ err }, 'ws re-authentication failed');
      if (st.closed) return false;
      const user = st.principal.kind === 'user' ? st.principal.user.username : undefined;
      log.info({ user, code: e.code }, 'tts socket closed: its credential is no longer valid');
      st.queue.length = 0;
      ws.send(JSON.stringify({ type: 'error', id, code: e.code, message: e.message }));
      ws.end(e.status === 403 ? WS_CLOSE_FORBIDDEN : WS_CLOSE_UNAUTHORIZED, e.code);
      return false;
    }
  }

  return {
    path: TTS_WS_PATH,
    maxMessageBytes: 64 * 1024,
    idleTimeoutS: 120,
    maxBackpressureBytes: 8 * 1024 * 1024,
    async upgrade({ headers, remoteAddress, protocols }) {
      const fromProtocol = protocols.find((p) => p.startsWith('bearer.'))?.slice('bearer.'.length);
      const authorization = headers.authorization || (fromProtocol ? `Bearer ${fromProtocol}` : undefined);
      const ip = upgrades.client(remoteAddress, headers['x-forwarded-for'] || undefined, cp.config.trustProxy);
      const blocked = upgrades.refusal(ip);
      if (blocked) return { accept: false, error: blocked };
      const rate = cp.rateLimiter.take('tts', ip);
      if (!rate.ok) return { accept: false, error: new HttpError(429, 'rate_limited', 'too many tts requests; slow down', undefined, [['Retry-After', String(Math.ceil(rate.retryAfterS))]]) };
      let principal: Principal;
      try {
        principal = await authorizeOperator(authorization);
      } catch (err) {
        upgrades.failed(ip);
        return { accept: false, error: err instanceof HttpError ? err : new HttpError(401, 'unauthorized', 'authentication required') };
      }
      const state: SocketState = { principal, authorization, ip, queue: [], current: null, busy: false, closed: false, drained: null, errors: new ErrorFlood(limits.maxErrors, limits.errorWindowMs) };
      return { accept: true, state, protocol: protocols.includes(TTS_WS_SUBPROTOCOL) ? TTS_WS_SUBPROTOCOL : '' };
    },
    open(ws) {
      const st = ws.state;
      if (st.principal.kind === 'user') {
        void cp.repos.audit
          .write({ actor_type: 'user', actor_id: String(st.principal.user.id), actor_name: st.principal.user.username, action: 'tts.ws_connect', target: null, ip: st.ip, status: 101, details: null })
          .catch((err) => log.error({ err }, 'audit write failed'));
      }
    },
    message(ws, message, isBinary) {
      const st = ws.state;
      const sendJson = (o: unknown) => !st.closed && ws.send(JSON.stringify(o));
      /** A message we cannot serve: an error event; too many in a short time close the socket. */
      const refuseMessage = (error: { id?: string; code: string; message: string }) => {
        sendJson({ type: 'error', ...error });
        if (st.closed || !st.errors.record(performance.now())) return;
        log.info({ ip: st.ip }, 'tts socket closed after too many bad messages');
        sendJson({ type: 'error', code: 'too_many_errors', message: `${limits.maxErrors} bad messages within ${limits.errorWindowMs / 1000} s; closing` });
        st.queue.length = 0;
        ws.end(WS_CLOSE_TOO_MANY_ERRORS, 'too many errors');
      };
      if (isBinary) return refuseMessage({ code: 'bad_message', message: 'send JSON text frames' });
      let msg: z.infer<typeof ClientMessage>;
      try {
        const parsed = ClientMessage.safeParse(JSON.parse(Buffer.from(message).toString('utf8')));
        if (!parsed.success) {
          const i = parsed.error.issues[0];
          return refuseMessage({ code: 'validation_failed', message: `${i.path.join('.') || 'message'}: ${i.message}` });
        }
        msg = parsed.data;
      } catch {
        return refuseMessage({ code: 'invalid_json', message: 'not valid JSON' });
      }
      if (msg.type === 'cancel') {
        st.queue.length = 0;
        st.current?.abort();
        return;
      }
      if (st.queue.length >= 32) return refuseMessage({ id: msg.id, code: 'queue_full', message: 'too many queued utterances' });
      st.queue.push(msg);
      if (!st.busy) void pump(ws, st);
    },
    drain(ws) {
      if (ws.bufferedAmount < HIGH_WATER) ws.state.drained?.();
    },
    close(ws) {
      const st = ws.state;
      st.closed = true;
      st.queue.length = 0;
      st.current?.abort();
      st.drained?.();
    },
  };

  async function pump(ws: Peer, st: SocketState): Promise<void> {
    st.busy = true;
    try {
      while (!st.closed && st.queue.length) await speak(ws, st, st.queue.shift()!);
    } finally {
      st.busy = false;
    }
  }

  async function speak(ws: Peer, st: SocketState, msg: SynthesizeMessage): Promise<void> {
    const id = msg.id ?? String(++seq);
    if (!(await stillAuthorized(ws, st, id)) || st.closed) return;
    const sendJson = (o: unknown) => !st.closed && ws.send(JSON.stringify(o));
    const ac = new AbortController();
    st.current = ac;
    const started = performance.now();
    let ttfb: number | null = null;
    let bytes = 0;
    let ticket;
    try {
      ticket = cp.usage.begin(st.principal, st.ip, 'tts');
      const v = await cp.tts.resolve(msg);
      sendJson({ type: 'start', id, sample_rate: msg.target_sample_rate, format: 'pcm_s16le' });
      for await (const pcm of cp.tts.stream({ ...v, text: msg.text, sampleRate: msg.target_sample_rate, signal: ac.signal })) {
        if (st.closed || ac.signal.aborted) break;
        ws.send(bytesFromInt16(pcm));
        ttfb ??= performance.now() - started;
        bytes += pcm.byteLength;
        if (ws.bufferedAmount > HIGH_WATER) await new Promise<void>((r) => (st.drained = r));
        st.drained = null;
      }
      ticket.commit({ source: v.engine });
      sendJson({ type: 'end', id, bytes, cancelled: ac.signal.aborted, ttfb_ms: ttfb === null ? null : Math.round(ttfb * 10) / 10, total_ms: Math.round((performance.now() - started) * 10) / 10 });
    } catch (err) {
      ticket?.cancel();
      // TtsService throws HttpErrors naming what failed (the engine's own words are in the log).
      const e = err instanceof HttpError ? err : new HttpError(500, 'internal', 'internal error');
      if (!(err instanceof HttpError)) log.error({ err }, 'ws synthesis failed');
      sendJson({ type: 'error', id, code: e.code, message: e.message, ...(e.details === undefined ? {} : { details: e.details }) });
    } finally {
      if (st.current === ac) st.current = null;
    }
  }
}
