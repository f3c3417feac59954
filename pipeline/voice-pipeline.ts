/**
 * One conversation: caller audio in, reply audio out, interruptible like a person.
 *
 * The turn manager only sequences; the work lives in ports (VAD, STT, dialogue, TTS, sentence
 * splitting) and in the ReplyPlayer. Timeline: every caller sample has an index on the call's
 * 16 kHz timeline and we remember when each chunk arrived, so latencies are measured from the
 * caller's actual last speech sample (DESIGN.md vocabulary), not from when a worker noticed it.
 *
 * Barge-in in two steps: reply audio pauses the moment the VAD hears the caller (that is what
 * `barge_in_ms` measures), and the reply is cancelled only once the caller has spoken for
 * `bargeInConfirmMs` or said something that is not a backchannel; otherwise playback resumes.
 */
import {
  PIPELINE_FRAME_SAMPLES,
  PIPELINE_SAMPLE_RATE,
  type CallInfo,
  type CallPipeline,
  type CallerControl,
  type PipelineEvent,
  type PipelineEventListener,
  type TurnMetrics,
} from './call-pipeline.ts';
import { createResampler, type Resampler } from '../media/resampler.ts';
import { DEFAULT_TURN_CONFIG, isBackchannel, type TurnConfig } from './turn/config.ts';
import type { DialogueChunk, DialoguePort, SentenceSplitterPort, SttPort, SttUtterance, TtsPort, VadEvent, VadPort } from './turn/ports.ts';
import { ReplyPlayer } from './turn/reply-player.ts';
import { ArrivalClock } from './turn/arrival-clock.ts';
import { EngineError, engineFailure, type EngineLog } from './engines/engine-error.ts';

export interface VoicePipelineDeps {
  vad: VadPort;
  stt: SttPort;
  tts: TtsPort;
  dialogue: DialoguePort;
  splitter: () => SentenceSplitterPort;
  config?: Partial<TurnConfig>;
  /** Already-synthesised greeting audio at 16 kHz (cache hit), so it plays at once. */
  greetingAudio?: (text: string) => Int16Array | undefined;
  /** Hook for persisting turns incrementally (call log, transcript). */
  onTurn?: (turn: { callerText: string; replyText: string; interrupted: boolean; metrics: TurnMetrics }) => void;
  now?: () => number;
  /** Where a failure's own text goes (under the error id the caller is told); stderr without one. */
  log?: EngineLog;
}

interface Reply {
  controller: AbortController;
  turn: number;
  text: string;
  /** Wall time of the caller's last speech sample that prompted this reply (none for the greeting). */
  speechEndWall: number | null;
  callerText: string;
  metrics: TurnMetrics;
  audioStarted: boolean;
  generating: boolean;
  hangupReason: string | null;
}

interface BargeIn {
  startSample: number;
  confirmed: boolean;
}

/**
 * How far behind the audio a VAD speech start may arrive and still find its utterance (and the
 * pre-roll before it) in the history kept here. The VAD runs in a worker thread: on a loaded
 * machine its start event came up to 1.3 s after the speech began, and with only 100 ms of slack
 * the first words were cut ("what are your opening hours" heard as "opening hours"). Two seconds
 * of 16 kHz audio is 64 KB per call.
 */
const VAD_LAG_SLACK_MS = 2000;

export class VoicePipeline implements CallPipeline {
  private readonly listeners = new Set<PipelineEventListener>();
  private readonly config: TurnConfig;
  private readonly player = new ReplyPlayer(PIPELINE_FRAME_SAMPLES, (spoken) => this.onSentencePlayed(spoken));
  private readonly arrivals = new ArrivalClock();
  private readonly now: () => number;
  private readonly preRoll: Int16Array[] = [];
  private preRollSamples = 0;
  private utterance: SttUtterance | null = null;
  private speechStartSample = 0;
  /** The current utterance began at a recogniser endpoint, not at a VAD start. */
  private continuation = false;
  private reply: Reply | null = null;
  private bargeIn: BargeIn | null = null;
  private turn = 0;
  /** Utterances begun, and the newest one answered: a late transcript of an older one is stale. */
  private utterances = 0;
  private answeredUtterance = 0;
  private closed = false;
  private readonly resamplers = new Map<number, Resampler>();

  constructor(
    readonly info: CallInfo,
    private readonly deps: VoicePipelineDeps,
  ) {
    this.config = { ...DEFAULT_TURN_CONFIG, ...deps.config };
    this.now = deps.now ?? (() => performance.now());
    deps.vad.onEvent((e) => this.onVad(e));
    deps.vad.onError((err) => {
      this.failed('worker_crashed', 'voice activity detection failed', err);
    });
  }

