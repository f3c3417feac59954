/**
 * One conversation: caller audio in, reply audio out, interruptible like a person.
 *
 * The turn manager only sequences; the work lives in ports (VAD, STT, dialogue, TTS, sentence
 * splitting) and in small processors: the ReplyPlayer (what is queued and what was heard), the
 * ReplyVoice (text to queued audio), the PreRollBuffer (audio before the VAD's start) and the
 * DialogueClock (caller silence, the call's length). Timeline: every caller sample has an index on
 * the call's 16 kHz timeline and we remember when each chunk arrived, so latencies are measured
 * from the caller's actual last speech sample (DESIGN.md vocabulary), not from when a worker
 * noticed it.
 *
 * Barge-in in two steps: reply audio pauses the moment the VAD hears the caller (that is what
 * `barge_in_ms` measures), and the reply is cancelled only once the caller has spoken for
 * `bargeInConfirmMs` or said something that is not a backchannel; otherwise playback resumes.
 *
 * Every turn is reported whole once it ends (`turn_end` on onRecord, with what the caller said,
 * what was replied and heard, and its latencies), and as it grows (`turn_progress`), which is what
 * the call log stores.
 */
import {
  PIPELINE_FRAME_SAMPLES,
  PIPELINE_SAMPLE_RATE,
  type CallInfo,
  type CallPipeline,
  type CallRecordEvent,
  type CallRecordListener,
  type CallerControl,
  type PipelineEvent,
  type PipelineEventListener,
  type TurnMetrics,
  type TurnRecord,
} from './call-pipeline.ts';
import { DEFAULT_DIALOGUE_SETTINGS, type DialogueSettings } from './conversation/dialogue-settings.ts';
import { DEFAULT_TURN_CONFIG, type TurnConfig } from './turn/config.ts';
import { judgeSpeechOverReply, overReplyVocabulary, type Heard } from './turn/interruption-judge.ts';
import { isCompleteTurn, isUnsureFragment } from './turn/turn-completion.ts';
import { DialogueClock } from './turn/dialogue-clock.ts';
import type { DialogueChunk, DialoguePort, SentenceSplitterPort, SttPort, SttUtterance, TtsPort, VadEvent, VadPort } from './turn/ports.ts';
import { PreRollBuffer } from './turn/pre-roll.ts';
import { ReplyPlayer } from './turn/reply-player.ts';
import { ReplyVoice } from './turn/reply-voice.ts';
import { ArrivalClock } from './turn/arrival-clock.ts';
import { EngineError, engineFailure, type EngineLog } from './engines/engine-error.ts';
import type { NoiseSuppressor } from './engines/noise-rnnoise.ts';

export interface VoicePipelineDeps {
  vad: VadPort;
  stt: SttPort;
  tts: TtsPort;
  dialogue: DialoguePort;
  splitter: () => SentenceSplitterPort;
  config?: Partial<TurnConfig>;
  /** Silence and call-length rules for this call, fixed when it starts (DEFAULT_DIALOGUE_SETTINGS when absent). */
  dialogueSettings?: Partial<DialogueSettings>;
  /** Audio synthesised ahead of calls (greeting, cue prompts) at 16 kHz, so those texts play at once. */
  cachedAudio?: (text: string) => Int16Array | undefined;
  /** Monotonic milliseconds (performance.now()); injectable so a test can step time. */
  now?: () => number;
  /** Where a failure's own text goes (under the error id the caller is told); stderr without one. */
  log?: EngineLog;
  /** Called once, when the call has closed: engines leased for it are given back (engine-slot.ts). */
  onClosed?: () => void;
  /** This call's noise suppressor (NOISE_SUPPRESSION): the caller's audio goes through it before the VAD and the recogniser. */
  denoise?: NoiseSuppressor;
}

/** One assistant turn, from the moment it was asked for until it played out or was cut. */
interface Reply {
  readonly controller: AbortController;
  readonly record: TurnRecord;
  /** When the caller's last speech sample that this reply answers arrived (for v2v_ms); null when it answers no speech. */
  readonly speechEndAt: number | null;
  audioStarted: boolean;
  generating: boolean;
  /** The dialogue's goodbye: hang up with this reason once the reply has played to its end. */
  hangupReason: string | null;
}

/** Why the turn manager itself ends a call. */
type CloseReason = 'silence' | 'max_duration';

