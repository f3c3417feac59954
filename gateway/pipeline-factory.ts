/**
 * Builds the per-call pipeline factory the gateway hands to every transport (WebSocket, modem),
 * from configuration: the engines are created once and shared by all calls, their health goes to
 * /health, and every call is recorded in the call log when a database is available. The speech
 * recogniser and the voice are live (engines/live-engines.ts): an owner's choice stored in the
 * database wins over the environment's, and a switch reaches new calls while calls in progress
 * keep the engines they started with.
 *
 * What each call says comes from the control plane's conversation source (personas, FAQ, LLM
 * providers edited through the admin API, live), or from the shipped sample when there is no
 * control plane. Greetings are synthesised ahead, again whenever the configuration changes.
 */
import type { Logger } from 'pino';
import type { ControlPlane } from '../control/control-plane.ts';
import { PIPELINE_SAMPLE_RATE, type PipelineFactory } from '../pipeline/call-pipeline.ts';
import { BuiltinConversationSource, type BuiltinSourceOptions } from '../pipeline/conversation/builtin-source.ts';
import type { ConversationSource } from '../pipeline/conversation/conversation.ts';
import { InMemoryMessageStore, type MessageStore } from '../pipeline/dialogue/message-store.ts';
import { createEchoPipeline } from '../pipeline/echo-pipeline.ts';
import { ModelCatalog } from '../pipeline/engines/model-catalog.ts';
import { PocketsphinxStt } from '../pipeline/engines/stt-pocketsphinx.ts';
import type { HasHealth } from '../pipeline/engines/types.ts';
import { SileroVad } from '../pipeline/engines/vad-silero.ts';
import { loadRnnoise, RnnoiseSuppressor } from '../pipeline/engines/noise-rnnoise.ts';
import type { GreetingCache } from '../pipeline/greeting-cache.ts';
import { createSecretaryPipelines } from '../pipeline/secretary-pipeline.ts';
import { catalogTakesVoice } from '../control/tts/tts-catalog.ts';
import { CallLog } from './call-log.ts';
import type { GatewayConfig } from './config.ts';
import { LiveEngines } from './engines/live-engines.ts';
import { configChoiceStore } from './engines/stored-choice.ts';
import type { HealthRegistry } from './observability/health.ts';

/** At shutdown, how long the call log waits for the database; what is left stays in the journal for the next start. */
const FLUSH_AT_CLOSE_MS = 5000;

export interface GatewayPipelines {
  factory: PipelineFactory;
  /** Present when calls are recorded (a control plane with a database is attached). */
  callLog: CallLog | null;
  /** Greeting audio synthesised ahead (null for the echo pipeline). */
  greetings: GreetingCache | null;
  /** The live recogniser and voice, switchable through the admin API (null for the echo pipeline). */
  engines: LiveEngines | null;
  /** Engine entries for /health. */
  registerHealth(health: HealthRegistry): void;
  close(): Promise<void>;
}

export interface PipelineFactoryDeps {
  log: Logger;
  controlPlane?: ControlPlane;
}

/**
 * The shipped sample persona and FAQ in PERSONA_LANGUAGE, with the environment's LLM (LLM_BASE_URL)
 * when set: trusted, so no egress policy (docs/control-plane.md, "Egress policy").
 */
export function builtinConversationOptions(config: Pick<GatewayConfig, 'secretary'>, log: Logger): BuiltinSourceOptions {
  const llm = config.secretary.llm;
  return {
    language: config.secretary.language,
    llm: llm ? { name: 'env', baseURL: llm.baseURL, apiKey: llm.apiKey, model: llm.model, firstTokenMs: llm.firstTokenMs, proxyUrl: llm.proxyUrl } : undefined,
    log: log.child({ component: 'llm' }),
    dialogue: config.secretary.dialogue,
  };
}

