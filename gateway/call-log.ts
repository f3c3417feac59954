/**
 * Every call, whatever its transport, lands in the call log as it happens: the call row when it
 * opens, each transcript segment and turn (with its latency metrics) as soon as it exists, the
 * assistant's reply sentence by sentence as it plays, the end reason when it closes. The writes go
 * through the control plane's journal (control/calls/call-journal.ts): on disk first, then into
 * the database in order, retried while the database is away and replayed after a crash, so a call
 * that drops, a database outage or a dying gateway loses nothing said before. Nothing here waits
 * for the disk or the database, except a taken message: the caller is told it was recorded only
 * once it can no longer be lost.
 *
 * What the caller did not hear is never logged as said: an interrupted or cut reply is stored as
 * the part that played (`interrupted.spoken_text`), in its transcript segment and in its turn.
 */
import type { Logger } from 'pino';
import { callStatusFor } from '../control/calls/call-end-reasons.ts';
import type { CallJournal, RecordedFile } from '../control/calls/call-journal.ts';
import type { CallPipeline, PipelineEvent, PipelineFactory, TurnMetrics } from '../pipeline/call-pipeline.ts';
import type { MessageStore, TakenMessage } from '../pipeline/dialogue/message-store.ts';

export type { RecordedFile } from '../control/calls/call-journal.ts';

/** One assistant reply: one transcript segment, written as it grows. */
interface Reply {
  seq: number;
  startMs: number;
  startedAt: string;
  /** The caller's words this reply answers ('' for the greeting). */
  userText: string;
  /** Text generated so far. */
  text: string;
  /** Set when the reply was cut: what the caller heard of it. */
  heard: string | null;
  /** What the transcript row holds now. */
  written: string;
}

interface OpenCall {
  id: string;
  t0: number;
  startedAt: Date;
  /** Transcript segments numbered so far (their `seq`). */
  segments: number;
  /** Final caller words not yet answered by a reply. */
  pendingUserText: string;
  reply: Reply | null;
  /** The reply just closed, until its turn_metrics (which follow in the same step) take it. */
  lastReply: Reply | null;
  summary: string | null;
}

export interface CallLogOptions {
  /** How long a taken message may take to become safe (journal or database) before the caller hears it failed. */
  messageSaveMs?: number;
}

export class CallLog implements MessageStore {
  private readonly open = new Map<string, OpenCall>();
  /** Recording registrations in progress (hashing a file takes a moment). */
  private readonly late = new Set<Promise<void>>();

  constructor(
    private readonly journal: CallJournal,
    private readonly log: Logger,
    private readonly opts: CallLogOptions = {},
  ) {}

  get openCalls(): number {
    return this.open.size;
  }

  /** The same factory, with every call it makes recorded. */
  wrap(factory: PipelineFactory): PipelineFactory {
    return (info) => this.track(factory(info));
  }

  /**
   * MessageStore: a taken message goes into the call's transcript and becomes its summary. Resolves
   * once both can no longer be lost (on disk in the journal, or in the database); throws when that
   * cannot be had in time, and the secretary then tells the caller it could not save the message.
   */
  async save(m: TakenMessage): Promise<void> {
    const call = m.callId ? this.open.get(m.callId) : undefined;
    if (!m.callId || !call) throw new Error('a message can only be stored during its call');
    const summary = m.kind === 'human_requested' ? `Asks for a human: ${m.reason}` : `Message from ${m.callerName}, callback ${m.callbackNumber}: ${m.reason}`;
    call.summary = summary;
    const seqs = [this.segment(call, 'message', JSON.stringify(m)), this.journal.summary(call.id, summary)];
    const ms = this.opts.messageSaveMs ?? 4000;
    const saved = await Promise.all(seqs.map((seq) => this.journal.whenSaved(seq, ms)));
    if (!saved.every(Boolean)) {
      this.log.error({ callId: call.id }, 'a taken message could not be made durable in time (journal and database both failing); it is kept in memory and retried');
      throw new Error('the message could not be stored');
    }
  }

  /**
   * Register a call's recording files (after the call's row: the journal keeps the order), and why
   * a recording is missing or incomplete when it is. Never throws: the caller is tearing a call down.
   */
  recording(callId: string, files: RecordedFile[], error?: string): Promise<void> {
    const done = (async () => {
      for (const f of files) await this.journal.recording(callId, f);
      if (error) this.journal.recordingFailed(callId, error);
    })().catch((err: Error) => this.log.error({ err, callId }, 'registering a call recording failed'));
    this.late.add(done);
    void done.finally(() => this.late.delete(done));
    return done;
  }

  /** Resolves once everything logged so far is in the database, or after `timeoutMs` (tests, shutdown). */
  async flush(timeoutMs?: number): Promise<boolean> {
    await Promise.all([...this.late]);
    return this.journal.flush(timeoutMs);
  }

