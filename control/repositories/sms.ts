/** SMS sent and received through the modem. */
import type { Knex } from 'knex';
import { insertedId, nowIso, num, type Page, type Queryable } from '../db/rows.ts';

export interface Sms {
  id: number;
  direction: 'in' | 'out';
  phone_number: string;
  body: string;
  status: string;
  created_at: string;
  sent_at: string | null;
}

export class SmsRepo {
  constructor(private readonly db: Queryable) {}

  async add(sms: Pick<Sms, 'direction' | 'phone_number' | 'body' | 'status'>): Promise<number> {
    return insertedId(await this.db('sms').insert({ ...sms, created_at: nowIso() }).returning('id'));
  }

  async listFor(phoneNumber: string): Promise<Sms[]> {
    return (await this.db('sms').where({ phone_number: phoneNumber }).orderBy('id')).map(toSms);
  }

  /** Newest first, with the total for paging. */
  async list(filter: { phone?: string; direction?: Sms['direction'] }, page: Page): Promise<{ items: Sms[]; total: number }> {
    const where = (q: Knex.QueryBuilder) => {
      if (filter.phone) q.where('phone_number', filter.phone);
      if (filter.direction) q.where('direction', filter.direction);
      return q;
    };
    const [c] = await where(this.db('sms')).count({ c: '*' });
    const rows = await where(this.db('sms')).orderBy('id', 'desc').limit(page.limit).offset(page.offset);
    return { items: rows.map(toSms), total: num(c.c) };
  }
}

function toSms(r: Record<string, unknown>): Sms {
  return {
    id: num(r.id),
    direction: r.direction as Sms['direction'],
    phone_number: String(r.phone_number),
    body: String(r.body),
    status: String(r.status),
    created_at: String(r.created_at),
    sent_at: (r.sent_at as string | null) ?? null,
  };
}
