/**
 * Which persona answers which caller on the modem, by the caller's number: the admin API's
 * counterpart of MODEM_PERSONAS (which stays the default for numbers not listed). A number is kept
 * as the admin wrote it and matched on its digits (phoneNumberKey), so "+7 916 123-45-67" and
 * "89161234567" are the same caller.
 */
import { phoneNumberKey } from '../../pipeline/dialogue/phone-number.ts';
import { insertedId, nowIso, num, type Queryable } from '../db/rows.ts';

export interface ModemPersona {
  id: number;
  number: string;
  persona_id: number;
  created_at: string;
  updated_at: string;
}

const toRow = (r: Record<string, unknown>): ModemPersona => ({
  id: num(r.id),
  number: String(r.number),
  persona_id: num(r.persona_id),
  created_at: String(r.created_at),
  updated_at: String(r.updated_at),
});

export class ModemPersonasRepo {
  constructor(private readonly db: Queryable) {}

  async list(): Promise<ModemPersona[]> {
    return (await this.db('modem_personas').orderBy('id')).map(toRow);
  }

  async get(id: number): Promise<ModemPersona | undefined> {
    const r = await this.db('modem_personas').where({ id }).first();
    return r ? toRow(r) : undefined;
  }

  /** Sets the persona of a number (the same digits as a listed one: that entry changes). */
  async set(number: string, personaId: number): Promise<{ entry: ModemPersona; created: boolean }> {
    const key = phoneNumberKey(number);
    const now = nowIso();
    const existing = await this.db('modem_personas').where({ number_key: key }).first('id');
    if (existing) {
      await this.db('modem_personas').where({ id: existing.id }).update({ number, persona_id: personaId, updated_at: now });
      return { entry: (await this.get(num(existing.id)))!, created: false };
    }
    const id = insertedId(await this.db('modem_personas').insert({ number, number_key: key, persona_id: personaId, created_at: now, updated_at: now }).returning('id'));
    return { entry: (await this.get(id))!, created: true };
  }

  async remove(id: number): Promise<boolean> {
    return (await this.db('modem_personas').where({ id }).delete()) > 0;
  }
}
