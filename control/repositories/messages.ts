/**
 * The owner's inbox: messages callers and chat visitors left, and their requests for a human.
 * Rows are written by the journal (control/messages/message-journal.ts), once per message id;
 * staff read them and mark them handled.
 */
import type { Knex } from 'knex';
import { nowIso, num, optNum, type Page, type Queryable } from '../db/rows.ts';

export const MESSAGE_KINDS = ['message', 'human_requested'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];
export const MESSAGE_STATUSES = ['new', 'handled'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** A message as it is taken: what the journal carries and the row holds before anyone handles it. */
export interface NewMessage {
  id: string;
  kind: MessageKind;
  caller_name: string | null;
  callback_number: string | null;
  callback_text: string | null;
  caller_id: string | null;
  reason: string | null;
  language: string | null;
  channel: string;
  call_id: string | null;
  session_id: number | null;
  created_at: string;
}

export interface Message extends NewMessage {
  status: MessageStatus;
  updated_at: string;
  handled_at: string | null;
  handled_by: { id: number | null; username: string | null } | null;
}

export interface MessageFilter {
  status?: MessageStatus;
  channel?: string;
  kind?: MessageKind;
  /** Taken at or after. */
  from?: string;
  /** Taken before. */
  to?: string;
}

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

const toMessage = (r: Record<string, unknown>): Message => ({
  id: String(r.id),
  kind: String(r.kind) as MessageKind,
  status: String(r.status) as MessageStatus,
  caller_name: str(r.caller_name),
  callback_number: str(r.callback_number),
  callback_text: str(r.callback_text),
  caller_id: str(r.caller_id),
  reason: str(r.reason),
  language: str(r.language),
  channel: String(r.channel),
  call_id: str(r.call_id),
  session_id: optNum(r.session_id),
  created_at: String(r.created_at),
  updated_at: String(r.updated_at),
  handled_at: str(r.handled_at),
  handled_by: r.handled_at ? { id: optNum(r.handled_by_user_id), username: str(r.handled_by) } : null,
});

export class MessagesRepo {
  constructor(private readonly db: Queryable) {}

  /** Insert the message unless its id is there already (a journal replay). Returns whether it was new. */
  async insertOnce(m: NewMessage): Promise<boolean> {
    if (await this.db('messages').where({ id: m.id }).first('id')) return false;
    await this.db('messages').insert({ ...m, status: 'new', updated_at: nowIso() });
    return true;
  }

  async get(id: string): Promise<Message | undefined> {
    const r = await this.db('messages').where({ id }).first();
    return r ? toMessage(r) : undefined;
  }

  /** Newest first, with the total for paging. */
  async list(filter: MessageFilter, page: Page): Promise<{ items: Message[]; total: number }> {
    const q = this.db('messages').modify((b: Knex.QueryBuilder) => {
      if (filter.status) b.where('status', filter.status);
      if (filter.channel) b.where('channel', filter.channel);
      if (filter.kind) b.where('kind', filter.kind);
      if (filter.from) b.where('created_at', '>=', filter.from);
      if (filter.to) b.where('created_at', '<', filter.to);
    });
    const [{ c }] = await q.clone().count({ c: '*' });
    const rows = await q.orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(page.limit).offset(page.offset);
    return { items: rows.map(toMessage), total: num(c) };
  }

  /**
   * Mark handled (by whom, now) or new again. A message already in that status keeps who handled
   * it and when. Undefined when there is no such message.
   */
  async setStatus(id: string, status: MessageStatus, by: { id: number | null; username: string | null }): Promise<Message | undefined> {
    const now = nowIso();
    const handled = status === 'handled' ? { handled_at: now, handled_by_user_id: by.id, handled_by: by.username } : { handled_at: null, handled_by_user_id: null, handled_by: null };
    await this.db('messages').where({ id }).whereNot({ status }).update({ status, ...handled, updated_at: now });
    return this.get(id);
  }
}