  start(): void {
    const reply = this.newReply(null);
    const signal = reply.controller.signal;
    void (async () => {
      const chunks: DialogueChunk[] = [];
      for await (const c of this.deps.dialogue.greet(signal)) chunks.push(c);
      if (signal.aborted) return;
      const text = chunks.map((c) => (c.type === 'text' ? c.text : '')).join('');
      const cached = text ? this.deps.greetingAudio?.(text) : undefined;
      if (!cached) return this.speak(reply, fromArray(chunks));
      // Cache hit: the greeting is audio already, so the first frame is ready for the next tick.
      this.player.beginSegment(text);
      this.player.push(cached);
      this.player.endSegment();
      reply.text = text;
      reply.generating = false;
      this.emit({ type: 'response_text_delta', text });
    })().catch((err: unknown) => this.failed('reply_failed', 'the reply failed', err));
  }

  pushAudio(pcm: Int16Array): void {
    if (this.closed || pcm.length === 0) return;
    this.arrivals.record(pcm.length, this.now());
    this.keepPreRoll(pcm);
    this.deps.vad.push(pcm);
    this.utterance?.accept(pcm);
    const b = this.bargeIn;
    if (b && !b.confirmed && this.arrivals.samples - b.startSample >= ((this.config.bargeInConfirmMs + this.config.vadHangoverMs) * PIPELINE_SAMPLE_RATE) / 1000) {
      this.confirmBargeIn();
    }
  }

  pullAudio(): Int16Array | null {
    const frame = this.player.next();
    const reply = this.reply;
    if (frame && reply && !reply.audioStarted) {
      reply.audioStarted = true;
      if (reply.speechEndWall !== null) reply.metrics.v2v_ms = round(this.now() - reply.speechEndWall);
      this.emit({ type: 'response_audio_start' });
    }
    if (!frame && reply && !reply.generating && !this.player.isPaused && !this.player.hasAudio) this.finishReply(false);
    return frame;
  }

  control(message: CallerControl): void {
    if (this.closed) return;
    switch (message.type) {
      case 'clear':
        this.cancelReply();
        return;
      case 'dtmf':
        this.deps.dialogue.dtmf?.(message.digits);
        return;
      case 'text':
        // Typed words answer everything said before them: a late transcript must not cut this reply.
        this.answeredUtterance = this.utterances;
        this.cancelReply();
        this.emit({ type: 'transcript', final: true, text: message.text });
        this.respondTo(message.text, null);
        return;
    }
  }

  onEvent(listener: PipelineEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A reply cut off by the hangup still reports its turn (what was heard, its latencies).
    this.cancelReply();
    this.utterance?.cancel();
    this.deps.vad.close();
    this.listeners.clear();
  }

  /** Each sentence as it finishes playing: what the caller has heard of the reply so far (the call log keeps it, should the gateway die mid-reply). */
  private onSentencePlayed(spoken: string): void {
    if (this.reply) this.emit({ type: 'response_spoken', turn: this.reply.turn, text: spoken });
  }

  private onVad(e: VadEvent): void {
    if (this.closed) return;
    if (e.type === 'start') {
      this.emit({ type: 'speech_started', t_ms: round((e.sample * 1000) / PIPELINE_SAMPLE_RATE) });
      this.beginUtterance(e.sample).accept(this.preRollFrom(e.sample));
      if (this.reply && this.config.allowBargeIn && (this.player.hasAudio || this.reply.generating)) {
        // Stop what the caller hears now; decide later whether this is a real interruption.
        this.player.pause();
        this.bargeIn = { startSample: e.sample, confirmed: false };
        this.reply.metrics.barge_in_ms = round(this.now() - this.arrivals.wallTimeOf(e.sample));
      }
      return;
    }
    this.endUtterance(e.sample);
  }

  private beginUtterance(startSample: number): SttUtterance {
    this.utterance?.cancel();
    this.utterances++;
    const utterance = this.deps.stt.begin();
    this.utterance = utterance;
    this.speechStartSample = startSample;
    utterance.onEndpoint?.(() => this.onSttEndpoint(utterance));
    return utterance;
  }

  /**
   * The recogniser ended the utterance while the VAD still hears speech (a noisy line can hold
   * the VAD there for its maximum of 30 s): the turn ends now. What follows, until the VAD's own
   * end, is a new utterance, so words said straight after are not lost.
   */
  private onSttEndpoint(utterance: SttUtterance): void {
    if (this.closed || this.utterance !== utterance) return;
    const sample = this.arrivals.samples;
    this.endUtterance(sample);
    this.continuation = true;
    this.beginUtterance(sample);
  }

