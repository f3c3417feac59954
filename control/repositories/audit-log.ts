/** Who did what, when, to what, from where: written by the router for every mutating admin call. */
import { insertedId, likeLiteral, nowIso, num, parseJson, type Page, type Queryable } from '../db/rows.ts';
import { jsonBoundsProblem, type JsonBounds } from '../json-bounds.ts';

/** What one row's details may take; the facts an audit row needs are a few short fields. */
export const AUDIT_DETAILS_BOUNDS: JsonBounds = { maxDepth: 8, maxBytes: 16 * 1024 };

/** The row matters more than its details: details out of bounds are replaced by a note, never the reason a write fails. */
function detailsText(details: Record<string, unknown>): string {
  const problem = jsonBoundsProblem(details, AUDIT_DETAILS_BOUNDS);
  return JSON.stringify(problem ? { truncated: problem, keys: Object.keys(details).slice(0, 50).map((k) => k.slice(0, 100)) } : details);
}

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
  /** The sha256 of the backup a restore appended this row from (audit-merge.ts); null for rows written here. */
  restored_from: string | null;
}

export type AuditInput = Omit<AuditEntry, 'id' | 'at' | 'restored_from'> & { at?: string };

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
  restored_from: (r.restored_from as string | null) ?? null,
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
          details: e.details ? detailsText(e.details) : null,
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
