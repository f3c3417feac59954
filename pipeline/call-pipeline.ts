/**
 * The contract between a transport (WebSocket, modem) and one conversation.
 *
 * A transport hands the pipeline caller audio as PCM16 mono 16 kHz and, on its own paced 20 ms
 * clock, pulls reply frames back. Pulling (rather than the pipeline pushing) keeps the transport in
 * charge of pacing and queue depth: when the pipeline clears its queue on barge-in, the very next
 * tick sends nothing, so `barge_in_ms` is bounded by one tick plus whatever the transport itself
 * has queued. The pipeline never learns whether the caller is on a modem or a browser.
 */

/** Audio inside the pipeline: PCM16 mono at this rate, in 20 ms frames. */
export const PIPELINE_SAMPLE_RATE = 16000;
export const PIPELINE_FRAME_SAMPLES = 320;

/** Names from DESIGN.md's latency vocabulary; every field optional because not every turn has every stage. */
export interface TurnMetrics {
  turn: number;
  endpoint_ms?: number;
  stt_final_ms?: number;
  llm_ttft_ms?: number;
  tts_ttfa_ms?: number;
  v2v_ms?: number;
  barge_in_ms?: number;
}

/**
 * One turn of the conversation as the pipeline saw it: what opened it, what the caller said, what
 * the assistant replied and what of that the caller actually heard, and its latencies. The call
 * log stores these as they are; nothing downstream rebuilds a turn from protocol events.
 */
export interface TurnRecord {
  /** 1 for the greeting, then one per reply, in order. */
  index: number;
  /** What opened the turn: the call starting, the caller (speech or typed text), caller silence, or the call's time limit. */
  cause: 'greeting' | 'caller' | 'silence' | 'time_limit';
  /** The final transcript (or typed text) this turn answers; '' when there is none or nothing intelligible was heard. */
  callerText: string;
  /** Everything the dialogue produced for the reply so far, heard or not. */
  replyText: string;
  /** What of the reply has played to the caller: whole sentences, plus the played words of a sentence cut short. */
  heardText: string;
  /** The reply stopped before all of it played (barge-in, typed text, `clear`, the call ending or its time limit). */
  interrupted: boolean;
  /** Wall-clock ISO time the turn opened, and the time it ended (null while it is in progress). */
  startedAt: string;
  endedAt: string | null;
  metrics: TurnMetrics;
}

/**
 * What a pipeline tells the call log, apart from the protocol events clients get: each turn as it
 * grows (`turn_progress`: when it opens, and each time a sentence has played, so a crash keeps what
 * was said and heard so far), each turn once as a whole when it ends (`turn_end`), and, as the
 * very last event, the call's end (`call_end`), after the record of a reply the hang-up cut short.
 */
export type CallRecordEvent =
  | { type: 'turn_progress'; turn: TurnRecord }
  | { type: 'turn_end'; turn: TurnRecord }
  | { type: 'call_end'; reason: string };

export type CallRecordListener = (event: CallRecordEvent) => void;

export type PipelineEvent =
  | { type: 'speech_started'; t_ms: number }
  | { type: 'speech_stopped'; t_ms: number }
  | { type: 'transcript'; final: boolean; text: string }
  | { type: 'response_text_delta'; text: string }
  | { type: 'response_audio_start' }
  | { type: 'response_audio_end'; interrupted: boolean }
  | { type: 'interrupted'; spoken_text?: string }
  /** A sentence of reply `turn` finished playing; `text` is all of that reply played so far. */
  | { type: 'response_spoken'; turn: number; text: string }
  | { type: 'turn_metrics'; metrics: TurnMetrics }
  | { type: 'error'; code: string; message: string }
  | { type: 'hangup'; reason: string };

export type PipelineEventListener = (event: PipelineEvent) => void;

/**
 * Error codes after which the conversation cannot go on (the VAD worker it listens through
 * crashed): every transport ends the call. Other errors (stt_failed, reply_failed) cost one turn.
 */
export const FATAL_PIPELINE_ERRORS: ReadonlySet<string> = new Set(['worker_crashed']);

/** What a caller's client may ask for besides audio. */
export type CallerControl =
  | { type: 'text'; text: string }
  | { type: 'dtmf'; digits: string }
  | { type: 'clear' };

export interface CallInfo {
  callId: string;
  /** 'ws' or 'modem'; for logs and per-channel defaults, never for behaviour. */
  channel: string;
  /** E.164 or whatever the network gave us, when known. */
  callerNumber?: string;
  persona?: string;
}

export interface CallPipeline {
  readonly info: CallInfo;
  /** Begin the conversation (e.g. queue the greeting). Called once, after the transport is ready. */
  start(): void;
  /**
   * One chunk of caller audio, PCM16 mono 16 kHz; usually 20 ms but any length is accepted. The
   * pipeline may keep `pcm` (pre-roll, an utterance): transports hand over memory they will not
   * write to again.
   */
  pushAudio(pcm: Int16Array): void;
  /** The next 20 ms reply frame (PIPELINE_FRAME_SAMPLES samples), or null when there is nothing to say. */
  pullAudio(): Int16Array | null;
  control(message: CallerControl): void;
  /** Subscribe to events; returns an unsubscribe function. */
  onEvent(listener: PipelineEventListener): () => void;
  /** Subscribe to the call's record (turns, its end); returns an unsubscribe function. */
  onRecord(listener: CallRecordListener): () => void;
  /** End the call and release workers; the record's `call_end` carries `reason`. Idempotent. */
  close(reason: string): Promise<void>;
}

/** Builds one pipeline per call; the gateway holds one factory and hands it to every transport. */
export type PipelineFactory = (info: CallInfo) => CallPipeline;
