/**
 * Builds the gateway: one uWS app carrying health, metrics and the voice WebSocket. `createGateway`
 * is what `main.ts`, the tests and the benches all start, so they exercise the same wiring.
 */
import type { Logger } from 'pino';
import { createAuthenticator } from '../control/auth/principal.ts';
import { roleAtLeast } from '../control/auth/roles.ts';
import type { ControlPlane } from '../control/control-plane.ts';
import { UpgradeGuard } from '../control/http/upgrade-guard.ts';
import type { PipelineFactory } from '../pipeline/call-pipeline.ts';
import { createEchoPipeline } from '../pipeline/echo-pipeline.ts';
import type { MediaClock } from '../media/media-clock.ts';
import { dspImplementation } from '../media/resampler.ts';
import { CallRegistry } from './call-registry.ts';
import { DEFAULT_UI_DIST, type GatewayConfig } from './config.ts';
import { attachControlPlane } from './http/attach-control-plane.ts';
import { errorBody, writeJson } from './http/respond.ts';
import { serveWidgetScript } from './http/widget-script.ts';
import { registerDurabilityHealth, registerDurabilityMetrics } from './observability/durability.ts';
import { registerNotificationHealth, registerNotificationMetrics } from './observability/notification-health.ts';
import { HealthRegistry } from './observability/health.ts';
import { attachObservability, type ObservabilityAccess } from './observability/http-routes.ts';
import { listenExclusive } from './listen.ts';
import { GatewayMetrics } from './observability/metrics.ts';
import { buildUiInBackground, type UiBuildRun } from './ui/ui-build.ts';
import { UiBundle } from './ui/ui-bundle.ts';
import { serveUi, type UiState } from './ui/static-ui.ts';
import { uws, type UWS } from './uws.ts';
import { VoiceEndpoint, voiceClock } from './ws/voice-endpoint.ts';
import { resolveVoiceToken } from './ws/voice-token.ts';

export interface GatewayDeps {
  log: Logger;
  pipelineFactory?: PipelineFactory;
  clock?: MediaClock;
  /** The admin and OpenAI-compatible APIs (`/admin/*`, `/v1/*`); opened and closed by the caller. */
  controlPlane?: ControlPlane;
}

export interface Gateway {
  readonly app: UWS.TemplatedApp;
  readonly metrics: GatewayMetrics;
  readonly health: HealthRegistry;
  readonly calls: CallRegistry;
  readonly voice: VoiceEndpoint;
  /** The token clients must present on the voice path. */
  readonly voiceToken: string;
  /** The port of the METRICS_PORT listener once listening (null without one). */
  readonly metricsPort: number | null;
  /** The admin UI at `/`: what is served now, and the start-time build (resolves at once when none runs). */
  readonly ui: { state(): UiState; built: Promise<boolean> };
  /** Listen, exclusively (a port in use is a ListenError); resolves with the bound port (useful with port 0). */
  listen(): Promise<number>;
  /** Graceful stop: refuse new connections, end live calls with 1001, wait up to the grace period. */
  close(): Promise<void>;
}

