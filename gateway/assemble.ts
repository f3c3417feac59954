/**
 * The whole gateway process wired together, as `npm start` runs it: control plane (database, admin
 * and OpenAI-compatible API), pipelines (secretary or echo, engines warmed), the uWS gateway (voice
 * WebSocket, /health, /metrics, the control plane's routes) and, when MODEM_* is configured, the
 * modem transport. One place, so the end-to-end tests run exactly what production runs.
 *
 * Wiring between the parts: the admin monitor reads the gateway's Prometheus registry; /admin/gsm
 * drives the attached modem, SMS the modem receives are stored for the admin SMS list, and the call
 * recordings the modem writes (MODEM_RECORD_DIR) are registered in the call log, in the directory
 * the control plane serves, backs up and erases recordings from. Which calls are recorded at all is
 * the control plane's to say: the `calls.recording_enabled` setting and the caller's consent.
 *
 * Before any of it: DATA_DIR is made private and checked writable (data-dir.ts), and temporary
 * files that processes killed earlier left behind are swept (runtime/owned-temp.ts). After it:
 * the setup token is printed only once the gateway listens, so a start that fails prints none.
 */
import { tmpdir } from 'node:os';
import type { ControlPlane } from '../control/control-plane.ts';
import { createControlPlane } from '../control/control-plane.ts';
import { promRegistrySource, withEventLoopLag } from '../control/monitor/metrics-source.ts';
import type { ModelCatalog } from '../pipeline/engines/model-catalog.ts';
import { sweepStaleTemps } from '../runtime/owned-temp.ts';
import type { GatewayConfig } from './config.ts';
import { prepareDataDir } from './data-dir.ts';
import type { Logger } from './logger.ts';
import { storedCallPolicy } from './modem-call-handling.ts';
import { startModem, type AttachedModem } from './modem/attach-modem.ts';
import { modemGsmControl, storeIncomingSms } from './modem/gsm-control.ts';
import { builtinConversationOptions, createPipelineFactory, type GatewayPipelines } from './pipeline-factory.ts';
import { recordingConsentGate } from './recording-consent.ts';
import { createGateway, type Gateway } from './server.ts';

export { ListenError } from './listen.ts';

export type StartupStage = 'data_dir' | 'control_plane' | 'pipeline' | 'modem' | 'listen';

