/**
 * The conversation every call runs: Silero VAD, a speech recogniser, a TTS engine and a dialogue:
 * the built-in secretary (FAQ first, otherwise take a message), or an LLM dialogue with the
 * secretary as its fallback when the conversation has an LLM chain. Engines are shared by all
 * calls; each call gets its own dialogue state, VAD stream and turn manager.
 *
 * What a call says and knows (persona, FAQ, LLM chain, dialogue settings, voice) comes from the
 * ConversationSource, resolved synchronously from memory when the call starts and kept for the
 * whole call: an edit reaches the next call, never the one in progress.
 */
import type { PipelineFactory } from './call-pipeline.ts';
import type { ConversationSource, ConversationVoice } from './conversation/conversation.ts';
import { dialoguePort, type DialogueHooks } from './dialogue/dialogue-port.ts';
import { LlmDialogue } from './dialogue/llm-dialogue.ts';
import type { MessageStore } from './dialogue/message-store.ts';
import { Secretary } from './dialogue/secretary.ts';
import type { Dialogue } from './dialogue/types.ts';
import { EngineSlot, type Closable, type EngineLease } from './engines/engine-slot.ts';
import type { SttEngine, TtsEngine, VadEngine, VadOptions } from './engines/types.ts';
import type { EngineLog } from './engines/engine-error.ts';
import { GreetingCache, type GreetingVoice } from './greeting-cache.ts';
import { SentenceSplitter, type SentenceSplitterOptions } from './text/sentence-splitter.ts';
import { DEFAULT_TURN_CONFIG, type TurnConfig } from './turn/config.ts';
import { sttPort, ttsPort, vadPort } from './turn/engine-adapters.ts';
import { overReplyVocabulary } from './turn/interruption-judge.ts';
import { VoicePipeline } from './voice-pipeline.ts';
import type { NoiseSuppressor } from './engines/noise-rnnoise.ts';

/**
 * The recogniser and the voice may be slots (engine-slot.ts): each call then leases the engine
 * current when it starts and keeps it to its end, whatever an owner switches to meanwhile.
 */
export interface SecretaryEngines {
  vad: VadEngine;
  stt: SttEngine | EngineSlot<SttEngine>;
  tts: TtsEngine | EngineSlot<TtsEngine>;
}

const leaseOf = <E extends Closable>(held: E | EngineSlot<E>, call = true): EngineLease<E> => (held instanceof EngineSlot ? held.lease({ call }) : { engine: held, release: () => {} });

export interface SecretaryPipelineOptions {
  engines: SecretaryEngines;
  /** Persona, FAQ, LLM chain and settings per call. */
  source: ConversationSource;
  store: MessageStore;
  /** Endpointing: VAD threshold / min speech / min silence. */
  vad?: VadOptions;
  turn?: Partial<TurnConfig>;
  splitter?: SentenceSplitterOptions;
  /** Per-call hooks for what the dialogue produces besides speech (taken messages, notes). */
  hooks?: (callId: string) => DialogueHooks;
  /** Where a call's failures are logged in full (callers are told an error id). */
  log?: EngineLog;
  /** A noise suppressor for each call (NOISE_SUPPRESSION); none: the caller's audio as it came. */
  denoiser?: () => NoiseSuppressor;
}

export interface SecretaryPipelines {
  factory: PipelineFactory;
  greetings: GreetingCache;
  /**
   * Synthesise every greeting and silence cue a call may say now (those already cached are kept),
   * and drop the ones no call says any more; the first failure is returned. Runs one at a time: a
   * call made while one runs waits for it and then runs once more for whatever changed meanwhile.
   */
  warm(): Promise<Error | null>;
  /** What callers are expected to say first (the STT's first grammar, worth warming up). */
  openingPhrases(): string[];
}

/**
 * The gateway speaks with one TTS engine: a persona's voice is used when its preset names that
 * engine (or none); a preset for another engine keeps only its language and speed.
 */
export function speakingVoice(voice: Readonly<ConversationVoice>, tts: TtsEngine): GreetingVoice {
  const own = voice.engine === undefined || voice.engine === tts.name;
  return { ...(own && voice.voice ? { voice: voice.voice } : {}), ...(voice.language ? { language: voice.language } : {}), ...(voice.speed ? { speed: voice.speed } : {}) };
}

