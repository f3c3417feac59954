/**
 * The conversation a fresh install runs: Silero VAD, a speech recogniser, a TTS engine and the
 * built-in secretary (FAQ first, otherwise take a message), or an LLM dialogue with the secretary
 * as its fallback when an LLM is configured. Engines are shared by all calls; each call gets its
 * own dialogue state, VAD stream and turn manager.
 */
import type { PipelineFactory } from './call-pipeline.ts';
import { dialoguePort, type DialogueHooks } from './dialogue/dialogue-port.ts';
import { FaqMatcher, type FaqEntry } from './dialogue/faq-matcher.ts';
import { LlmDialogue } from './dialogue/llm-dialogue.ts';
import type { MessageStore } from './dialogue/message-store.ts';
import { fillTemplate, type Persona } from './dialogue/persona.ts';
import { Secretary } from './dialogue/secretary.ts';
import type { Dialogue } from './dialogue/types.ts';
import type { LlmEngine, SttEngine, TtsEngine, VadEngine, VadOptions } from './engines/types.ts';
import type { EngineLog } from './engines/engine-error.ts';
import { GreetingCache } from './greeting-cache.ts';
import { SentenceSplitter, type SentenceSplitterOptions } from './text/sentence-splitter.ts';
import type { TurnConfig } from './turn/config.ts';
import { sttPort, ttsPort, vadPort } from './turn/engine-adapters.ts';
import { VoicePipeline, type VoicePipelineDeps } from './voice-pipeline.ts';

export interface SecretaryEngines {
  vad: VadEngine;
  stt: SttEngine;
  tts: TtsEngine;
  /** When present the dialogue is the LLM's, with the secretary answering when every provider fails. */
  llm?: LlmEngine;
}

export interface SecretaryPipelineOptions {
  engines: SecretaryEngines;
  /** The default persona and its FAQ. */
  persona: Persona;
  faq: readonly FaqEntry[];
  /**
   * Other personas a call may ask for by id (CallInfo.persona, e.g. per dialled-in number on the
   * modem), each with its own FAQ. Unknown ids fall back to the default.
   */
  personas?: Record<string, { persona: Persona; faq: readonly FaqEntry[] }>;
  store: MessageStore;
  /** Endpointing: VAD threshold / min speech / min silence. */
  vad?: VadOptions;
  turn?: Partial<TurnConfig>;
  splitter?: SentenceSplitterOptions;
  /** Per-call hooks for what the dialogue produces besides speech (taken messages, notes). */
  hooks?: (callId: string) => DialogueHooks;
  onTurn?: (callId: string) => VoicePipelineDeps['onTurn'];
  /** Where a call's failures are logged in full (callers are told an error id). */
  log?: EngineLog;
}

export interface SecretaryPipelines {
  factory: PipelineFactory;
  greetings: GreetingCache;
  /** Synthesise the greeting now so the first caller does not wait for it. */
  warm(): Promise<Error | null>;
  /** What callers are expected to say first (the STT's first grammar, worth warming up). */
  openingPhrases(): string[];
}

export function createSecretaryPipelines(opts: SecretaryPipelineOptions): SecretaryPipelines {
  const { engines, store } = opts;
  const greetings = new GreetingCache();
  const byId = new Map<string, { persona: Persona; faq: FaqMatcher }>();
  const fallback = { persona: opts.persona, faq: new FaqMatcher(opts.faq) };
  byId.set(opts.persona.id, fallback);
  for (const [id, p] of Object.entries(opts.personas ?? {})) byId.set(id, { persona: p.persona, faq: new FaqMatcher(p.faq) });
  const ttsOptsOf = (persona: Persona) => ({ voice: persona.voice, language: persona.language });
  const greetingOf = (persona: Persona) => fillTemplate(persona.prompts.greeting, { name: persona.name, company: persona.company });

  const factory: PipelineFactory = (info) => {
    const { persona, faq } = (info.persona && byId.get(info.persona)) || fallback;
    const ttsOpts = ttsOptsOf(persona);
    const context = { callId: info.callId, callerNumber: info.callerNumber };
    const secretary = new Secretary({ persona, faq, store, context });
    const dialogue: Dialogue = engines.llm
      ? new LlmDialogue({ llm: engines.llm, persona, store, faq, context, fallback: secretary })
      : secretary;
    return new VoicePipeline(info, {
      vad: vadPort(engines.vad, opts.vad),
      // Hints follow the dialogue's state: FAQ questions at the menu, yes/no at a read-back.
      stt: sttPort(engines.stt, () => ({ language: persona.language, hints: dialogue.expectedPhrases() })),
      tts: ttsPort(engines.tts, ttsOpts),
      dialogue: dialoguePort(dialogue, opts.hooks?.(info.callId)),
      splitter: () => new SentenceSplitter(opts.splitter),
      config: opts.turn,
      greetingAudio: (text) => greetings.get(text),
      onTurn: opts.onTurn?.(info.callId),
      log: opts.log,
    });
  };

  return {
    factory,
    greetings,
    openingPhrases: () => new Secretary({ persona: fallback.persona, faq: fallback.faq, store }).expectedPhrases(),
    async warm() {
      // Every persona's greeting, so whichever a call gets plays at once; the first failure is reported.
      let first: Error | null = null;
      for (const { persona } of byId.values()) first ??= await greetings.warm(greetingOf(persona), engines.tts, ttsOptsOf(persona));
      return first;
    },
  };
}
