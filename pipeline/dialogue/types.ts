/**
 * What the turn manager asks of a dialogue, whether it is the built-in secretary (no LLM) or an
 * LLM: one reply per caller turn, as a stream of events, so an LLM's token deltas and the
 * secretary's whole sentences go through the same sentence splitter and TTS path.
 */
import type { DialogueCue } from '../turn/ports.ts';
import type { TakenMessage } from './message-store.ts';

export type DialogueEvent =
  /** Reply text to append (an LLM delta or a whole prompt). */
  | { type: 'text'; text: string }
  /** A message was taken and stored. */
  | { type: 'message_taken'; message: TakenMessage }
  /** Something for a human (a notify tool call from the LLM). */
  | { type: 'notify'; text: string }
  /** Hang up once the reply so far has been spoken. */
  | { type: 'end_call'; reason: string }
  /** Who answered (what follows, or the model round just streamed): for the text channels' answer source and usage. */
  | { type: 'source'; source: AnswerSource; model?: string; usage?: { inputTokens: number; outputTokens: number } };

/** `faq`: an FAQ answer; `llm`: a model; `secretary`: the built-in dialogue; `fallback`: the fixed message of a channel without either. */
export type AnswerSource = 'faq' | 'llm' | 'secretary' | 'fallback';

export interface UserTurn {
  /** Final transcript; '' when the STT heard nothing intelligible. */
  text: string;
  /** Other STT readings, best first. */
  alternatives?: string[];
}

export interface RespondOptions {
  /** Barge-in: stop producing the reply (the iterator ends quietly). */
  signal?: AbortSignal;
}

export interface Dialogue {
  readonly name: string;
  /** The opening of the call (greeting). */
  greet(opts?: RespondOptions): AsyncIterable<DialogueEvent>;
  respond(turn: UserTurn, opts?: RespondOptions): AsyncIterable<DialogueEvent>;
  /** Phrases expected next (for STT biasing): FAQ questions, yes/no, ... */
  expectedPhrases(): string[];
  /**
   * The caller interrupted the reply: only `spokenText` was heard. Dialogues with history record
   * that instead of the full reply, so the model does not believe it said what nobody heard.
   */
  noteInterrupted?(spokenText: string): void;
  /**
   * The persona's words for a cue the turn manager gives on its own (a silent caller, the time
   * limit); they become part of the conversation. Every dialogue a call runs has them; a text
   * channel's stateless answerer (FaqAnswer) has no turn manager and none.
   */
  cue?(cue: DialogueCue): string;
  /** Start taking a message now (another dialogue hands a caller it cannot understand over to this one). */
  takeMessage?(opts?: RespondOptions): AsyncIterable<DialogueEvent>;
  /** In the middle of taking a message: the next turn is this dialogue's to answer. */
  takingMessage?(): boolean;
}

export interface DialogueContext {
  /** The channel taken messages are marked with: `ws`, `modem`, `chat`, `v1`, `widget`, `telegram`. */
  channel?: string;
  callId?: string;
  /** A text conversation's chat session. */
  sessionId?: number;
  /** Caller id from the network, when known: offered as the callback number. */
  callerNumber?: string;
  /** `text`: replies are read, not heard (numbers are written as digits, not spelt out for a voice). Default `voice`. */
  medium?: 'voice' | 'text';
}
