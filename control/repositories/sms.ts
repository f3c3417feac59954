/** SMS sent and received through the modem. */
import { insertedId, nowIso, num, type Queryable } from '../db/rows.ts';

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
    return (await this.db('sms').where({ phone_number: phoneNumber }).orderBy('id')).map((r) => ({
      id: num(r.id),
      direction: r.direction as Sms['direction'],
      phone_number: String(r.phone_number),
      body: String(r.body),
      status: String(r.status),
      created_at: String(r.created_at),
      sent_at: (r.sent_at as string | null) ?? null,
    }));
  }
}
