/**
 * A conversation's inputs, whatever the channel (a call on the modem or the WebSocket, the admin
 * chat, /v1, the widget and Telegram to come): who speaks (persona: prompts, greeting, language,
 * voice), what it knows (the FAQ), which LLM chain answers and how it treats silence, length and
 * misunderstanding. A ConversationSource resolves them per call or chat session into one frozen
 * ConversationConfig that the conversation keeps for its lifetime, so an edit reaches the next
 * call without touching the one in progress.
 *
 * The control plane implements the source over its database (an in-memory snapshot rebuilt on
 * every change); builtin-source.ts is the shipped sample persona and FAQ for a gateway without one.
 */
import type { FaqMatcher } from '../dialogue/faq-matcher.ts';
import type { Persona } from '../dialogue/persona.ts';
import type { LlmEngine } from '../engines/types.ts';
import type { DialogueSettings } from './dialogue-settings.ts';
import type { LlmBackendChoice } from './llm-choice.ts';

/** How the voice channels speak the persona: options for the gateway's TTS engine. */
export interface ConversationVoice {
  /** The TTS engine a preset names; the gateway speaks with its own engine and uses the voice only when they agree. */
  engine?: string;
  voice?: string;
  language?: string;
  speed?: number;
}

export interface ConversationConfig {
  readonly persona: Persona;
  readonly voice: Readonly<ConversationVoice>;
  /** The one matcher: the FAQ, plus the built-in intents (take a message) in the persona's language. */
  readonly faq: FaqMatcher;
  /** The providers this conversation tries, in order; null: no LLM (the FAQ and the built-in secretary answer). */
  readonly llm: LlmEngine | null;
  readonly dialogue: Readonly<DialogueSettings>;
  /** Text channels without a dialogue state (/v1): what is said when neither the FAQ nor an LLM answers. */
  readonly fallbackMessage: string;
  /** Text channels: how many earlier messages go to the LLM. */
  readonly historyLimit: number;
}

export interface ConversationRequest {
  /** `ws`, `modem`, `chat` (admin), `v1`, `widget`, `telegram`. */
  channel: string;
  /** A persona the channel names: a stored persona's id or name, or a language (`en`, `ru`). */
  persona?: string;
  /** The caller id, when known (the modem picks a persona per number). */
  callerNumber?: string;
  /** A chat session's own choice of LLM, over the persona's provider and the default backend. */
  llm?: LlmBackendChoice | null;
  /** A model the client named: `faq` (no LLM), or a provider's model or name (tried first). */
  model?: string;
}

/** A phrase a call may say without waiting for a dialogue (its greeting, a silence cue), as it will be spoken. */
export interface Greeting {
  text: string;
  voice: Readonly<ConversationVoice>;
}

export interface ConversationSource {
  /** Synchronous and from memory: a call starting never waits for a database. */
  resolve(request: ConversationRequest): ConversationConfig;
  /** Every greeting and silence cue (persona.ts, fixedPhrases) a call may say now: what the voice channels synthesise ahead. */
  greetings(): Greeting[];
  /** Called after the configuration changed (the next resolve sees it). Returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}

export const DEFAULT_FALLBACK_MESSAGE = "Sorry, I can't answer that right now. Please leave your name and number and we will get back to you.";
export const DEFAULT_HISTORY_LIMIT = 20;
