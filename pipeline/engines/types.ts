/**
 * Engine interfaces: what the turn manager needs from VAD, STT, TTS and LLM, independent of which
 * implementation (sherpa-onnx, pocketsphinx, espeak-ng, an OpenAI-compatible server) is behind it.
 *
 * Audio in is always PCM16 mono at 16 kHz (PIPELINE_SAMPLE_RATE). Audio out of a TTS engine is at
 * the engine's own rate (chunks carry it) because resampling once, at the turn manager, to whatever
 * the pipeline needs is cheaper than every engine doing it.
 */

/** One line for /health: engines degrade (a dead subprocess, a provider failing) without crashing the gateway. */
export interface EngineHealth {
  name: string;
  ok: boolean;
  /** Why not ok, or a short note (model file, fallback in use). */
  detail?: string;
}

export interface HasHealth {
  health(): EngineHealth;
}

/* ------------------------------------------------------------------ VAD */

export interface VadOptions {
  /** Speech probability above which a window counts as speech (Silero default 0.5). */
  threshold?: number;
  /** Speech shorter than this is ignored (seconds). */
  minSpeechSec?: number;
  /** Silence at least this long ends a speech segment (seconds); the endpointing knob. */
  minSilenceSec?: number;
  /** A segment is force-split after this long (seconds). */
  maxSpeechSec?: number;
  /**
   * Report `speech_pause` once silence inside a segment has lasted this long (seconds), before
   * `minSilenceSec` ends it, and `speech_resume` if speech comes back: lets the turn manager end
   * a turn sooner when what was said is complete. 0 or unset: none. Batched runtime only.
   */
  pauseSec?: number;
  /**
   * Report `speech_onset` at the first window over the threshold (before the minimum speech
   * makes it a start) and `speech_onset_lost` if it falls back without one: lets a reply pause
   * for a barge-in one minimum speech sooner. Batched runtime only.
   */
  onsets?: boolean;
}

/**
 * Sample-accurate VAD events. Sample indices count 16 kHz samples fed to this stream since it was
 * created (or last reset); `t_ms` is the same position in milliseconds of audio.
 */
export type VadEvent =
  | { type: 'speech_start'; sample: number; t_ms: number }
  | { type: 'speech_end'; sample: number; t_ms: number; startSample: number }
  /** Inside a segment, `pauseSec` of silence after speech that ended at `sample`. */
  | { type: 'speech_pause'; sample: number; t_ms: number }
  /** Speech again after a `speech_pause`, in the same segment. */
  | { type: 'speech_resume'; sample: number; t_ms: number }
  /** With `onsets`: speech may be starting at `sample` (one window over the threshold). */
  | { type: 'speech_onset'; sample: number; t_ms: number }
  /** With `onsets`: the onset fell back under the threshold before it became a start. */
  | { type: 'speech_onset_lost'; sample: number; t_ms: number };

export interface VadStream {
  /** Feed 16 kHz PCM16 (any length; 20 ms frames normally). Non-blocking: inference runs elsewhere. */
  push(pcm: Int16Array): void;
  /** Events arrive asynchronously, in order; returns an unsubscribe function. */
  onEvent(listener: (e: VadEvent) => void): () => void;
  /** Called once if the stream dies (e.g. its worker crashed); the call should end with an error. */
  onError(listener: (err: Error) => void): () => void;
  /** Forget state and restart the sample counter at 0. */
  reset(): void;
  close(): Promise<void>;
}

export interface VadEngine extends HasHealth {
  createStream(opts?: VadOptions): Promise<VadStream>;
  close(): Promise<void>;
}

/* ------------------------------------------------------------------ STT */

export interface SttResult {
  text: string;
  /** Other readings, best first (e.g. a grammar result and a general-LM result). */
  alternatives?: string[];
  /** Engine-specific confidence in [0, 1] when it has one. */
  confidence?: number;
  /** Wall time from finish()/transcribe() to the result. */
  latencyMs?: number;
}

export interface SttStream {
  /** 16 kHz PCM16 of the current utterance. */
  accept(pcm: Int16Array): void;
  /** Partial hypotheses while the caller speaks (engines without them never call it). */
  onPartial(listener: (text: string) => void): () => void;
  /** The recogniser's own end-of-utterance rules fired (streaming engines that have them). */
  onEndpoint?(listener: (text: string) => void): () => void;
  /** End of utterance: the final transcript. The stream can not be reused afterwards. */
  finish(): Promise<SttResult>;
  /**
   * A quick reading of the audio so far, the utterance going on (engines that can: pocketsphinx
   * decodes it with its grammar alone, ~30 ms). `confidence` >= 0.9: a phrase it is sure of.
   */
  peek?(): Promise<SttResult>;
  /** Drop the utterance without decoding it (barge-in of a barge-in, hangup). */
  cancel(): void;
}

export interface SttOptions {
  /** BCP-47-ish language hint ('en', 'ru'). */
  language?: string;
  /** Phrases likely in this turn (FAQ questions, yes/no): engines that can bias toward them do. */
  hints?: string[];
  signal?: AbortSignal;
}

export interface SttEngine extends HasHealth {
  readonly name: string;
  /** Whether onPartial ever fires: the turn manager only waits for partials from engines that stream. */
  readonly streaming: boolean;
  createStream(opts?: SttOptions): SttStream;
  transcribe(pcm: Int16Array, opts?: SttOptions): Promise<SttResult>;
  close(): Promise<void>;
}

/* ------------------------------------------------------------------ TTS */

export interface TtsChunk {
  /** PCM16 mono. */
  pcm: Int16Array;
  sampleRate: number;
}

export interface TtsOptions {
  /** Stops synthesis mid-sentence (barge-in); the iterator then ends without throwing. */
  signal?: AbortSignal;
  voice?: string;
  language?: string;
  /** Speaking rate multiplier (1 = engine default). */
  speed?: number;
}

export interface TtsEngine extends HasHealth {
  readonly name: string;
  /** The rate chunks come at (known before synthesis, so the pipeline can set up a resampler). */
  readonly sampleRate: number;
  synthesize(text: string, opts?: TtsOptions): AsyncIterable<TtsChunk>;
  /** Resolves when the engine can answer at full speed (helper processes up, models loaded). */
  ready?(): Promise<void>;
  close(): Promise<void>;
}

/* ------------------------------------------------------------------ LLM */

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text as the model produced it. */
  arguments: string;
}

export interface ChatMessage {
  role: ChatRole;
  content: string;
  /** On assistant messages that called tools. */
  toolCalls?: ToolCall[];
  /** On tool results. */
  toolCallId?: string;
}

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export type LlmDelta =
  | { type: 'text'; text: string }
  | { type: 'tool_call'; call: ToolCall }
  | {
      type: 'done';
      finishReason: string;
      /** The provider that answered, and the model it ran. */
      provider: string;
      model: string;
      /** Token counts as the provider reported them (absent when it did not). */
      usage?: { inputTokens: number; outputTokens: number };
    };

export interface LlmOptions {
  signal?: AbortSignal;
  tools?: ToolSpec[];
  temperature?: number;
  maxTokens?: number;
}

export interface LlmEngine extends HasHealth {
  readonly name: string;
  /** Text deltas as they arrive; tool calls once complete; then one 'done'. Aborting ends it quietly. */
  stream(messages: ChatMessage[], opts?: LlmOptions): AsyncIterable<LlmDelta>;
}

/** True for the error an aborted fetch/iterator throws, whoever produced it. */
export function isAbortError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const name = (err as { name?: string }).name;
  return name === 'AbortError' || name === 'APIUserAbortError';
}
