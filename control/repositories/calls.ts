/**
 * Phone and WebSocket calls as the gateway records them: the call, its turns (with the per-turn
 * latency figures of DESIGN.md), the transcript segments and any recordings.
 */
import type { Knex } from 'knex';
import { bool, insertedId, nowIso, num, optNum, type Page, type Queryable } from '../db/rows.ts';
import { msSinceColumnSql } from '../db/sql-time.ts';

export interface Call {
  id: string;
  channel: string;
  direction: string;
  caller_number: string | null;
  callee_number: string | null;
  status: string;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  persona_id: number | null;
  summary: string | null;
  end_reason: string | null;
  /** The gateway process life that ran the call (gateway_nodes.id); null for calls from before. */
  node_id: string | null;
  /** Why the call's recording is missing or incomplete. */
  recording_error: string | null;
}

export const TURN_METRICS = ['endpoint_ms', 'stt_final_ms', 'llm_ttft_ms', 'tts_ttfa_ms', 'v2v_ms', 'barge_in_ms'] as const;
export type TurnMetric = (typeof TURN_METRICS)[number];

export interface CallTurn extends Record<TurnMetric, number | null> {
  id: number;
  call_id: string;
  turn_index: number;
  user_text: string | null;
  assistant_text: string | null;
  answer_source: string | null;
  interrupted: boolean;
  started_at: string;
  /** Null while the turn is in progress (a provisional row) and for turns from before migration 0012. */
  ended_at: string | null;
}

export type NewTurn = Omit<CallTurn, 'id' | 'interrupted' | 'answer_source' | 'ended_at' | TurnMetric> & Partial<CallTurn>;

export interface TranscriptSegment {
  id: number;
  call_id: string;
  /** Order within the call, unique per call (null for rows from before migration 0007). */
  seq: number | null;
  speaker: string;
  text: string;
  start_ms: number | null;
  end_ms: number | null;
}

export interface Recording {
  id: number;
  call_id: string | null;
  path: string;
  format: string;
  duration_ms: number | null;
  size_bytes: number | null;
  sha256: string | null;
  created_at: string;
}

export interface CallFilter {
  from?: string;
  to?: string;
  caller?: string;
  channel?: string;
  status?: string;
}

const toCall = (r: Record<string, unknown>): Call => ({
  id: String(r.id),
  channel: String(r.channel),
  direction: String(r.direction),
  caller_number: (r.caller_number as string | null) ?? null,
  callee_number: (r.callee_number as string | null) ?? null,
  status: String(r.status),
  started_at: String(r.started_at),
  ended_at: (r.ended_at as string | null) ?? null,
  duration_ms: optNum(r.duration_ms),
  persona_id: optNum(r.persona_id),
  summary: (r.summary as string | null) ?? null,
  end_reason: (r.end_reason as string | null) ?? null,
  node_id: (r.node_id as string | null) ?? null,
  recording_error: (r.recording_error as string | null) ?? null,
});

const toTurn = (r: Record<string, unknown>): CallTurn => {
  const turn = {
    id: num(r.id),
    call_id: String(r.call_id),
    turn_index: num(r.turn_index),
    user_text: (r.user_text as string | null) ?? null,
    assistant_text: (r.assistant_text as string | null) ?? null,
    answer_source: (r.answer_source as string | null) ?? null,
    interrupted: bool(r.interrupted),
    started_at: String(r.started_at),
    ended_at: (r.ended_at as string | null) ?? null,
  } as CallTurn;
  for (const m of TURN_METRICS) turn[m] = optNum(r[m]);
  return turn;
};

const toRecording = (r: Record<string, unknown>): Recording => ({
  id: num(r.id),
  call_id: (r.call_id as string | null) ?? null,
  path: String(r.path),
  format: String(r.format),
  duration_ms: optNum(r.duration_ms),
  size_bytes: optNum(r.size_bytes),
  sha256: (r.sha256 as string | null) ?? null,
  created_at: String(r.created_at),
});

export class CallsRepo {
  constructor(private readonly db: Queryable) {}

  async start(call: Pick<Call, 'id' | 'channel' | 'direction'> & Partial<Call>): Promise<Call> {
    await this.db('calls').insert({ status: 'active', started_at: nowIso(), ...call });
    return (await this.get(call.id))!;
  }

  /** Insert the call's row unless it is there already (a journal replay). */
  async open(call: Pick<Call, 'id' | 'channel' | 'direction' | 'started_at'> & Partial<Call>): Promise<void> {
    await this.db('calls').insert({ status: 'active', ...call }).onConflict('id').ignore();
  }

  async end(id: string, patch: { status?: string; summary?: string | null; endReason?: string } = {}): Promise<void> {
    await this.close(id, { ...patch, endedAt: nowIso() });
  }

  /** End a call as of `endedAt`: the same values however often it is applied. */
  async close(id: string, patch: { status?: string; summary?: string | null; endReason?: string; endedAt: string }): Promise<void> {
    const call = await this.get(id);
    if (!call) return;
    await this.db('calls').where({ id }).update({
      status: patch.status ?? 'completed',
      summary: patch.summary ?? call.summary,
      end_reason: patch.endReason?.slice(0, 64) ?? call.end_reason,
      ended_at: patch.endedAt,
      duration_ms: Math.max(0, Date.parse(patch.endedAt) - Date.parse(call.started_at)),
    });
  }

  async setSummary(id: string, summary: string): Promise<void> {
    await this.db('calls').where({ id }).update({ summary });
  }