  private endUtterance(endSample: number): void {
    const utterance = this.utterance;
    this.utterance = null;
    const continuation = this.continuation;
    this.continuation = false;
    const tooShort = ((endSample - this.speechStartSample) * 1000) / PIPELINE_SAMPLE_RATE < this.config.minUtteranceMs;
    // After a recogniser endpoint the VAD's end closes a stretch that may hold nothing: unheard unless it is a turn.
    if (continuation && tooShort) return void utterance?.cancel();
    const endWall = this.arrivals.wallTimeOf(endSample);
    this.emit({ type: 'speech_stopped', t_ms: round((endSample * 1000) / PIPELINE_SAMPLE_RATE) });
    if (tooShort) {
      // Too short to be a turn (a click, a cough): forget it, and undo a pause it caused.
      utterance?.cancel();
      this.resumeAfterFalseBargeIn();
      return;
    }
    const endpointMs = round(this.now() - endWall);
    if (!utterance) return;
    const seq = this.utterances;
    void utterance.finish().then(
      (text) => this.onFinalTranscript(text, endWall, endpointMs, seq, continuation),
      (err: unknown) => this.failed('stt_failed', 'speech recognition failed', err),
    );
  }

  private onFinalTranscript(text: string, endWall: number, endpointMs: number, seq: number, continuation: boolean): void {
    // A decode can finish after a later utterance's (e.g. a long one on a busy STT): the caller
    // has been answered since, and answering the older words now would cut into that reply.
    if (this.closed || seq < this.answeredUtterance) return;
    const sttFinal = round(this.now() - endWall);
    if (continuation && !this.bargeIn) {
      // What followed a recogniser endpoint while the VAD never paused (so no barge-in was set up
      // for it): line noise or a backchannel is nothing; words cut into the reply to the
      // endpointed turn as a confirmed barge-in would, telling the dialogue what was heard.
      if (this.ignorable(text)) return;
      if (this.reply && (this.player.hasAudio || this.reply.generating)) this.cancelReply(true);
    }
    const b = this.bargeIn;
    if (b && !b.confirmed) {
      if (this.ignorable(text)) {
        // A false interruption ("mhm"): carry on where we paused. It answers nothing, so an older
        // utterance still decoding (a question said just before) is still answered when it lands.
        this.resumeAfterFalseBargeIn();
        return;
      }
      this.confirmBargeIn();
    }
    this.answeredUtterance = seq;
    this.bargeIn = null;
    if (text) this.emit({ type: 'transcript', final: true, text });
    this.respondTo(text, endWall, { endpoint_ms: endpointMs, stt_final_ms: sttFinal });
  }

  /** Nothing to answer: silence, noise or a backchannel; "yes" counts when the reply asks for it (a read-back). */
  private ignorable(text: string): boolean {
    return isBackchannel(text, this.config) && !(text && this.deps.dialogue.isAnswer?.(text));
  }

  private resumeAfterFalseBargeIn(): void {
    if (!this.bargeIn || this.bargeIn.confirmed) return;
    this.bargeIn = null;
    if (this.reply) delete this.reply.metrics.barge_in_ms;
    this.player.resume();
  }

  private confirmBargeIn(): void {
    const b = this.bargeIn;
    if (!b || b.confirmed) return;
    b.confirmed = true;
    this.cancelReply(true);
  }

  private respondTo(text: string, speechEndWall: number | null, metrics: Partial<TurnMetrics> = {}): void {
    const reply = this.newReply(speechEndWall);
    reply.callerText = text;
    Object.assign(reply.metrics, metrics);
    reply.metrics.turn = reply.turn;
    const llmStart = this.now();
    const source = this.deps.dialogue.respond(text, reply.controller.signal);
    const self = this;
    void this.speak(
      reply,
      (async function* () {
        let first = true;
        for await (const chunk of source) {
          if (first && chunk.type === 'text') {
            reply.metrics.llm_ttft_ms = round(self.now() - llmStart);
            first = false;
          }
          yield chunk;
        }
      })(),
    );
  }

  /** Sentences from the dialogue go to TTS one by one while earlier ones play. */
  private async speak(reply: Reply, chunks: AsyncIterable<DialogueChunk>): Promise<void> {
    const splitter = this.deps.splitter();
    const signal = reply.controller.signal;
    let firstSentence = true;
    try {
      for await (const chunk of chunks) {
        if (signal.aborted) return;
        if (chunk.type === 'hangup') {
          reply.hangupReason = chunk.reason;
          continue;
        }
        reply.text += chunk.text;
        this.emit({ type: 'response_text_delta', text: chunk.text });
        for (const sentence of splitter.push(chunk.text)) {
          await this.synthesize(reply, sentence, firstSentence);
          firstSentence = false;
          if (signal.aborted) return;
        }
      }
      for (const sentence of splitter.flush()) {
        await this.synthesize(reply, sentence, firstSentence);
        firstSentence = false;
        if (signal.aborted) return;
      }
    } catch (err) {
      if (signal.aborted) return;
      this.failed('reply_failed', 'the reply failed', err);
    } finally {
      reply.generating = false;
    }
  }