export function createSecretaryPipelines(opts: SecretaryPipelineOptions): SecretaryPipelines {
  const { engines, store, source } = opts;
  const greetings = new GreetingCache();
  const overReply = overReplyVocabulary({ ...DEFAULT_TURN_CONFIG, ...opts.turn });

  const factory: PipelineFactory = (info) => {
    const stt = leaseOf(engines.stt);
    const tts = leaseOf(engines.tts);
    const release = () => {
      stt.release();
      tts.release();
    };
    try {
      return callPipeline(info, stt.engine, tts.engine, release);
    } catch (err) {
      release();
      throw err;
    }
  };

  const callPipeline = (info: Parameters<PipelineFactory>[0], stt: SttEngine, tts: TtsEngine, onClosed: () => void): VoicePipeline => {
    const conversation = source.resolve({ channel: info.channel, persona: info.persona, callerNumber: info.callerNumber });
    const { persona, faq, dialogue: settings } = conversation;
    const voice = speakingVoice(conversation.voice, tts);
    const context = { channel: info.channel, callId: info.callId, callerNumber: info.callerNumber };
    const { offerMessageAfterFailures } = settings;
    const secretary = new Secretary({ persona, faq, store, context, offerMessageAfterFailures });
    const dialogue: Dialogue = conversation.llm
      ? new LlmDialogue({ llm: conversation.llm, persona, store, faq, context, fallback: secretary, offerMessageAfterFailures })
      : secretary;
    const denoise = opts.denoiser?.();
    try {
      return new VoicePipeline(info, {
        vad: vadPort(engines.vad, opts.vad),
        // Hints follow the dialogue's state: FAQ questions at the menu, yes/no at a read-back; and
        // the backchannels and interrupting words, so speech over a reply has a reading in words.
        stt: sttPort(stt, () => ({ language: persona.language, hints: [...dialogue.expectedPhrases(), ...overReply] })),
        tts: ttsPort(tts, voice),
        dialogue: dialoguePort(dialogue, opts.hooks?.(info.callId)),
        splitter: () => new SentenceSplitter(opts.splitter),
        config: opts.turn,
        dialogueSettings: settings,
        cachedAudio: (text) => greetings.get(text, voice, tts),
        log: opts.log,
        onClosed,
        denoise,
      });
    } catch (err) {
      // Its memory is in the WebAssembly heap, which no garbage collector frees.
      denoise?.close();
      throw err;
    }
  };

  const warmOnce = async (): Promise<Error | null> => {
    // The voice new calls get, held while it speaks (a switch meanwhile must not close it under us);
    // a replaced voice's phrases are dropped (its calls synthesise theirs).
    let lease: EngineLease<TtsEngine>;
    try {
      lease = leaseOf(engines.tts, false);
    } catch (err) {
      // The slot closed (the gateway is stopping) while a change was still queued: nothing to warm.
      return err instanceof Error ? err : new Error(String(err));
    }
    const tts = lease.engine;
    try {
      const wanted = source.greetings().map((g) => ({ text: g.text, voice: speakingVoice(g.voice, tts) }));
      let first: Error | null = null;
      // Every phrase is tried, whatever failed before it (one voice a preset names may be missing).
      for (const g of wanted) {
        const err = await greetings.warm(g.text, tts, g.voice);
        first ??= err;
      }
      greetings.retain(wanted, tts);
      return first;
    } finally {
      lease.release();
    }
  };
  let running: Promise<Error | null> | null = null;
  let queued: Promise<Error | null> | null = null;
  const warm = (): Promise<Error | null> => {
    if (!running) {
      running = warmOnce().finally(() => (running = null));
      return running;
    }
    // One more run after the current one covers every change made meanwhile.
    queued ??= running.then(() => {
      queued = null;
      return warm();
    });
    return queued;
  };

  return {
    factory,
    greetings,
    warm,
    openingPhrases: () => {
      const { persona, faq } = source.resolve({ channel: 'ws' });
      return [...new Secretary({ persona, faq, store }).expectedPhrases(), ...overReply];
    },
  };
}
