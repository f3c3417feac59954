/**
 * Every call, whatever its transport, lands in the call log as it happens: the call row when it
 * opens, each turn as the pipeline reports it (the caller's words and a provisional turn row with
 * what was heard so far while it goes on, its whole record with its latencies once it ends), the
 * end reason when the pipeline reports the call's end. The writes go through the control plane's
 * journal (control/calls/call-journal.ts): on disk first, then into the database in order, retried
 * while the database is away and replayed after a crash, so a call that drops, a database outage
 * or a dying gateway loses nothing said before. Nothing here waits for the disk or the database,
 * except a taken message: the caller is told it was recorded only once it can no longer be lost.
 *
 * What the caller did not hear is never logged as said: the pipeline's turn records say what was
 * heard of a reply, and only that goes into the transcript and the turn.
 */
import type { Logger } from 'pino';
import { callStatusFor } from '../control/calls/call-end-reasons.ts';
import type { CallJournal, RecordedFile } from '../control/calls/call-journal.ts';
import { TURN_METRICS, type NewTurn } from '../control/repositories/calls.ts';
import type { CallPipeline, CallRecordEvent, PipelineFactory, TurnRecord } from '../pipeline/call-pipeline.ts';
import type { MessageStore, TakenMessage } from '../pipeline/dialogue/message-store.ts';

export type { RecordedFile } from '../control/calls/call-journal.ts';

/** A turn in progress: where its transcript segments start, and its reply's segment once it has one. */
interface OpenTurn {
  startMs: number;
  replySeq: number | null;
  /** What the reply's segment holds now. */
  written: string;
}

interface OpenCall {
  id: string;
  /** The transport (`ws`, `modem`): a taken message's channel. */
  channel: string;
  t0: number;
  startedAt: Date;
  /** Transcript segments numbered so far (their `seq`). */
  segments: number;
  turns: Map<number, OpenTurn>;
  summary: string | null;
}

export interface CallLogOptions {
  /** How long a taken message may take to become safe (journal or database) before the caller hears it failed. */
  messageSaveMs?: number;
  /** The owner's inbox (the control plane's): a taken message also becomes a record there, and is notified. */
  inbox?: MessageStore;
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
   * MessageStore: a taken message goes into the call's transcript, becomes its summary and a record
   * in the owner's inbox. Resolves once all three can no longer be lost (on disk in the journal, or
   * in the database); throws when that cannot be had in time, and the secretary then tells the
   * caller it could not save the message.
   */
  async save(m: TakenMessage): Promise<void> {
    const call = m.callId ? this.open.get(m.callId) : undefined;
    if (!m.callId || !call) throw new Error('a message can only be stored during its call');
    const summary = m.kind === 'human_requested' ? `Asks for a human: ${m.reason}` : `Message from ${m.callerName}, callback ${m.callbackNumber}: ${m.reason}`;
    call.summary = summary;
    const seqs = [this.segment(call, 'message', JSON.stringify(m)), this.journal.summary(call.id, summary)];
    const ms = this.opts.messageSaveMs ?? 4000;
    const inbox = this.opts.inbox;
    const recorded = inbox ? inbox.save({ ...m, channel: m.channel ?? call.channel }).then(() => true, () => false) : true;
    const saved = await Promise.all([...seqs.map((seq) => this.journal.whenSaved(seq, ms)), recorded]);
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
    const call: OpenCall = { id: info.callId, channel: info.channel, t0: performance.now(), startedAt: new Date(), segments: 0, turns: new Map(), summary: null };
    this.open.set(call.id, call);
    this.journal.open({ id: call.id, channel: info.channel, direction: 'inbound', caller_number: info.callerNumber ?? null, started_at: call.startedAt.toISOString() });
    pipeline.onRecord((e) => this.onRecord(call, e));
    return pipeline;
  }

  private onRecord(call: OpenCall, e: CallRecordEvent): void {
    switch (e.type) {
      case 'turn_progress': {
        const turn = this.turnOf(call, e.turn);
        this.writeReply(call, turn, e.turn.heardText);
        // A provisional row: what a crash now would leave (the reply cut where it stands). The turn's end replaces it.
        if (e.turn.heardText) this.journal.turn({ ...this.turnRow(call, e.turn), interrupted: true, ended_at: null });
        return;
      }
      case 'turn_end': {
        this.writeReply(call, this.turnOf(call, e.turn), e.turn.heardText);
        const metrics = Object.fromEntries(TURN_METRICS.map((m) => [m, e.turn.metrics[m] ?? null]));
        this.journal.turn({ ...this.turnRow(call, e.turn), ...metrics });
        call.turns.delete(e.turn.index);
        return;
      }
      case 'call_end':
        this.journal.close({ id: call.id, status: callStatusFor(e.reason), end_reason: e.reason, summary: call.summary, ended_at: new Date().toISOString() });
        this.open.delete(call.id);
        return;
    }
  }

  /** The turn's log, opened (with the caller's words in the transcript) the first time the pipeline reports it. */
  private turnOf(call: OpenCall, record: TurnRecord): OpenTurn {
    let turn = call.turns.get(record.index);
    if (turn) return turn;
    turn = { startMs: this.at(call), replySeq: null, written: '' };
    call.turns.set(record.index, turn);
    if (record.callerText) this.segment(call, 'caller', record.callerText);
    return turn;
  }

  private turnRow(call: OpenCall, r: TurnRecord): NewTurn {
    return {
      call_id: call.id,
      turn_index: r.index,
      user_text: r.callerText || null,
      assistant_text: r.heardText.trim() || null,
      interrupted: r.interrupted,
      started_at: r.startedAt,
      ended_at: r.endedAt,
    };
  }

  /** The reply's transcript segment holds what was heard of it: written as it grows, numbered when it first has words. */
  private writeReply(call: OpenCall, turn: OpenTurn, heard: string): void {
    const text = heard.trim();
    if (text === turn.written) return;
    turn.replySeq ??= ++call.segments;
    turn.written = text;
    this.journal.segment({ call_id: call.id, seq: turn.replySeq, speaker: 'assistant', text, start_ms: turn.startMs, end_ms: this.at(call) });
  }

  private segment(call: OpenCall, speaker: 'caller' | 'message', text: string): number {
    return this.journal.segment({ call_id: call.id, seq: ++call.segments, speaker, text, start_ms: this.at(call), end_ms: null });
  }

  private at(call: OpenCall): number {
    return Math.round(performance.now() - call.t0);
  }
}
