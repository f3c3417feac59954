/**
 * The control plane's routes (`/admin`, `/admin/*`, `/v1`, `/v1/*`) and its WebSocket endpoints
 * (`/admin/tts/ws/stream`) served on a uWS app, through the ports control/ defines for them.
 */
import { controlPlaneHttp, type ControlPlane } from '../../control/control-plane.ts';
import type { UpgradeGuard } from '../../control/http/upgrade-guard.ts';
import type { WsErrorLimits } from '../../control/tts/tts-websocket.ts';
import type { UWS } from '../uws.ts';
import { serveHttp } from './uws-http.ts';
import { serveWebSocket } from './uws-websocket.ts';

/**
 * `upgradeGuard`: the app's budget of failed WebSocket upgrades per IP, shared with its other
 * sockets (the gateway passes its own; default: one of the control plane's, at the default limit).
 * `wsErrors`: the voice socket's bad-message limits, which the TTS socket keeps too.
 */
export function attachControlPlane(app: UWS.TemplatedApp, cp: ControlPlane, opts: { upgradeGuard?: UpgradeGuard; wsErrors?: WsErrorLimits } = {}): void {
  const { http, webSockets } = controlPlaneHttp(cp, opts);
  // Before the router's `/admin/*`: uWS prefers the literal path anyway, and a plain GET (no
  // upgrade) falls through to the router, which answers 401/426.
  for (const socket of webSockets) serveWebSocket(app, socket, cp.log);
  serveHttp(app, http);
}
