/** Text conversations from the widget, Telegram or the API: one session per (source, source_id). */
import { insertedId, nowIso, num, parseJson, type Page, type Queryable } from '../db/rows.ts';
import type { LlmBackendChoice } from '../llm/llm-backend.ts';

export interface ChatSession {
  id: number;
  source: string;
  source_id: string;
  contact: string | null;
  persona_id: number | null;
  /** Override of the LLM backend for this session: 'faq', 'provider' (with llm_provider_id) or null. */
  llm_backend: string | null;
  llm_provider_id: number | null;
  created_at: string;
  updated_at: string;
}

export interface ChatMessage {
  id: number;
  session_id: number;
  role: 'user' | 'assistant' | 'system';
  content: string;
  source: string;
  source_id: string;
  created_at: string;
}

const toSession = (r: Record<string, unknown>): ChatSession => ({
  id: num(r.id),
  source: String(r.source),
  source_id: String(r.source_id),
  contact: (r.contact as string | null) ?? null,
  persona_id: r.persona_id === null || r.persona_id === undefined ? null : num(r.persona_id),
  llm_backend: (r.llm_backend as string | null) ?? null,
  llm_provider_id: r.llm_provider_id === null || r.llm_provider_id === undefined ? null : num(r.llm_provider_id),
  created_at: String(r.created_at),
  updated_at: String(r.updated_at),
});

const toMessage = (r: Record<string, unknown>): ChatMessage => ({
  id: num(r.id),
  session_id: num(r.session_id),
  role: r.role as ChatMessage['role'],
  content: String(r.content),
  source: String(r.source),
  source_id: String(r.source_id),
  created_at: String(r.created_at),
});

export class ChatRepo {
  constructor(private readonly db: Queryable) {}

  async openSession(source: string, sourceId: string, extra: { contact?: string | null; persona_id?: number | null } = {}): Promise<ChatSession> {
    const existing = await this.db('chat_sessions').where({ source, source_id: sourceId }).orderBy('id', 'desc').first();
    if (existing) return toSession(existing);
    const now = nowIso();
    const id = insertedId(
      await this.db('chat_sessions')
        .insert({ source, source_id: sourceId, contact: extra.contact ?? null, persona_id: extra.persona_id ?? null, created_at: now, updated_at: now })
        .returning('id'),
    );
    return toSession((await this.db('chat_sessions').where({ id }).first())!);
  }

  /** The latest session for a source id, if there is one (openSession makes one when not). */
  async findSession(source: string, sourceId: string): Promise<ChatSession | undefined> {
    const r = await this.db('chat_sessions').where({ source, source_id: sourceId }).orderBy('id', 'desc').first();
    return r ? toSession(r) : undefined;
  }

  /** The message and the session's activity time in one transaction: one commit (one fsync on SQLite) per message. */
  async addMessage(session: ChatSession, role: ChatMessage['role'], content: string): Promise<ChatMessage> {
    return this.db.transaction((q) => insertMessage(q, session, role, content));
  }

  /** A turn's end: the secretary's state for the next turn and the reply, committed together. */
  async finishTurn(session: ChatSession, dialogueState: unknown, reply: string): Promise<ChatMessage> {
    return this.db.transaction((q) => insertMessage(q, session, 'assistant', reply, { dialogue_state: dialogueState === null ? null : JSON.stringify(dialogueState) }));
  }

  async listSessions(page: Page, filter: { source?: string } = {}): Promise<ChatSession[]> {
    const q = this.db('chat_sessions').orderBy([{ column: 'updated_at', order: 'desc' }, { column: 'id', order: 'desc' }]);
    if (filter.source) q.where('source', filter.source);
    return (await q.limit(page.limit).offset(page.offset)).map(toSession);
  }

  async getSession(id: number): Promise<ChatSession | undefined> {
    const r = await this.db('chat_sessions').where({ id }).first();
    return r ? toSession(r) : undefined;
  }

  /** Always a new session (openSession reuses the latest one for its source id). */
  async createSession(source: string, sourceId: string, extra: { contact?: string | null; persona_id?: number | null } = {}): Promise<ChatSession> {
    const now = nowIso();
    const id = insertedId(
      await this.db('chat_sessions')
        .insert({ source, source_id: sourceId, contact: extra.contact ?? null, persona_id: extra.persona_id ?? null, created_at: now, updated_at: now })
        .returning('id'),
    );
    return (await this.getSession(id))!;
  }

  async updateSession(id: number, patch: { contact?: string | null; persona_id?: number | null }): Promise<ChatSession | undefined> {
    const row: Record<string, unknown> = { updated_at: nowIso() };
    if (patch.contact !== undefined) row.contact = patch.contact;
    if (patch.persona_id !== undefined) row.persona_id = patch.persona_id;
    const n = await this.db('chat_sessions').where({ id }).update(row);
    return n ? this.getSession(id) : undefined;
  }

  /** Pins the session's LLM backend; null returns it to the persona's and the default. */
  async setLlmOverride(id: number, choice: Exclude<LlmBackendChoice, { backend: 'auto' }> | null): Promise<ChatSession | undefined> {
    const row = {
      llm_backend: choice?.backend ?? null,
      llm_provider_id: choice?.backend === 'provider' ? choice.provider_id : null,
      updated_at: nowIso(),
    };
    const n = await this.db('chat_sessions').where({ id }).update(row);
    return n ? this.getSession(id) : undefined;
  }

  /** The built-in secretary's state after the session's last turn (JSON; null: none). */
  async dialogueState(id: number): Promise<unknown> {
    const r = await this.db('chat_sessions').where({ id }).first('dialogue_state');
    return parseJson<unknown>(r?.dialogue_state, null);
  }

  async setDialogueState(id: number, state: unknown): Promise<void> {
    await this.db('chat_sessions').where({ id }).update({ dialogue_state: state === null ? null : JSON.stringify(state) });
  }

  /** Messages go with it (ON DELETE CASCADE). */
  async deleteSession(id: number): Promise<boolean> {
    return (await this.db('chat_sessions').where({ id }).delete()) > 0;
  }

  async messages(sessionId: number): Promise<ChatMessage[]> {
    return (await this.db('chat_messages').where({ session_id: sessionId }).orderBy('id')).map(toMessage);
  }
}

/** The row as inserted (no read back: every column is known here), with the session's activity time and `sessionColumns` set. */
async function insertMessage(q: Queryable, session: ChatSession, role: ChatMessage['role'], content: string, sessionColumns: Record<string, unknown> = {}): Promise<ChatMessage> {
  const row = { session_id: session.id, role, content, source: session.source, source_id: session.source_id, created_at: nowIso() };
  const id = insertedId(await q('chat_messages').insert(row).returning('id'));
  await q('chat_sessions').where({ id: session.id }).update({ ...sessionColumns, updated_at: row.created_at });
  return { id, ...row };
}