/** A part failed to start; what was already started has been closed again. */
export class StartupError extends Error {
  override name = 'StartupError';
  constructor(
    readonly stage: StartupStage,
    cause: unknown,
  ) {
    super(`${stage.replace('_', ' ')} failed to start: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export interface AssembledGateway {
  gateway: Gateway;
  controlPlane: ControlPlane;
  pipelines: GatewayPipelines;
  modem: AttachedModem | null;
  /** Start listening; resolves with the bound port. */
  listen(): Promise<number>;
  /** Stop in dependency order: modem and calls first, then the gateway, pipelines (call log flush), database. */
  close(): Promise<void>;
}

export interface AssembleOptions {
  log: Logger;
  /** Where MODEM_* and the control plane's settings come from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /**
   * The models /admin/models offers and the engines load (default: models/manifest.json into
   * MODELS_DIR). Tests pass a manifest of their own on a loopback server; no setting or request can.
   */
  models?: ModelCatalog;
}

export async function assembleGateway(config: GatewayConfig, opts: AssembleOptions): Promise<AssembledGateway> {
  const { log } = opts;
  const env = opts.env ?? process.env;
  const undo: (() => Promise<void>)[] = [];
  const fail = async (stage: StartupStage, err: unknown): Promise<never> => {
    for (const close of undo.reverse()) await close().catch(() => {});
    throw new StartupError(stage, err);
  };

  const recordingsDir = env.MODEM_RECORD_DIR || undefined;
  try {
    const { tightened } = prepareDataDir(config.dataDir, recordingsDir ? [recordingsDir] : []);
    if (tightened.length) log.warn({ count: tightened.length, first: tightened.slice(0, 5) }, 'files in the data directory were readable by other users; made private (directories 0700, files 0600)');
  } catch (err) {
    return fail('data_dir', err);
  }
  const swept = [tmpdir(), config.dataDir, ...(recordingsDir ? [recordingsDir] : [])].flatMap((dir) => sweepStaleTemps(dir));
  if (swept.length) log.info({ count: swept.length, paths: swept.slice(0, 10) }, 'removed temporary files of processes that no longer run');

  let controlPlane: ControlPlane;
  try {
    // One recordings directory for the writer (the modem) and the readers (downloads, backups, GDPR).
    controlPlane = await createControlPlane({
      dataDir: config.dataDir,
      log,
      env,
      recordingsDir,
      announceSetupToken: false,
      // Until personas, FAQ or providers are stored: the shipped sample in PERSONA_LANGUAGE and LLM_BASE_URL.
      builtinConversation: builtinConversationOptions(config, log),
      voiceFirstTokenMs: config.secretary.llmFirstTokenMs,
      voicePath: config.voice.path,
      // /admin/models installs where the engines load from; /admin/about reads the UI build served.
      modelsDir: config.secretary.modelsDir,
      models: opts.models,
      uiDistDir: config.ui.distDir,
    });
  } catch (err) {
    return fail('control_plane', err);
  }
  undo.push(() => controlPlane.close());

  let pipelines: GatewayPipelines;
  try {
    pipelines = await createPipelineFactory(config, { log, controlPlane });
  } catch (err) {
    return fail('pipeline', err);
  }
  undo.push(() => pipelines.close());

  const gateway = createGateway(config, { log, controlPlane, pipelineFactory: pipelines.factory });
  undo.push(() => gateway.close());
  pipelines.registerHealth(gateway.health);
  controlPlane.setEngines(pipelines.engines);
  // Not the scrape-window lag gauge: each dashboard reading it would cut Prometheus' window short.
  controlPlane.setMetricsSource(withEventLoopLag(promRegistrySource(gateway.metrics.registry), gateway.metrics.recentLag));

  let modem: AttachedModem | null;
  try {
    modem = startModem({
      pipelineFactory: pipelines.factory,
      log,
      health: gateway.health,
      metrics: gateway.metrics,
      env,
      shouldRecord: recordingConsentGate(controlPlane.repos),
      livePolicy: storedCallPolicy(controlPlane.repos),
    });
  } catch (err) {
    return fail('modem', err);
  }
  if (modem) {
    const m = modem;
    undo.push(() => m.close());
    controlPlane.setGsm(modemGsmControl(m));
    storeIncomingSms(m, controlPlane.repos.sms, (err) => log.warn({ err }, 'storing a received SMS failed'));
    const callLog = pipelines.callLog;
    if (callLog) m.calls.on('recording', (r) => void callLog.recording(r.callId, r.files.map((f) => ({ path: f.path, format: 'wav' as const, durationMs: f.durationMs })), r.error));
    log.info('modem transport started');
  }

  return {
    gateway,
    controlPlane,
    pipelines,
    modem,
    async listen() {
      let port: number;
      try {
        port = await gateway.listen();
      } catch (err) {
        return fail('listen', err);
      }
      controlPlane.announceSetupToken();
      // Listening first: a bot in webhook mode is reached through this port. Each bot starts (and fails) on its own.
      void controlPlane.telegram.startAutoStart().catch((err: unknown) => log.error({ err }, 'telegram bots: reading the bots to start failed'));
      return port;
    },
    async close() {
      controlPlane.setGsm(null);
      controlPlane.setEngines(null);
      // One grace for everything that is talking to someone: the bots finish their messages while the
      // calls end (the server stops accepting new ones at once but still answers webhook deliveries
      // already made), so a supervisor's stop timeout sized for SHUTDOWN_GRACE_MS is not outlasted.
      await Promise.all([
        controlPlane.telegram.close(config.shutdownGraceMs),
        (async () => {
          await modem?.close();
          await gateway.close();
        })(),
      ]);
      await pipelines.close(); // flushes the call log: before the database closes
      await controlPlane.close();
    },
  };
}