  private async synthesize(reply: Reply, sentence: string, first: boolean): Promise<void> {
    const text = sentence.trim();
    if (!text) return;
    const signal = reply.controller.signal;
    const started = this.now();
    this.player.beginSegment(text);
    let gotAudio = false;
    for await (const chunk of this.deps.tts.synthesize(text, signal)) {
      if (signal.aborted) return;
      if (!gotAudio && first) reply.metrics.tts_ttfa_ms = round(this.now() - started);
      gotAudio = true;
      this.player.push(this.to16k(chunk.pcm, chunk.sampleRate));
    }
    this.player.endSegment();
  }

  private to16k(pcm: Int16Array, rate: number): Int16Array {
    if (rate === PIPELINE_SAMPLE_RATE) return pcm;
    let r = this.resamplers.get(rate);
    if (!r) {
      r = createResampler(rate, PIPELINE_SAMPLE_RATE);
      this.resamplers.set(rate, r);
    }
    return r.process(pcm);
  }

  private newReply(speechEndWall: number | null): Reply {
    this.cancelReply();
    this.turn++;
    const reply: Reply = {
      controller: new AbortController(),
      turn: this.turn,
      text: '',
      callerText: '',
      speechEndWall,
      metrics: { turn: this.turn },
      audioStarted: false,
      generating: true,
      hangupReason: null,
    };
    this.reply = reply;
    return reply;
  }

  /**
   * Stop the current reply; with `interrupted` (a barge-in), tell the dialogue what the caller heard.
   * A reply stopped before all of it played (typed text, `clear`, a hangup) is reported as
   * interrupted too, with what was heard: the turn and the transcript keep that, never the unspoken rest.
   */
  private cancelReply(interrupted = false): void {
    const reply = this.reply;
    if (!reply) return;
    reply.controller.abort();
    const cut = interrupted || this.player.hasAudio || reply.generating;
    const heard = this.player.clear();
    for (const r of this.resamplers.values()) r.reset();
    if (interrupted) this.deps.dialogue.interrupted?.(heard);
    if (cut) this.emit({ type: 'interrupted', spoken_text: heard });
    this.finishReply(cut, heard);
  }

  private finishReply(interrupted: boolean, heard?: string): void {
    const reply = this.reply;
    if (!reply) return;
    this.reply = null;
    this.player.takeSpoken();
    this.deps.onTurn?.({ callerText: reply.callerText, replyText: interrupted ? (heard ?? '') : reply.text, interrupted, metrics: reply.metrics });
    if (reply.audioStarted) this.emit({ type: 'response_audio_end', interrupted });
    if (Object.keys(reply.metrics).length > 1) this.emit({ type: 'turn_metrics', metrics: reply.metrics });
    if (!interrupted && reply.hangupReason && !this.closed) this.emit({ type: 'hangup', reason: reply.hangupReason });
  }

  private keepPreRoll(pcm: Int16Array): void {
    this.preRoll.push(pcm);
    this.preRollSamples += pcm.length;
    const keep = ((this.config.preRollMs + VAD_LAG_SLACK_MS) * PIPELINE_SAMPLE_RATE) / 1000;
    while (this.preRoll.length > 1 && this.preRollSamples - this.preRoll[0].length >= keep) {
      this.preRollSamples -= this.preRoll.shift()!.length;
    }
  }

  /** Buffered caller audio from `preRollMs` before `sample` up to now. */
  private preRollFrom(sample: number): Int16Array {
    const want = Math.max(0, sample - (this.config.preRollMs * PIPELINE_SAMPLE_RATE) / 1000);
    const end = this.arrivals.samples;
    const startOfBuffer = end - this.preRollSamples;
    const from = Math.max(want, startOfBuffer);
    const out = new Int16Array(end - from);
    let pos = startOfBuffer;
    let o = 0;
    for (const chunk of this.preRoll) {
      const a = Math.max(0, from - pos);
      if (a < chunk.length) {
        out.set(chunk.subarray(a), o);
        o += chunk.length - a;
      }
      pos += chunk.length;
    }
    return out;
  }

  /**
   * Tells the client what failed in our words and under an error id; the failure's own text (a
   * worker's stack, a path, an upstream's answer) goes to the log only. An engine's EngineError is
   * already such words, with its id logged, and is passed on as it is.
   */
  private failed(code: string, summary: string, err: unknown): void {
    const told = err instanceof EngineError ? err : engineFailure(this.deps.log, 'voice-pipeline', summary, { err, callId: this.info.callId });
    this.emit({ type: 'error', code, message: told.message });
  }

  private emit(event: PipelineEvent): void {
    for (const l of this.listeners) l(event);
  }
}

const round = (n: number) => Math.round(n * 10) / 10;

async function* fromArray<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}