/**
 * The assistant's side of the call. Only `listening`, `replying` and `paused` listen to the caller;
 * `finishing` and `goodbye` are the call's last words, which nothing interrupts.
 */
type TurnState =
  /** Nothing to say: the caller's turn (the dialogue clock counts their silence). */
  | { kind: 'listening' }
  /** A reply is being generated and/or played. */
  | { kind: 'replying'; reply: Reply }
  /** Reply audio paused since the caller began speaking at sample `speechStart`: cancelled once that is confirmed, resumed after a backchannel. */
  | { kind: 'paused'; reply: Reply; speechStart: number }
  /** The call is ending: the reply playing finishes its sentence (`cut`: the rest was dropped), then the goodbye. */
  | { kind: 'finishing'; reason: CloseReason; reply: Reply; cut: boolean }
  /** The goodbye plays; then the hang-up. */
  | { kind: 'goodbye'; reason: CloseReason; reply: Reply }
  /** A hang-up was asked for; the transport plays out what is queued and closes. */
  | { kind: 'hung_up' }
  | { kind: 'closed' };

const replyOf = (s: TurnState): Reply | null => ('reply' in s ? s.reply : null);

/** What the caller said of a turn that plainly goes on; answered at `until` if nothing follows. */
interface HeldTurn {
  text: string;
  /** When the caller's last speech sample arrived (for v2v_ms). */
  endWall: number;
  until: number;
  /** Holds in a row so far. */
  holds: number;
}

