/**
 * The call log's writes as journal operations (control/journal/): what the gateway's CallLog
 * appends, and the database handlers that apply them. Each handler is idempotent on the row's
 * natural key (the call id; turn_index and transcript seq within a call; a recording's path), so
 * an entry replayed after a crash lands on the same row instead of adding one.
 *
 * Appending never blocks or throws: the call goes on whatever the disk or the database do.
 * `whenSaved` tells whether a write can no longer be lost (on disk, or in the database), which is
 * what the secretary needs before it tells a caller that their message was recorded.
 */
import type { Logger } from 'pino';
import type { OpHandler } from '../journal/database-applier.ts';
import type { Journal } from '../journal/journal.ts';
import type { RecordingStore } from '../recordings/recording-store.ts';
import { CallsRepo, type NewTurn, type Recording } from '../repositories/calls.ts';
import type { CallStatus } from './call-end-reasons.ts';
import { engineFailure } from '../../pipeline/engines/engine-error.ts';

export interface CallOpen {
  id: string;
  channel: string;
  direction: string;
  caller_number: string | null;
  started_at: string;
}

export interface SegmentWrite {
  call_id: string;
  seq: number;
  speaker: 'caller' | 'assistant' | 'message';
  text: string;
  start_ms: number;
  end_ms: number | null;
}

export interface CallClose {
  id: string;
  status: CallStatus;
  end_reason: string;
  summary: string | null;
  ended_at: string;
}

/** An audio file of a call, written by its transport. */
export interface RecordedFile {
  path: string;
  format: 'wav';
  durationMs: number | null;
}

const OP = {
  open: 'call.open',
  segment: 'call.segment',
  turn: 'call.turn',
  summary: 'call.summary',
  close: 'call.close',
  recording: 'call.recording',
  recordingFailed: 'call.recording_failed',
} as const;

export class CallJournal {
  constructor(
    private readonly journal: Journal,
    private readonly recordings: Pick<RecordingStore, 'rowFor'>,
    /** This process life (gateway_nodes.id), stamped on every call it opens. */
    private readonly nodeId: string | null,
    private readonly log: Logger,
  ) {}

  open(call: CallOpen): void {
    this.put(OP.open, call.id, `call:${call.id}`, { ...call, node_id: this.nodeId });
  }

  /** Returns the journal's sequence number (for whenSaved); 0 when it could not be recorded. */
  segment(seg: SegmentWrite): number {
    return this.put(OP.segment, seg.call_id, `call:${seg.call_id}:seg:${seg.seq}`, seg);
  }

  turn(turn: NewTurn): void {
    this.put(OP.turn, turn.call_id, `call:${turn.call_id}:turn:${turn.turn_index}`, turn);
  }

  summary(callId: string, summary: string): number {
    return this.put(OP.summary, callId, `call:${callId}:summary`, { call_id: callId, summary });
  }

  close(end: CallClose): void {
    this.put(OP.close, end.id, `call:${end.id}:close`, end);
  }

  /**
   * Register a recording file: checked to lie in the recordings directory and hashed now (the row
   * holds what a download and a backup will be checked against), then journaled. A file that
   * cannot be registered is noted on the call instead, and logged with the call's id.
   */
  async recording(callId: string, file: RecordedFile): Promise<void> {
    let row: Omit<Recording, 'id'>;
    try {
      row = { ...(await this.recordings.rowFor(callId, file.path, file.durationMs, file.format)), created_at: new Date().toISOString() };
    } catch (err) {
      // Viewers read the call's recording_error: our words and an error id; the path and the fs error text go to the log.
      this.recordingFailed(callId, engineFailure(this.log, 'recordings', 'registering the recording failed', { err, callId, file: file.path }).message);
      return;
    }
    this.put(OP.recording, callId, `call:${callId}:recording:${row.path}`, row);
  }

  recordingFailed(callId: string, error: string): void {
    this.put(OP.recordingFailed, callId, `call:${callId}:recording_error`, { call_id: callId, error });
  }

  whenSaved(seq: number, timeoutMs: number): Promise<boolean> {
    return this.journal.whenSaved(seq, timeoutMs);
  }

  /** Everything appended so far is in the database (true), or `timeoutMs` passed (false). */
  flush(timeoutMs?: number): Promise<boolean> {
    return this.journal.flush(timeoutMs);
  }

  private put(op: string, callId: string, key: string, data: object): number {
    try {
      return this.journal.append(op, key, data);
    } catch (err) {
      this.log.error({ err, callId, op }, 'call log write failed');
      return 0;
    }
  }
}

/** The database side: one idempotent handler per op. */
export function callJournalHandlers(): Array<[string, OpHandler]> {
  const repo = (trx: Parameters<OpHandler>[0]) => new CallsRepo(trx);
  return [
    [OP.open, (trx, d: CallOpen & { node_id: string | null }) => repo(trx).open(d)],
    [OP.segment, (trx, d: SegmentWrite) => repo(trx).putSegment(d)],
    [OP.turn, (trx, d: NewTurn) => repo(trx).putTurn(d)],
    [OP.summary, (trx, d: { call_id: string; summary: string }) => repo(trx).setSummary(d.call_id, d.summary)],
    [OP.close, (trx, d: CallClose) => repo(trx).close(d.id, { status: d.status, endReason: d.end_reason, summary: d.summary, endedAt: d.ended_at })],
    [OP.recording, (trx, d: Omit<Recording, 'id'>) => repo(trx).addRecordingOnce(d)],
    [OP.recordingFailed, (trx, d: { call_id: string; error: string }) => repo(trx).noteRecordingError(d.call_id, d.error)],
  ];
}
