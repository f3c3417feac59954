/** FAQ entries: question, answer, optional extra keywords the matcher also looks at. */
import { bool, num, parseJson, type Queryable } from '../db/rows.ts';
import { CrudTable } from './crud-table.ts';

export interface FaqEntry {
  id: number;
  question: string;
  answer: string;
  keywords: string[];
  language: string | null;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export type FaqInput = Pick<FaqEntry, 'question' | 'answer'> & Partial<Pick<FaqEntry, 'keywords' | 'language' | 'enabled'>>;

export class FaqRepo extends CrudTable<FaqEntry, FaqInput> {
  constructor(db: Queryable) {
    super(db, {
      table: 'faq',
      fromRow: (r) => ({
        id: num(r.id),
        question: String(r.question),
        answer: String(r.answer),
        keywords: parseJson<string[]>(r.keywords, []),
        language: (r.language as string | null) ?? null,
        enabled: bool(r.enabled),
        created_at: String(r.created_at),
        updated_at: String(r.updated_at),
      }),
      toRow: (i) => ({ ...i, keywords: i.keywords === undefined ? undefined : JSON.stringify(i.keywords) }),
    });
  }

  async listEnabled(): Promise<FaqEntry[]> {
    return (await this.db('faq').where({ enabled: true }).orderBy('id')).map((r) => this.m.fromRow(r));
  }

  /** Replace every entry (import with mode=replace) or append; one transaction either way. */
  async importMany(entries: FaqInput[], replace: boolean): Promise<number> {
    const run = async (q: Queryable) => {
      if (replace) await q('faq').delete();
      const repo = new FaqRepo(q);
      for (const e of entries) await repo.create({ enabled: true, ...e });
    };
    // On a transaction this nests as a savepoint, so callers may already be inside one.
    await this.db.transaction(run);
    return entries.length;
  }
}