export function createGateway(config: GatewayConfig, deps: GatewayDeps): Gateway {
  const { log } = deps;
  const metrics = new GatewayMetrics();
  const health = new HealthRegistry();
  const calls = new CallRegistry(config.voice.maxCalls, metrics);
  const clock = deps.clock ?? voiceClock;
  const { token, source, file } = resolveVoiceToken(config.voice.token, config.dataDir);
  if (source !== 'env') log.info({ file, source }, 'voice token kept in file (set VOICE_WS_TOKEN to choose one)');

  const app = uws.App();
  // One budget of failed upgrades per IP for every WebSocket on this app (voice and TTS).
  const upgrades = new UpgradeGuard(config.upgradeFailureLimit, undefined, log);
  const trustProxy = deps.controlPlane?.config.trustProxy ?? false;
  const voice = new VoiceEndpoint(
    { ...config.voice, token },
    {
      pipelineFactory: deps.pipelineFactory ?? createEchoPipeline,
      calls,
      clock,
      metrics,
      log,
      upgrades,
      trustProxy,
      voiceGrant: deps.controlPlane ? (t, origin) => deps.controlPlane!.widgets.voiceCall(t, origin) : undefined,
      operatorTokens: deps.controlPlane?.voiceTokens,
    },
  );
  voice.attach(app);

  health.register('gateway', () => ({ status: 'ok', active_calls: calls.active, ws_connections: voice.connections }));
  health.register('event_loop', () => {
    const s = metrics.recentLag.snapshot();
    return { status: s.p99_ms > 50 ? 'degraded' : 'ok', lag_p99_ms: round(s.p99_ms), lag_max_ms: round(s.max_ms) };
  });
  health.register('dsp', () => ({ status: 'ok', implementation: dspImplementation() }));
  health.register('pipeline', () => ({ status: 'ok', kind: config.pipeline }));

  const cp = deps.controlPlane;
  const access: ObservabilityAccess = { metricsToken: config.metrics.token, isAdmin: cp ? adminCheck(cp) : undefined };
  attachObservability(app, { health, metrics, log }, access, { metricsHere: config.metrics.port === undefined, trusted: false });
  if (cp) {
    attachControlPlane(app, cp, { upgradeGuard: upgrades, wsErrors: { maxErrors: config.voice.maxErrors, errorWindowMs: config.voice.errorWindowMs } });
    registerDurabilityHealth(health, cp);
    registerDurabilityMetrics(metrics, cp);
    registerNotificationHealth(health, cp);
    registerNotificationMetrics(metrics, cp);
    serveWidgetScript(app, log);
    cp.widgets.voicePath = config.voice.path; // named in the widget's voice tokens
  }
  // The admin SPA (gateway/ui/): ui/dist in memory; rebuilt in the background at start when stale.
  const initialBundle = UiBundle.load(config.ui.distDir);
  let uiState: UiState = initialBundle.index ? { kind: 'ready', bundle: initialBundle } : { kind: 'missing' };
  let uiBuild: UiBuildRun | null = null;
  let uiBuilt: Promise<boolean> = Promise.resolve(uiState.kind === 'ready');
  app.any('/*', (res, req) => {
    if (serveUi(res, req, uiState, config.voice.path)) return;
    // A WebSocket upgrade to a path with no socket (a scan for one) is a plain 404 and spends no
    // budget: behind a NAT or an untrusted proxy it would lock out every client sharing the address.
    writeJson(res, '404 Not Found', errorBody('not_found', `no route for ${req.getMethod().toUpperCase()} ${req.getUrl()}`));
  });

  let listenSocket: UWS.us_listen_socket | null = null;
  // METRICS_PORT: a second app with only /metrics and /health, on its own (private) address.
  const metricsApp = config.metrics.port === undefined ? null : uws.App();
  if (metricsApp) {
    attachObservability(metricsApp, { health, metrics, log }, access, { metricsHere: true, trusted: true });
    metricsApp.any('/*', (res) => writeJson(res, '404 Not Found', errorBody('not_found', 'only /metrics and /health here')));
  }
  let metricsSocket: UWS.us_listen_socket | null = null;
  let metricsPort: number | null = null;
  let closing: Promise<void> | null = null;

  return {
    app,
    metrics,
    health,
    calls,
    voice,
    voiceToken: token,
    get metricsPort() {
      return metricsPort;
    },
    ui: {
      state: () => uiState,
      get built() {
        return uiBuilt;
      },
    },
    async listen() {
      if (metricsApp) {
        const bound = await listenExclusive(metricsApp, config.metrics.host, config.metrics.port!);
        metricsSocket = bound.socket;
        metricsPort = bound.port;
        log.info({ host: config.metrics.host, port: metricsPort }, 'metrics listening');
      }
      const { socket, port } = await listenExclusive(app, config.host, config.port).catch((err: unknown) => {
        if (metricsSocket) uws.us_listen_socket_close(metricsSocket);
        metricsSocket = null;
        throw err;
      });
      listenSocket = socket;
      log.info({ host: config.host, port, voicePath: config.voice.path }, 'gateway listening');
      // Only the checkout's own ui/dist is built here; a UI_DIST_DIR elsewhere is the operator's to build.
      if (config.ui.build === 'auto' && config.ui.distDir === DEFAULT_UI_DIST) {
        if (uiState.kind === 'missing') uiState = { kind: 'building' };
        const run = (uiBuild = buildUiInBackground(log));
        uiBuilt = run.done.then((ok) => {
          uiBuild = null;
          let bundle: UiBundle | null = null;
          try {
            bundle = ok ? UiBundle.load(config.ui.distDir) : null;
          } catch (err) {
            log.warn({ err }, 'reading the admin UI build failed; serving the previous one, if any');
          }
          if (bundle?.index) uiState = { kind: 'ready', bundle };
          else if (uiState.kind === 'building') uiState = { kind: 'missing' };
          return uiState.kind === 'ready';
        });
      }
      return port;
    },
    close: () =>
      (closing ??= (async () => {
        if (listenSocket) uws.us_listen_socket_close(listenSocket);
        uiBuild?.stop();
        if (metricsSocket) uws.us_listen_socket_close(metricsSocket);
        listenSocket = metricsSocket = null;
        voice.shutdown();
        upgrades.close();
        const deadline = performance.now() + config.shutdownGraceMs;
        while (voice.connections > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        metrics.stop();
        log.info({ remaining: voice.connections }, 'gateway stopped');
      })()),
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

/** An admin's access token, checked as an admin route checks it (session live, user enabled, role). */
function adminCheck(cp: ControlPlane): (authorization: string) => Promise<boolean> {
  const authenticate = createAuthenticator(cp.auth, cp.apiKeys);
  return async (authorization) => {
    const principal = await authenticate({ kind: 'user', role: 'admin' }, authorization);
    return principal.kind === 'user' && roleAtLeast(principal.user.role, 'admin');
  };
}