/** A caller reading out a long number in groups is held at most this many times in a row. */
const MAX_HOLDS = 3;

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
  private readonly recordListeners = new Set<CallRecordListener>();
  private readonly config: TurnConfig;
  private readonly settings: DialogueSettings;
  private readonly player = new ReplyPlayer(PIPELINE_FRAME_SAMPLES, (spoken) => this.onSentencePlayed(spoken));
  private readonly voice: ReplyVoice;
  private readonly arrivals: ArrivalClock;
  private readonly preRoll: PreRollBuffer;
  private readonly now: () => number;
  private state: TurnState = { kind: 'listening' };
  /** Created by start(): the call's deadlines count from then. */
  private clock: DialogueClock | null = null;
  private turns = 0;
  // The caller's side: the utterance being heard, and those still being decoded.
  private utterance: SttUtterance | null = null;
  private speechStartSample = 0;
  /** The current utterance began at a recogniser endpoint, not at a VAD start. */
  private continuation = false;
  private decoding = 0;
  /** Utterances begun, and the newest one answered: a late transcript of an older one is stale. */
  private utterances = 0;
  private answeredUtterance = 0;
  /** Bumped by every VAD event but onsets (outside speech only): a reading taken at a pause is used only if nothing happened since. */
  private pauses = 0;
  /** A turn that goes on, waiting for the caller's next words (holdFor). */
  private held: HeldTurn | null = null;
  /** The reply paused at a VAD onset (speech may be starting over it), and when: the start confirms the pause, its loss undoes it. */
  private onsetPause: { reply: Reply; at: number } | null = null;
  /** Backchannels and interrupting words: never a whole turn at a pause on their own. */
  private readonly overReply: string[];

  constructor(
    readonly info: CallInfo,
    private readonly deps: VoicePipelineDeps,
  ) {
    this.config = { ...DEFAULT_TURN_CONFIG, ...deps.config };
    this.overReply = overReplyVocabulary(this.config);
    this.settings = { ...DEFAULT_DIALOGUE_SETTINGS, ...deps.dialogueSettings };
    this.now = deps.now ?? (() => performance.now());
    // The VAD numbers the denoised audio, which lags what arrived by the suppressor's delay.
    this.arrivals = new ArrivalClock(Math.round(((deps.denoise?.delayMs ?? 0) * PIPELINE_SAMPLE_RATE) / 1000));
    this.voice = new ReplyVoice({ tts: deps.tts, splitter: deps.splitter, player: this.player, now: this.now });
    this.preRoll = new PreRollBuffer(((this.config.preRollMs + VAD_LAG_SLACK_MS) * PIPELINE_SAMPLE_RATE) / 1000);
    deps.vad.onEvent((e) => this.onVad(e));
    deps.vad.onError((err) => {
      this.failed('worker_crashed', 'voice activity detection failed', err);
    });
  }

  start(): void {
    if (this.clock || this.state.kind === 'closed') return;
    this.clock = new DialogueClock(this.settings, this.now());
    const reply = this.newReply('greeting', '', null);
    this.enter({ kind: 'replying', reply });
    const signal = reply.controller.signal;
    void (async () => {
      const chunks: DialogueChunk[] = [];
      for await (const c of this.deps.dialogue.greet(signal)) chunks.push(c);
      if (signal.aborted) return;
      await this.say(reply, chunks.map((c) => (c.type === 'text' ? c.text : '')).join(''));
    })().catch((err: Error) => this.replyFailed(reply, err));
  }

  pushAudio(input: Int16Array): void {
    if (!this.listening || input.length === 0) return;
    this.arrivals.record(input.length, this.now());
    const pcm = this.deps.denoise ? this.deps.denoise.process(input) : input;
    this.preRoll.push(pcm);
    this.deps.vad.push(pcm);
    this.utterance?.accept(pcm);
    const s = this.state;
    if (s.kind === 'paused' && this.arrivals.heardSamples - s.speechStart >= ((this.config.bargeInConfirmMs + this.config.vadHangoverMs) * PIPELINE_SAMPLE_RATE) / 1000) {
      this.cancelReply(true);
    }
  }

  pullAudio(): Int16Array | null {
    // Deadlines first: a reply whose last frame went out on the previous pull still counts as
    // playing now, and a cached re-prompt or goodbye started here plays from this very pull.
    this.keepTime();
    const frame = this.player.next();
    const reply = replyOf(this.state);
    if (frame && reply && !reply.audioStarted) {
      reply.audioStarted = true;
      if (reply.speechEndAt !== null) reply.record.metrics.v2v_ms = round(this.now() - reply.speechEndAt);
      this.emit({ type: 'response_audio_start' });
    }
    if (!frame && reply && !reply.generating && !this.player.isPaused && !this.player.hasAudio) this.replyPlayed(reply);
    return frame;
  }

  control(message: CallerControl): void {
    // While the call says its last words, nothing the caller sends changes them.
    if (!this.listening) return;
    switch (message.type) {
      case 'clear':
        this.cancelReply();
        return;
      case 'dtmf':
        this.clock?.busy(this.now());
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

  onRecord(listener: CallRecordListener): () => void {
    this.recordListeners.add(listener);
    return () => this.recordListeners.delete(listener);
  }

  async close(reason: string): Promise<void> {
    if (this.state.kind === 'closed') return;
    // A reply cut off by the hangup still reports its turn (what was heard, its latencies).
    const reply = replyOf(this.state);
    if (reply) this.cutReply(reply, false);
    this.enter({ kind: 'closed' });
    this.utterance?.cancel();
    this.utterance = null;
    this.deps.vad.close();
    this.deps.denoise?.close();
    this.record({ type: 'call_end', reason });
    this.listeners.clear();
    this.recordListeners.clear();
    this.deps.onClosed?.();
  }

  /** The caller is listened to (and answered) only before the call starts ending. */
  private get listening(): boolean {
    const k = this.state.kind;
    return k === 'listening' || k === 'replying' || k === 'paused';
  }

  /** The one place the state changes: a reply that leaves the state stops generating. */
  private enter(next: TurnState): void {
    const left = replyOf(this.state);
    // A pause taken at an onset belongs to the reply it paused: the start makes it the paused
    // state's own; anything else (the reply cut or ended) must not leave the next reply silent.
    if (this.onsetPause && !(next.kind === 'replying' && next.reply === this.onsetPause.reply)) {
      this.onsetPause = null;
      if (next.kind !== 'paused') this.player.resume();
    }
    this.state = next;
    if (left && left !== replyOf(next)) left.controller.abort();
  }

  /** On every pull (the media clock): what the call's deadlines ask for now. */
  private keepTime(): void {
    const clock = this.clock;
    const s = this.state;
    if (!clock || s.kind === 'hung_up' || s.kind === 'closed') return;
    this.answerHeldTurn();
    const now = this.now();
    const callerActive = this.utterance !== null || this.decoding > 0 || this.held !== null;
    // A re-prompt playing is not an answer: the silence it asks about goes on counting.
    const answering = (s.kind === 'replying' || s.kind === 'paused') && s.reply.record.cause !== 'silence';
    if (callerActive || answering) clock.busy(now);
    const due = clock.due(now, s.kind === 'listening' && !callerActive);
    if (due === 'still_there') this.askStillThere();
    else if (due) this.endCall(due);
  }

  private askStillThere(): void {
    const text = this.deps.dialogue.cue?.('still_there');
    if (!text) return;
    const reply = this.newReply('silence', '', null);
    this.enter({ kind: 'replying', reply });
    void this.say(reply, text);
  }

  /**
   * The turn manager ends the call: a reply playing finishes the sentence it is in (at the time
   * limit; nothing else is playing at a silence timeout), the persona says goodbye, and the
   * pipeline asks the transport to hang up with `reason`.
   */
  private endCall(reason: CloseReason): void {
    const s = this.state;
    if (!this.listening) return;
    this.utterance?.cancel();
    this.utterance = null;
    if (s.kind === 'replying') {
      const cut = this.player.stopAfterCurrent() || s.reply.generating;
      s.reply.controller.abort();
      this.enter({ kind: 'finishing', reason, reply: s.reply, cut });
      return;
    }
    // Paused under the caller's speech: nothing of it plays again.
    if (s.kind === 'paused') this.cutReply(s.reply, false);
    this.sayGoodbye(reason);
  }

  private sayGoodbye(reason: CloseReason): void {
    const text = this.deps.dialogue.cue?.(reason === 'silence' ? 'silence_goodbye' : 'time_limit_goodbye');
    if (!text) return this.hangUp(reason);
    const reply = this.newReply(reason === 'silence' ? 'silence' : 'time_limit', '', null);
    this.enter({ kind: 'goodbye', reason, reply });
    void this.say(reply, text);
  }

  private hangUp(reason: string): void {
    this.enter({ kind: 'hung_up' });
    this.emit({ type: 'hangup', reason });
  }

  /** Each sentence as it finishes playing: what the caller has heard of the reply so far (the call log keeps it, should the gateway die mid-reply). */
  private onSentencePlayed(spoken: string): void {
    const reply = replyOf(this.state);
    if (!reply) return;
    reply.record.heardText = spoken;
    this.emit({ type: 'response_spoken', turn: reply.record.index, text: spoken });
    this.record({ type: 'turn_progress', turn: snapshot(reply.record) });
  }

  private onVad(e: VadEvent): void {
    if (!this.listening) return;
    if (e.type === 'onset') return this.pauseReplyAtOnset();
    if (e.type === 'onset_lost') return this.resumeAfterLostOnset();
    if (e.type === 'pause') return this.onPause(e.sample);
    // Speech went on (or ended, or began anew): a reading taken at the last pause is stale.
    this.pauses++;
    if (e.type === 'resume') {
      // The caller goes on after a turn that ended at their pause: the answer already started is
      // paused as any reply spoken over is, and judged when this speech ends.
      if (this.continuation && this.utterance) this.pauseReplyForSpeech(e.sample);
      return;
    }
    if (e.type === 'start') {
      this.emit({ type: 'speech_started', t_ms: round((e.sample * 1000) / PIPELINE_SAMPLE_RATE) });
      const from = Math.max(0, e.sample - (this.config.preRollMs * PIPELINE_SAMPLE_RATE) / 1000);
      this.beginUtterance(e.sample).accept(this.preRoll.since(from, this.arrivals.samples));
      this.pauseReplyForSpeech(e.sample);
      // An onset's pause the start did not take over (nothing left to pause) is not left behind.
      if (this.onsetPause) this.resumeAfterLostOnset();
      return;
    }
    this.endUtterance(e.sample);
  }

  /** Caller speech from `sample` over a reply: stop what the caller hears now; decide later whether it is a real interruption. */
  private pauseReplyForSpeech(sample: number): void {
    const s = this.state;
    if ((s.kind === 'replying' || s.kind === 'paused') && this.config.allowBargeIn && (this.player.hasAudio || s.reply.generating)) {
      this.player.pause();
      // The caller stopped hearing the reply when it paused, at the onset if one came first.
      const pausedAt = this.onsetPause?.reply === s.reply ? this.onsetPause.at : this.now();
      s.reply.record.metrics.barge_in_ms = round(pausedAt - this.arrivals.wallTimeOf(sample));
      this.enter({ kind: 'paused', reply: s.reply, speechStart: sample });
    }
  }

  /**
   * The VAD's first window of possible speech over a reply: pause what the caller hears now, one
   * minimum speech before the start is sure. The start that follows makes it a barge-in's pause;
   * an onset that falls back (a click, a breath) resumes the reply a window or two later.
   */
  private pauseReplyAtOnset(): void {
    const s = this.state;
    if (s.kind !== 'replying' || !this.config.allowBargeIn || this.player.isPaused || !(this.player.hasAudio || s.reply.generating)) return;
    this.player.pause();
    this.onsetPause = { reply: s.reply, at: this.now() };
  }

  private resumeAfterLostOnset(): void {
    const pause = this.onsetPause;
    this.onsetPause = null;
    if (pause && this.state.kind === 'replying' && this.state.reply === pause.reply) this.player.resume();
  }

  /**
   * A short silence inside the caller's speech: when the recogniser is sure the caller said a
   * whole phrase the dialogue expects (and the persona allows it), the turn ends here rather than
   * at the VAD's full silence (turn-completion.ts). Also over a paused reply: a whole question there is an interruption
   * (interruption-judge.ts), while backchannels are never whole turns and wait to be judged at
   * the end. A reading that comes back after speech resumed, or that fails, changes nothing: the
   * VAD's end still comes.
   */
  private onPause(sample: number): void {
    const utterance = this.utterance;
    const open = () => this.state.kind === 'listening' || this.state.kind === 'paused';
    if (!utterance?.peek || this.continuation || !open()) return;
    const pause = ++this.pauses;
    // Peeked even when the turn may not end here: the recogniser starts decoding what was said so
    // far, and the VAD's end finds it done (stt-pocketsphinx.ts).
    utterance.peek().then(
      (heard) => {
        if (!this.settings.earlyTurnEnd || pause !== this.pauses || this.utterance !== utterance || !this.listening || !open()) return;
        if (heard.sure && isCompleteTurn(heard.text, this.overReply)) this.endTurnAtPause(utterance, sample, heard.text);
      },
      () => {},
    );
  }

  /** The turn ends at `sample` with `text` (read at a pause); what the caller says before the VAD's end is a new utterance. */
  private endTurnAtPause(utterance: SttUtterance, sample: number, text: string): void {
    utterance.cancel();
    this.utterance = null;
    const durationMs = ((sample - this.speechStartSample) * 1000) / PIPELINE_SAMPLE_RATE;
    const endWall = this.arrivals.wallTimeOf(sample);
    this.emit({ type: 'speech_stopped', t_ms: round((sample * 1000) / PIPELINE_SAMPLE_RATE) });
    const endpointMs = round(this.now() - endWall);
    const seq = this.utterances;
    this.continuation = true;
    this.beginUtterance(this.arrivals.samples);
    this.onFinalTranscript({ text, durationMs, confidence: 1 }, endWall, endpointMs, seq, false);
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
    if (!this.listening || this.utterance !== utterance) return;
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
    if (continuation && tooShort) {
      // Nothing after all (a breath after a turn ended at its pause): an answer it paused plays on.
      utterance?.cancel();
      this.resumeAfterFalseBargeIn();
      return;
    }
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
    const durationMs = ((endSample - this.speechStartSample) * 1000) / PIPELINE_SAMPLE_RATE;
    this.decoding++;
    void utterance.finish().then(
      (text) => {
        this.decoding--;
        this.onFinalTranscript({ text, durationMs, ...utterance.readings?.() }, endWall, endpointMs, seq, continuation);
      },
      (err: unknown) => {
        this.decoding--;
        this.failed('stt_failed', 'speech recognition failed', err);
      },
    );
  }

  private onFinalTranscript(heard: Heard, endWall: number, endpointMs: number, seq: number, continuation: boolean): void {
    // A decode can finish after a later utterance's (e.g. a long one on a busy STT): the caller
    // has been answered since, and answering the older words now would cut into that reply.
    if (!this.listening || seq < this.answeredUtterance) return;
    const { text } = heard;
    const sttFinal = round(this.now() - endWall);
    const s = this.state;
    if (continuation && s.kind !== 'paused') {
      // What followed a recogniser endpoint while the VAD never paused (so no barge-in was set up
      // for it): line noise or a backchannel is nothing; words cut into the reply to the
      // endpointed turn as a confirmed barge-in would, telling the dialogue what was heard.
      if (this.ignorable(heard)) return;
      if (s.kind === 'replying' && (this.player.hasAudio || s.reply.generating)) this.cancelReply(true);
    }
    if (this.state.kind === 'paused') {
      if (this.ignorable(heard)) {
        // A false interruption ("mhm"): carry on where we paused. It answers nothing, so an older
        // utterance still decoding (a question said just before) is still answered when it lands.
        this.resumeAfterFalseBargeIn();
        return;
      }
      this.cancelReply(true);
    }
    this.answeredUtterance = seq;
    const held = this.held;
    this.held = null;
    // Words after a held turn finish it: answered together, timed from where the caller stopped last.
    const said = held && text ? `${held.text} ${text}` : (held?.text ?? text);
    const holdMs = this.holdFor(said, heard, held);
    if (holdMs > 0) {
      this.held = { text: said, endWall, until: this.now() + holdMs, holds: (held?.holds ?? 0) + 1 };
      return;
    }
    if (said) this.emit({ type: 'transcript', final: true, text: said });
    this.respondTo(said, endWall, { endpoint_ms: endpointMs, stt_final_ms: sttFinal });
  }

  /**
   * How long a turn waits for the caller's next words instead of being answered at the VAD's
   * silence (0: answered now). A turn that plainly goes on ("my number is", "five five five",
   * "... and") waits `incompleteHoldMs`: a phone number read in groups is one turn. A first short
   * reading the recogniser was unsure of waits `unsureHoldMs`: it is as often the misheard start
   * of a sentence as a whole one. Only while the caller has the floor, at most three times in a row.
   */
  private holdFor(text: string, heard: Heard, held: HeldTurn | null): number {
    // Nothing more was heard (a cough): the held words are answered as they stand, not held again.
    if (held && text === held.text) return 0;
    if (!this.settings.earlyTurnEnd || text === '' || this.state.kind !== 'listening' || (held?.holds ?? 0) >= MAX_HOLDS) return 0;
    if (this.config.incompleteHoldMs > 0 && !isCompleteTurn(text)) return this.config.incompleteHoldMs;
    if (!held && isUnsureFragment(text, heard.confidence, this.overReply)) return this.config.unsureHoldMs;
    return 0;
  }

  /** A held turn whose caller said nothing more in time is answered as it stands. */
  private answerHeldTurn(): void {
    const held = this.held;
    if (!held || this.utterance !== null || this.decoding > 0 || this.now() < held.until || this.state.kind !== 'listening') return;
    this.held = null;
    this.emit({ type: 'transcript', final: true, text: held.text });
    this.respondTo(held.text, held.endWall, { endpoint_ms: round(this.now() - held.endWall) });
  }

  /** Nothing to answer over a reply: silence, noise or a backchannel, judged on more than the words; "yes" counts when the reply asks for it (a read-back). */
  private ignorable(heard: Heard): boolean {
    return judgeSpeechOverReply(heard, this.config, (text) => this.deps.dialogue.isAnswer?.(text) ?? false) === 'backchannel';
  }

  private resumeAfterFalseBargeIn(): void {
    const s = this.state;
    if (s.kind !== 'paused') return;
    delete s.reply.record.metrics.barge_in_ms;
    this.player.resume();
    this.enter({ kind: 'replying', reply: s.reply });
  }

  private respondTo(text: string, speechEndAt: number | null, metrics: Partial<TurnMetrics> = {}): void {
    // Any turn answered now (a typed one included) supersedes a held one: it must not come back later, stale.
    this.held = null;
    this.cancelReply();
    const reply = this.newReply('caller', text, speechEndAt);
    Object.assign(reply.record.metrics, metrics);
    this.enter({ kind: 'replying', reply });
    const llmStart = this.now();
    const source = this.deps.dialogue.respond(text, reply.controller.signal);
    const now = this.now;
    void this.speak(
      reply,
      (async function* () {
        let first = true;
        for await (const chunk of source) {
          if (first && chunk.type === 'text') {
            reply.record.metrics.llm_ttft_ms = round(now() - llmStart);
            first = false;
          }
          yield chunk;
        }
      })(),
    );
  }

  /** A fixed text (greeting, cue): from the audio cache when it is there, else through TTS. */
  private async say(reply: Reply, text: string): Promise<void> {
    const cached = text ? this.deps.cachedAudio?.(text) : undefined;
    if (!cached) return this.speak(reply, fromArray([{ type: 'text', text }]));
    // Cache hit: the text is audio already, so the first frame is ready for the next tick.
    this.voice.playReady(text, cached);
    reply.record.replyText = text;
    reply.generating = false;
    this.emit({ type: 'response_text_delta', text });
  }

  private async speak(reply: Reply, chunks: AsyncIterable<DialogueChunk>): Promise<void> {
    const metrics = reply.record.metrics;
    try {
      await this.voice.speak(chunks, {
        signal: reply.controller.signal,
        text: (delta) => {
          reply.record.replyText += delta;
          this.emit({ type: 'response_text_delta', text: delta });
        },
        hangup: (reason) => (reply.hangupReason = reason),
        firstAudio: (ms) => (metrics.tts_ttfa_ms = round(ms)),
      });
    } catch (err) {
      this.replyFailed(reply, err);
    } finally {
      reply.generating = false;
    }
  }

  private replyFailed(reply: Reply, err: unknown): void {
    reply.generating = false;
    if (reply.controller.signal.aborted) return;
    this.failed('reply_failed', 'the reply failed', err);
  }

  private newReply(cause: TurnRecord['cause'], callerText: string, speechEndAt: number | null): Reply {
    const index = ++this.turns;
    const record: TurnRecord = {
      index,
      cause,
      callerText,
      replyText: '',
      heardText: '',
      interrupted: false,
      startedAt: new Date().toISOString(),
      endedAt: null,
      metrics: { turn: index },
    };
    this.record({ type: 'turn_progress', turn: snapshot(record) });
    return { controller: new AbortController(), record, speechEndAt, audioStarted: false, generating: true, hangupReason: null };
  }

  /** The reply has played to its end: the turn is over, and so is the call when it was the last words. */
  private replyPlayed(reply: Reply): void {
    const s = this.state;
    const heard = this.player.takeSpoken();
    const cut = s.kind === 'finishing' && s.cut;
    if (cut) this.emit({ type: 'interrupted', spoken_text: heard });
    this.endReply(reply, cut, heard);
    if (s.kind === 'finishing') return this.sayGoodbye(s.reason);
    if (s.kind === 'goodbye') return this.hangUp(s.reason);
    if (reply.hangupReason) return this.hangUp(reply.hangupReason);
    this.enter({ kind: 'listening' });
  }

  /**
   * Stop the reply the caller may be hearing; with `bargeIn`, tell the dialogue what the caller
   * heard. A reply stopped before all of it played (typed text, `clear`, a hangup) is reported as
   * interrupted too, with what was heard: the turn and the transcript keep that, never the unspoken rest.
   */
  private cancelReply(bargeIn = false): void {
    const s = this.state;
    if (s.kind !== 'replying' && s.kind !== 'paused') return;
    this.cutReply(s.reply, bargeIn);
    this.enter({ kind: 'listening' });
  }

  private cutReply(reply: Reply, bargeIn: boolean): void {
    reply.controller.abort();
    const cut = bargeIn || this.player.hasAudio || reply.generating;
    const heard = this.player.clear();
    this.voice.reset();
    if (bargeIn) this.deps.dialogue.interrupted?.(heard);
    if (cut) this.emit({ type: 'interrupted', spoken_text: heard });
    this.endReply(reply, cut, heard);
  }

  private endReply(reply: Reply, interrupted: boolean, heard: string): void {
    const record = reply.record;
    record.heardText = heard;
    record.interrupted = interrupted;
    record.endedAt = new Date().toISOString();
    if (reply.audioStarted) this.emit({ type: 'response_audio_end', interrupted });
    this.emit({ type: 'turn_metrics', metrics: { ...record.metrics } });
    this.record({ type: 'turn_end', turn: snapshot(record) });
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

  private record(event: CallRecordEvent): void {
    for (const l of this.recordListeners) l(event);
  }
}

const round = (n: number) => Math.round(n * 10) / 10;

/** A copy a listener may keep: the reply's record goes on changing. */
const snapshot = (r: TurnRecord): TurnRecord => ({ ...r, metrics: { ...r.metrics } });

async function* fromArray<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}
