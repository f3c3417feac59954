/** Usage records (one per chat, TTS or STT request) and the limits an admin sets on them. */
import { bool, num, type Page, type Queryable } from '../db/rows.ts';
import { CrudTable } from './crud-table.ts';

export const USAGE_PERIODS = ['minute', 'hour', 'day', 'month'] as const;
export type UsagePeriod = (typeof USAGE_PERIODS)[number];
export const USAGE_METRICS = ['requests', 'tokens'] as const;
export type UsageMetric = (typeof USAGE_METRICS)[number];
/** What a metered route counts as; a limit names one. Routes declare theirs with `usage` (http/route.ts). */
export const USAGE_KINDS = ['chat', 'tts', 'stt'] as const;
export type UsageKind = (typeof USAGE_KINDS)[number];
/** `telegram_bot`: every chat of one Telegram bot (subject_id: the bot's id). `widget`: a website widget instance (its id), which all its visitors count as. */
export const SUBJECT_TYPES = ['global', 'api_key', 'user', 'ip', 'telegram_bot', 'widget'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

export interface UsageRecord {
  at: string;
  subject_type: Exclude<SubjectType, 'global'>;
  subject_id: string;
  kind: string;
  source: string | null;
  units: number;
  tokens_in: number;
  tokens_out: number;
}

export interface UsageLimit {
  id: number;
  name: string;
  /** `global` limits count everyone's use together; the others apply to each subject separately or to subject_id only. */
  subject_type: SubjectType;
  subject_id: string | null;
  kind: string;
  metric: UsageMetric;
  period: UsagePeriod;
  max_value: number;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export type UsageLimitInput = Omit<UsageLimit, 'id' | 'created_at' | 'updated_at'>;

export interface UsageFilter {
  subject_type?: string;
  subject_id?: string;
  kind?: string;
  from?: string;
  to?: string;
}

export class UsageLimitsRepo extends CrudTable<UsageLimit, UsageLimitInput> {
  constructor(db: Queryable) {
    super(db, {
      table: 'usage_limits',
      fromRow: (r) => ({
        id: num(r.id),
        name: String(r.name),
        subject_type: r.subject_type as SubjectType,
        subject_id: (r.subject_id as string | null) ?? null,
        kind: String(r.kind),
        metric: r.metric as UsageMetric,
        period: r.period as UsagePeriod,
        max_value: num(r.max_value),
        enabled: bool(r.enabled),
        created_at: String(r.created_at),
        updated_at: String(r.updated_at),
      }),
      toRow: (i) => ({ ...i }),
    });
  }
}

export class UsageLogRepo {
  constructor(private readonly db: Queryable) {}

  async insertMany(records: UsageRecord[]): Promise<void> {
    // Chunked so one flush never exceeds SQLite's bound-parameter limit.
    for (let i = 0; i < records.length; i += 100) await this.db('usage_log').insert(records.slice(i, i + 100));
  }

  async list(filter: UsageFilter, page: Page): Promise<{ items: Array<UsageRecord & { id: number }>; total: number }> {
    const q = this.filtered(filter);
    const [{ c }] = await q.clone().count({ c: '*' });
    const rows = await q.orderBy('id', 'desc').limit(page.limit).offset(page.offset);
    return {
      items: rows.map((r: Record<string, unknown>) => ({ ...r, id: num(r.id), units: num(r.units), tokens_in: num(r.tokens_in), tokens_out: num(r.tokens_out) })),
      total: num(c),
    };
  }

  /** Totals per (subject, kind) since a time; used to seed the in-memory meters after a restart. */
  async totalsSince(since: string): Promise<Array<{ subject_type: string; subject_id: string; kind: string; requests: number; tokens: number }>> {
    const rows = await this.db('usage_log')
      .where('at', '>=', since)
      .groupBy('subject_type', 'subject_id', 'kind')
      .select('subject_type', 'subject_id', 'kind')
      .sum({ requests: 'units' })
      .sum({ tokens: this.db.raw('tokens_in + tokens_out') });
    return rows.map((r: Record<string, unknown>) => ({
      subject_type: String(r.subject_type),
      subject_id: String(r.subject_id),
      kind: String(r.kind),
      requests: num(r.requests),
      tokens: num(r.tokens),
    }));
  }

  async summary(filter: UsageFilter): Promise<Array<{ kind: string; source: string | null; requests: number; tokens_in: number; tokens_out: number }>> {
    const rows = await this.filtered(filter)
      .groupBy('kind', 'source')
      .select('kind', 'source')
      .sum({ requests: 'units', tokens_in: 'tokens_in', tokens_out: 'tokens_out' });
    return rows.map((r: Record<string, unknown>) => ({
      kind: String(r.kind),
      source: (r.source as string | null) ?? null,
      requests: num(r.requests),
      tokens_in: num(r.tokens_in),
      tokens_out: num(r.tokens_out),
    }));
  }

  private filtered(filter: UsageFilter) {
    return this.db('usage_log').modify((b) => {
      if (filter.subject_type) b.where('subject_type', filter.subject_type);
      if (filter.subject_id) b.where('subject_id', filter.subject_id);
      if (filter.kind) b.where('kind', filter.kind);
      if (filter.from) b.where('at', '>=', filter.from);
      if (filter.to) b.where('at', '<', filter.to);
    });
  }
}