  private track(pipeline: CallPipeline): CallPipeline {
    const { info } = pipeline;
    const call: OpenCall = { id: info.callId, t0: performance.now(), startedAt: new Date(), segments: 0, pendingUserText: '', reply: null, lastReply: null, summary: null };
    this.open.set(call.id, call);
    this.journal.open({ id: call.id, channel: info.channel, direction: 'inbound', caller_number: info.callerNumber ?? null, started_at: call.startedAt.toISOString() });
    pipeline.onEvent((e) => this.onEvent(call, e));
    const close = pipeline.close.bind(pipeline);
    let ended = false;
    pipeline.close = (reason: string) => {
      if (ended) return close(reason);
      ended = true;
      // Closing reports a reply cut off by the hangup (what was heard of it) as it starts, so the
      // end is written after that and before anything waits.
      const closing = close(reason);
      this.closeReply(call);
      this.journal.close({ id: call.id, status: callStatusFor(reason), end_reason: reason, summary: call.summary, ended_at: new Date().toISOString() });
      this.open.delete(call.id);
      return closing;
    };
    return pipeline;
  }

  private onEvent(call: OpenCall, e: PipelineEvent): void {
    switch (e.type) {
      case 'transcript':
        if (!e.final) return;
        this.segment(call, 'caller', e.text);
        call.pendingUserText = e.text;
        return;
      case 'response_text_delta':
        this.replyOf(call).text += e.text;
        return;
      case 'response_spoken':
        this.spoken(call, e.turn, e.text);
        return;
      case 'interrupted':
        if (call.reply) call.reply.heard = e.spoken_text ?? '';
        return;
      case 'response_audio_end':
        this.closeReply(call);
        return;
      case 'turn_metrics':
        this.turn(call, e.metrics);
        return;
    }
  }

  private replyOf(call: OpenCall): Reply {
    if (call.reply) return call.reply;
    call.lastReply = null;
    const reply: Reply = { seq: ++call.segments, startMs: this.at(call), startedAt: new Date().toISOString(), userText: call.pendingUserText, text: '', heard: null, written: '' };
    call.pendingUserText = '';
    call.reply = reply;
    return reply;
  }

  /**
   * A sentence has played: the segment holds what was heard so far, and a reply to the caller gets
   * a provisional turn row (cut, with that text), so a crash mid-reply keeps both. The finished
   * turn overwrites it.
   */
  private spoken(call: OpenCall, turn: number, text: string): void {
    const reply = this.replyOf(call);
    this.writeReply(call, reply, text);
    if (reply.userText) {
      this.journal.turn({ call_id: call.id, turn_index: turn, user_text: reply.userText, assistant_text: text, interrupted: true, started_at: reply.startedAt });
    }
  }

  /** The reply is over (played out, or cut): its segment gets its final text. */
  private closeReply(call: OpenCall): void {
    const reply = call.reply;
    if (!reply) return;
    call.reply = null;
    call.lastReply = reply;
    this.writeReply(call, reply, (reply.heard ?? reply.text).trim());
  }

  private turn(call: OpenCall, metrics: TurnMetrics): void {
    const reply = call.reply ?? call.lastReply;
    if (call.reply) this.closeReply(call);
    call.lastReply = null;
    const userText = reply ? reply.userText : call.pendingUserText;
    if (!reply) call.pendingUserText = '';
    this.journal.turn({
      call_id: call.id,
      turn_index: metrics.turn,
      user_text: userText || null,
      assistant_text: reply?.written || null,
      interrupted: reply ? reply.heard !== null : false,
      started_at: reply?.startedAt ?? new Date().toISOString(),
      endpoint_ms: metrics.endpoint_ms ?? null,
      stt_final_ms: metrics.stt_final_ms ?? null,
      llm_ttft_ms: metrics.llm_ttft_ms ?? null,
      tts_ttfa_ms: metrics.tts_ttfa_ms ?? null,
      v2v_ms: metrics.v2v_ms ?? null,
      barge_in_ms: metrics.barge_in_ms ?? null,
    });
  }

  private writeReply(call: OpenCall, reply: Reply, text: string): void {
    if (text === reply.written) return;
    reply.written = text;
    this.journal.segment({ call_id: call.id, seq: reply.seq, speaker: 'assistant', text, start_ms: reply.startMs, end_ms: this.at(call) });
  }

  private segment(call: OpenCall, speaker: 'caller' | 'message', text: string): number {
    return this.journal.segment({ call_id: call.id, seq: ++call.segments, speaker, text, start_ms: this.at(call), end_ms: null });
  }

  private at(call: OpenCall): number {
    return Math.round(performance.now() - call.t0);
  }
}
