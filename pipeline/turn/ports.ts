/**
 * What the turn manager needs from engines, in its own words. Engines (pipeline/engines/) are
 * adapted to these ports in pipeline/turn/engine-adapters.ts, so the turn logic can be tested with
 * any implementation and never depends on how an engine runs (worker, subprocess, HTTP).
 */

/** Sample-accurate VAD events on the call's 16 kHz timeline. */
export type VadEvent =
  | { type: 'start'; sample: number }
  | { type: 'end'; sample: number }
  /** Silence inside speech, not yet long enough to end it; `sample`: where the speech stopped. */
  | { type: 'pause'; sample: number }
  /** Speech again after a pause. */
  | { type: 'resume'; sample: number }
  /** Speech may be starting (one window over the threshold): a reply can pause before the start is sure. */
  | { type: 'onset'; sample: number }
  /** The onset was not speech after all: no start follows it. */
  | { type: 'onset_lost'; sample: number };

export interface VadPort {
  /** Caller audio, 16 kHz, in order. Events may arrive asynchronously (worker). */
  push(pcm: Int16Array): void;
  onEvent(listener: (event: VadEvent) => void): void;
  /** Fatal engine failure (worker crash): the call ends with an error. */
  onError(listener: (err: Error) => void): void;
  close(): void;
}

export interface SttUtterance {
  accept(pcm: Int16Array): void;
  /**
   * The recogniser decided the utterance ended (trailing silence after words, a maximum length),
   * for engines with endpoint rules; the turn manager ends the turn on this or VAD silence, first.
   */
  onEndpoint?(listener: () => void): void;
  /** Final transcript ('' when nothing was recognised). */
  finish(): Promise<string>;
  /**
   * A quick reading of the utterance so far, which goes on (recognisers that can): `sure` when
   * the recogniser is certain of it (a phrase the dialogue expects). Used at a pause to end a
   * complete turn early.
   */
  peek?(): Promise<{ text: string; sure: boolean }>;
  /** Once finish() resolved: the recogniser's other readings and its confidence, where it has them. */
  readings?(): { alternatives: readonly string[]; confidence?: number };
  cancel(): void;
}

export interface SttPort {
  begin(): SttUtterance;
  onPartial?: (listener: (text: string) => void) => void;
}

export interface TtsChunk {
  pcm: Int16Array;
  sampleRate: number;
}

export interface TtsPort {
  /** Streams one sentence; stops promptly when `signal` aborts. */
  synthesize(text: string, signal: AbortSignal): AsyncIterable<TtsChunk>;
}

export type DialogueChunk = { type: 'text'; text: string } | { type: 'hangup'; reason: string };

/**
 * What the turn manager says on its own, not in answer to the caller: ask a silent caller whether
 * they are still there, or say goodbye before it hangs up for silence or at the call's time limit.
 */
export type DialogueCue = 'still_there' | 'silence_goodbye' | 'time_limit_goodbye';

export interface DialoguePort {
  /** What to say when the call opens. */
  greet(signal: AbortSignal): AsyncIterable<DialogueChunk>;
  /** One reply to what the caller said ('' = nothing intelligible). */
  respond(callerText: string, signal: AbortSignal): AsyncIterable<DialogueChunk>;
  /**
   * Whether these words answer what the dialogue just asked ("yes" to a read-back), so they are a
   * turn even where they would otherwise pass for a backchannel while the reply plays.
   */
  isAnswer?(callerText: string): boolean;
  /** The caller cut the reply short after hearing `spokenText`; keep that in history. */
  interrupted?(spokenText: string): void;
  /** DTMF from the caller's keypad. */
  dtmf?(digits: string): void;
  /** The words for a cue, in the persona's language (none: the cue passes without words). */
  cue?(cue: DialogueCue): string;
}

/** Streaming sentence segmentation of reply text for TTS. */
export interface SentenceSplitterPort {
  push(delta: string): string[];
  flush(): string[];
}