export async function createPipelineFactory(
  config: Pick<GatewayConfig, 'pipeline' | 'secretary'>,
  deps: PipelineFactoryDeps,
): Promise<GatewayPipelines> {
  const { log, controlPlane } = deps;
  const callLog = controlPlane ? new CallLog(controlPlane.callJournal, log.child({ component: 'call-log' }), { inbox: controlPlane.messages }) : null;
  const record = (f: PipelineFactory) => (callLog ? callLog.wrap(f) : f);

  if (config.pipeline === 'echo') {
    // Echo calls are logged too: their records must reach the database before it closes.
    return { factory: record(createEchoPipeline), callLog, greetings: null, engines: null, registerHealth: () => {}, close: async () => void (await callLog?.flush(FLUSH_AT_CLOSE_MS)) };
  }

  const s = config.secretary;
  // Loaded before anything is started: a suppressor that cannot load fails the start, not a call.
  const rnnoise = s.noiseSuppression === 'rnnoise' ? await loadRnnoise() : null;
  let denoisedCalls = 0;
  const vad = new SileroVad({ ...s.vad });
  // Engines are built (sherpa models loaded in their workers) now, so a bad model fails the start.
  let engines: LiveEngines;
  try {
    engines = await LiveEngines.start({
      env: { stt: s.stt, tts: s.tts },
      build: {
        // The control plane's catalog, so /admin/models and the engines agree on what is installed.
        catalog: controlPlane?.models.catalog ?? new ModelCatalog({ dir: s.modelsDir }),
        modelsDir: s.modelsDir,
        espeakTakes: (voice) => (controlPlane ? catalogTakesVoice(controlPlane.tts.catalog, 'espeak-ng', voice) : Promise.resolve(null)),
        log: log.child({ component: 'engines' }),
      },
      store: controlPlane ? configChoiceStore(controlPlane.repos.config) : null,
      log: log.child({ component: 'engines' }),
    });
  } catch (err) {
    await vad.close();
    throw err;
  }
  const source: ConversationSource = controlPlane?.conversations ?? new BuiltinConversationSource(builtinConversationOptions(config, log));
  // A message is safe once the call log has it (journal or database), which also hands it to the owner's inbox.
  const store: MessageStore = callLog ?? new InMemoryMessageStore();
  if (!callLog) log.warn('no database attached: taken messages are kept in memory only');

  const pipelines = createSecretaryPipelines({
    engines: { vad, stt: engines.stt, tts: engines.tts },
    source,
    store,
    vad: s.vad,
    turn: {
      bargeInConfirmMs: s.bargeInConfirmMs,
      incompleteHoldMs: s.incompleteHoldMs,
      unsureHoldMs: s.unsureHoldMs,
      vadHangoverMs: s.vad.minSilenceSec * 1000,
      ...(s.backchannels ? { backchannels: s.backchannels } : {}),
      ...(s.interruptWords ? { interruptWords: s.interruptWords } : {}),
    },
    hooks: (callId) => ({
      onMessageTaken: (m) => log.info({ callId, kind: m.kind, channel: m.channel }, 'message taken'),
      onNotify: () => log.warn({ callId }, 'dialogue asks for a human'),
    }),
    log: log.child({ component: 'pipeline' }),
    ...(rnnoise ? { denoiser: () => (denoisedCalls++, new RnnoiseSuppressor(rnnoise, PIPELINE_SAMPLE_RATE)) } : {}),
  });

  // Start the recogniser's decoders, let the voice's helper processes come up, and synthesise the greeting before the first call.
  const warmStt = () => {
    const stt = engines.stt.engine;
    if (stt instanceof PocketsphinxStt) stt.warm(pipelines.openingPhrases());
  };
  const warmGreetings = () =>
    void pipelines
      .warm()
      .then((err) => err && log.warn({ err }, 'a changed greeting could not be cached; it will be synthesised per call'))
      .catch((err: unknown) => log.warn({ err }, 'caching a changed greeting failed'));
  await engines.tts.engine.ready?.();
  warmStt();
  const warmError = await pipelines.warm();
  if (warmError) log.warn({ err: warmError }, 'greeting not cached; it will be synthesised per call');
  // An edit through the admin API: the new greetings are synthesised once, the grammar of the new FAQ
  // loaded; and an engine choice stored through another gateway (or a restored backup) is acted on.
  const unsubscribe = source.onChange(() => {
    warmStt();
    warmGreetings();
    void engines.sync();
  });
  // A new engine: its grammar, and the greetings in its voice (the old voice's calls synthesise theirs).
  const unsubscribeSwap = engines.onSwap((kind) => (kind === 'stt' ? warmStt() : warmGreetings()));
  const first = source.resolve({ channel: 'ws' });
  log.info({ persona: first.persona.id, language: first.persona.language, stt: engines.stt.engine.name, tts: engines.tts.engine.name, llm: first.llm?.name ?? null, greetingCached: pipelines.greetings.size > 0 }, 'secretary pipeline ready');

  const engineHealth = (e: HasHealth) => () => {
    const h = e.health();
    return { status: h.ok ? ('ok' as const) : ('degraded' as const), engine: h.name, detail: h.detail };
  };
  return {
    factory: record(pipelines.factory),
    callLog,
    greetings: pipelines.greetings,
    engines,
    registerHealth(health) {
      health.register('vad', engineHealth(vad));
      health.register('noise_suppression', () => (rnnoise ? { status: 'ok', engine: 'rnnoise', calls: denoisedCalls } : { status: 'disabled' }));
      // The engines new calls get now, and whether an owner's stored choice is in effect.
      health.register('stt', () => engines.health('stt'));
      health.register('tts', () => engines.health('tts'));
      // The chain a call would get now: its providers' clients (and their last errors) are shared.
      health.register('llm', () => {
        const llm = source.resolve({ channel: 'ws' }).llm;
        return llm ? engineHealth(llm)() : { status: 'disabled', dialogue: 'built-in secretary' };
      });
    },
    async close() {
      unsubscribe();
      unsubscribeSwap();
      await callLog?.flush(FLUSH_AT_CLOSE_MS);
      await Promise.allSettled([vad.close(), engines.close()]);
    },
  };
}
