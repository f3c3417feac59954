/**
 * Builds the per-call pipeline factory the gateway hands to every transport (WebSocket, modem),
 * from configuration: the engines are created once and shared by all calls, their health goes to
 * /health, and every call is recorded in the call log when a database is available.
 */
import type { Logger } from 'pino';
import type { ControlPlane } from '../control/control-plane.ts';
import type { PipelineFactory } from '../pipeline/call-pipeline.ts';
import { InMemoryMessageStore, type MessageStore } from '../pipeline/dialogue/message-store.ts';
import { defaultFaq, defaultPersona } from '../pipeline/dialogue/persona.ts';
import { createEchoPipeline } from '../pipeline/echo-pipeline.ts';
import { OpenAiCompatibleLlm } from '../pipeline/engines/llm-openai.ts';
import { createStt, createTts } from '../pipeline/engines/select.ts';
import { PocketsphinxStt } from '../pipeline/engines/stt-pocketsphinx.ts';
import type { HasHealth, SttEngine, TtsEngine } from '../pipeline/engines/types.ts';
import { SileroVad } from '../pipeline/engines/vad-silero.ts';
import { createSecretaryPipelines } from '../pipeline/secretary-pipeline.ts';
import { CallLog } from './call-log.ts';
import type { GatewayConfig } from './config.ts';
import type { HealthRegistry } from './observability/health.ts';

/** At shutdown, how long the call log waits for the database; what is left stays in the journal for the next start. */
const FLUSH_AT_CLOSE_MS = 5000;

export interface GatewayPipelines {
  factory: PipelineFactory;
  /** Present when calls are recorded (a control plane with a database is attached). */
  callLog: CallLog | null;
  /** Engine entries for /health. */
  registerHealth(health: HealthRegistry): void;
  close(): Promise<void>;
}

export interface PipelineFactoryDeps {
  log: Logger;
  controlPlane?: ControlPlane;
}

export async function createPipelineFactory(
  config: Pick<GatewayConfig, 'pipeline' | 'secretary'>,
  deps: PipelineFactoryDeps,
): Promise<GatewayPipelines> {
  const { log, controlPlane } = deps;
  const callLog = controlPlane ? new CallLog(controlPlane.callJournal, log.child({ component: 'call-log' })) : null;
  const record = (f: PipelineFactory) => (callLog ? callLog.wrap(f) : f);

  if (config.pipeline === 'echo') {
    // Echo calls are logged too: their records must reach the database before it closes.
    return { factory: record(createEchoPipeline), callLog, registerHealth: () => {}, close: async () => void (await callLog?.flush(FLUSH_AT_CLOSE_MS)) };
  }

  const s = config.secretary;
  const vad = new SileroVad({ ...s.vad });
  // Engines are built (sherpa models loaded in their workers) now, so a bad model fails the start.
  let stt: SttEngine;
  let tts: TtsEngine;
  try {
    stt = await createStt(s.stt, s.modelsDir, log.child({ component: 'stt' }));
  } catch (err) {
    await vad.close();
    throw err;
  }
  try {
    tts = await createTts(s.tts, s.modelsDir, log.child({ component: 'tts' }));
  } catch (err) {
    await Promise.allSettled([vad.close(), stt.close()]);
    throw err;
  }
  // From the operator's environment: trusted, so no egress policy (docs/control-plane.md, "Egress policy").
  const llm = s.llm
    ? new OpenAiCompatibleLlm([{ name: 'env', baseURL: s.llm.baseURL, apiKey: s.llm.apiKey, model: s.llm.model, firstTokenMs: s.llm.firstTokenMs, proxyUrl: s.llm.proxyUrl }], log.child({ component: 'llm' }))
    : undefined;
  const persona = defaultPersona(s.language);
  const faq = defaultFaq(s.language);
  // Both shipped personas are available by id or language ('en', 'ru', 'default-en', ...): the modem
  // picks one per number (MODEM_PERSONAS), a WebSocket client with `persona` in its start message.
  const personas = Object.fromEntries(
    (['en', 'ru'] as const).flatMap((lang) => {
      const p = { persona: defaultPersona(lang), faq: defaultFaq(lang) };
      return [[lang, p], [p.persona.id, p]];
    }),
  );
  const store: MessageStore = callLog ?? new InMemoryMessageStore();
  if (!callLog) log.warn('no database attached: taken messages are kept in memory only');

  const pipelines = createSecretaryPipelines({
    engines: { vad, stt, tts, llm },
    persona,
    faq,
    personas,
    store,
    vad: s.vad,
    turn: { bargeInConfirmMs: s.bargeInConfirmMs, vadHangoverMs: s.vad.minSilenceSec * 1000, ...(s.backchannels ? { backchannels: s.backchannels } : {}) },
    hooks: (callId) => ({
      onMessageTaken: (m) => log.info({ callId, caller: m.callerName }, 'message taken'),
      onNotify: (text) => log.warn({ callId, text }, 'dialogue asks for a human'),
    }),
    log: log.child({ component: 'pipeline' }),
  });

  // Start the recogniser's decoders, let the voice's helper processes come up, and synthesise the greeting before the first call.
  await tts.ready?.();
  if (stt instanceof PocketsphinxStt) stt.warm(pipelines.openingPhrases());
  const warmError = await pipelines.warm();
  if (warmError) log.warn({ err: warmError }, 'greeting not cached; it will be synthesised per call');
  log.info({ persona: persona.id, language: persona.language, stt: stt.name, tts: tts.name, llm: llm?.name ?? null, greetingCached: pipelines.greetings.size > 0 }, 'secretary pipeline ready');

  const engineHealth = (e: HasHealth) => () => {
    const h = e.health();
    return { status: h.ok ? ('ok' as const) : ('degraded' as const), engine: h.name, detail: h.detail };
  };
  return {
    factory: record(pipelines.factory),
    callLog,
    registerHealth(health) {
      health.register('vad', engineHealth(vad));
      health.register('stt', engineHealth(stt));
      health.register('tts', engineHealth(tts));
      health.register('llm', llm ? engineHealth(llm) : () => ({ status: 'disabled', dialogue: 'built-in secretary' }));
    },
    async close() {
      await callLog?.flush(FLUSH_AT_CLOSE_MS);
      await Promise.allSettled([vad.close(), stt.close(), tts.close()]);
    },
  };
}
