/** Who did what, when, to what, from where: written by the router for every mutating admin call. */
import { insertedId, likeLiteral, nowIso, num, parseJson, type Page, type Queryable } from '../db/rows.ts';

export interface AuditEntry {
  id: number;
  at: string;
  actor_type: 'user' | 'api_key' | 'anonymous' | 'system';
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  status: number | null;
  details: Record<string, unknown> | null;
}

export type AuditInput = Omit<AuditEntry, 'id' | 'at'> & { at?: string };

export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  from?: string;
  to?: string;
}

const toEntry = (r: Record<string, unknown>): AuditEntry => ({
  id: num(r.id),
  at: String(r.at),
  actor_type: r.actor_type as AuditEntry['actor_type'],
  actor_id: (r.actor_id as string | null) ?? null,
  actor_name: (r.actor_name as string | null) ?? null,
  action: String(r.action),
  target: (r.target as string | null) ?? null,
  ip: (r.ip as string | null) ?? null,
  status: r.status === null || r.status === undefined ? null : num(r.status),
  details: parseJson<Record<string, unknown> | null>(r.details, null),
});

export class AuditLogRepo {
  constructor(private readonly db: Queryable) {}

  async write(e: AuditInput): Promise<number> {
    return insertedId(
      await this.db('audit_log')
        .insert({
          ...e,
          at: e.at ?? nowIso(),
          target: e.target?.slice(0, 200) ?? null,
          details: e.details ? JSON.stringify(e.details) : null,
        })
        .returning('id'),
    );
  }

  async list(filter: AuditFilter, page: Page): Promise<{ items: AuditEntry[]; total: number }> {
    const q = this.db('audit_log').modify((b) => {
      if (filter.actor) b.where((w) => w.where('actor_name', filter.actor!).orWhere('actor_id', filter.actor!));
      // `faq.` matches every FAQ action; an exact name matches itself.
      if (filter.action) b.whereRaw("action LIKE ? ESCAPE '\\'", [likeLiteral(filter.action) + (filter.action.endsWith('.') ? '%' : '')]);
      if (filter.target) b.where('target', filter.target);
      if (filter.from) b.where('at', '>=', filter.from);
      if (filter.to) b.where('at', '<', filter.to);
    });
    const [{ c }] = await q.clone().count({ c: '*' });
    // By time, not id: rows a restore appended from a backup get new ids but keep their time.
    const rows = await q.orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(page.limit).offset(page.offset);
    return { items: rows.map(toEntry), total: num(c) };
  }
}