  /** Add why a recording is missing to the call's notes (once: a replay does not repeat it). */
  async noteRecordingError(id: string, error: string): Promise<void> {
    const prev = (await this.get(id))?.recording_error;
    if (prev?.includes(error.slice(0, 500))) return;
    await this.db('calls').where({ id }).update({ recording_error: (prev ? `${prev}; ${error}` : error).slice(0, 500) });
  }

  /**
   * Close every active call `select` picks (a crashed or lost gateway's), as failed with `reason`,
   * keeping its turns and transcript. Returns their ids.
   */
  async closeOrphans(select: (q: Knex.QueryBuilder) => void, reason: string, endedAt: string): Promise<string[]> {
    // One statement that re-checks `active` as it writes: a call whose owner commits its real end
    // meanwhile keeps that end (a read, then an update by id, would overwrite it with `reason`).
    // `status` as a literal, not a binding: only then can the planner use the partial index of
    // active calls (migration 0014) rather than read every call.
    const rows: Array<{ id: unknown }> = await this.db('calls')
      .whereRaw(`status = 'active'`)
      .modify(select)
      .update({ status: 'failed', end_reason: reason.slice(0, 64), ended_at: endedAt, duration_ms: msSinceColumnSql(this.db, 'started_at', endedAt) }, ['id']);
    return rows.map((r) => String(r.id));
  }

  /**
   * Open again the calls of `nodeId` that a sweep closed with `reason` while the node was alive
   * (cut off from the database, not dead). Returns their ids.
   */
  async reopenLost(nodeId: string, reason: string): Promise<string[]> {
    const rows: Array<{ id: unknown }> = await this.db('calls')
      .where({ node_id: nodeId, status: 'failed', end_reason: reason })
      .update({ status: 'active', end_reason: null, ended_at: null, duration_ms: null }, ['id']);
    return rows.map((r) => String(r.id));
  }

  async get(id: string): Promise<Call | undefined> {
    const r = await this.db('calls').where({ id }).first();
    return r ? toCall(r) : undefined;
  }

  async list(filter: CallFilter, page: Page): Promise<{ items: Call[]; total: number }> {
    const q = this.db('calls').modify((b) => {
      if (filter.from) b.where('started_at', '>=', filter.from);
      if (filter.to) b.where('started_at', '<', filter.to);
      if (filter.caller) b.where('caller_number', filter.caller);
      if (filter.channel) b.where('channel', filter.channel);
      if (filter.status) b.where('status', filter.status);
    });
    const [{ c }] = await q.clone().count({ c: '*' });
    const rows = await q.orderBy('started_at', 'desc').limit(page.limit).offset(page.offset);
    return { items: rows.map(toCall), total: num(c) };
  }

  async addTurn(turn: NewTurn): Promise<CallTurn> {
    const id = insertedId(await this.db('call_turns').insert({ interrupted: false, ...turn }).returning('id'));
    return toTurn((await this.db('call_turns').where({ id }).first())!);
  }

  /** Write a turn, replacing the call's row with the same turn_index (idempotent; a finished turn overwrites its provisional row). */
  async putTurn(turn: NewTurn): Promise<void> {
    await this.db('call_turns').insert({ interrupted: false, ...turn }).onConflict(['call_id', 'turn_index']).merge();
  }

  async turns(callId: string): Promise<CallTurn[]> {
    return (await this.db('call_turns').where({ call_id: callId }).orderBy('turn_index')).map(toTurn);
  }

  async addTranscript(seg: Omit<TranscriptSegment, 'id' | 'seq'> & { seq?: number | null }): Promise<void> {
    await this.db('call_transcripts').insert(seg);
  }

  /** Write segment `seq` of a call, or update its text and end (a reply grows sentence by sentence; a replay rewrites the same). */
  async putSegment(seg: Omit<TranscriptSegment, 'id' | 'seq'> & { seq: number }): Promise<void> {
    await this.db('call_transcripts').insert(seg).onConflict(['call_id', 'seq']).merge(['text', 'end_ms']);
  }

  async transcript(callId: string): Promise<TranscriptSegment[]> {
    return (await this.db('call_transcripts').where({ call_id: callId }).orderBy([{ column: 'start_ms' }, { column: 'seq' }, { column: 'id' }])).map((r) => ({
      id: num(r.id),
      call_id: String(r.call_id),
      seq: optNum(r.seq),
      speaker: String(r.speaker),
      text: String(r.text),
      start_ms: optNum(r.start_ms),
      end_ms: optNum(r.end_ms),
    }));
  }

  async addRecording(rec: Omit<Recording, 'id' | 'created_at'>): Promise<number> {
    return insertedId(await this.db('recordings').insert({ ...rec, created_at: nowIso() }).returning('id'));
  }

  /** Register a recording unless the call already has one with this path (a journal replay). */
  async addRecordingOnce(rec: Omit<Recording, 'id'>): Promise<void> {
    if (await this.db('recordings').where({ call_id: rec.call_id, path: rec.path }).first()) return;
    await this.db('recordings').insert(rec);
  }

  async recordings(callId: string): Promise<Recording[]> {
    return (await this.db('recordings').where({ call_id: callId }).orderBy('id')).map(toRecording);
  }

  /** One recording of one call (undefined when the id belongs to another call). */
  async recording(callId: string, id: number): Promise<Recording | undefined> {
    const r = await this.db('recordings').where({ call_id: callId, id }).first();
    return r ? toRecording(r) : undefined;
  }
}
