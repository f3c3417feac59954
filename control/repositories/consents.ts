/** Consents a person gave or withdrew (call recording, data processing, marketing), with evidence. */
import { bool, insertedId, nowIso, num, type Queryable } from '../db/rows.ts';

export interface Consent {
  id: number;
  subject: string;
  purpose: string;
  granted: boolean;
  source: string;
  evidence: string | null;
  created_at: string;
  revoked_at: string | null;
}

export type ConsentInput = Pick<Consent, 'subject' | 'purpose' | 'granted' | 'source'> & { evidence?: string | null };

const toConsent = (r: Record<string, unknown>): Consent => ({
  id: num(r.id),
  subject: String(r.subject),
  purpose: String(r.purpose),
  granted: bool(r.granted),
  source: String(r.source),
  evidence: (r.evidence as string | null) ?? null,
  created_at: String(r.created_at),
  revoked_at: (r.revoked_at as string | null) ?? null,
});

export class ConsentsRepo {
  constructor(private readonly db: Queryable) {}

  async record(c: ConsentInput): Promise<Consent> {
    const id = insertedId(await this.db('consents').insert({ evidence: null, ...c, created_at: nowIso() }).returning('id'));
    return (await this.get(id))!;
  }

  async get(id: number): Promise<Consent | undefined> {
    const r = await this.db('consents').where({ id }).first();
    return r ? toConsent(r) : undefined;
  }

  async list(filter: { subject?: string; purpose?: string }): Promise<Consent[]> {
    return (await this.db('consents').where(dropEmpty(filter)).orderBy('id', 'desc').limit(1000)).map(toConsent);
  }

  async revoke(id: number): Promise<Consent | undefined> {
    await this.db('consents').where({ id }).whereNull('revoked_at').update({ revoked_at: nowIso() });
    return this.get(id);
  }

  /** The current answer for one purpose: the latest unrevoked record decides; no record means no consent. */
  async hasConsent(subject: string, purpose: string): Promise<boolean> {
    const r = await this.db('consents').where({ subject, purpose }).whereNull('revoked_at').orderBy('id', 'desc').first('granted');
    return r ? bool(r.granted) : false;
  }
}

function dropEmpty(o: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>;
}
