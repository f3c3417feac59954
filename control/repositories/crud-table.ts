/**
 * The shared shape of the simple admin-managed tables (personas, FAQ, presets, limits): integer id,
 * created_at/updated_at, and a pair of functions mapping between stored rows and entities. Tables
 * with secrets or special rules (users, providers, tokens) have their own repositories.
 */
import { insertedId, nowIso, num, type Queryable } from '../db/rows.ts';

export interface CrudMapping<E, In> {
  table: string;
  fromRow(row: Record<string, unknown>): E;
  /** Columns for an insert or a partial update; undefined fields are left out. */
  toRow(input: Partial<In>): Record<string, unknown>;
  orderBy?: string;
}

export class CrudTable<E extends { id: number }, In> {
  constructor(
    protected readonly db: Queryable,
    protected readonly m: CrudMapping<E, In>,
  ) {}

  async list(): Promise<E[]> {
    return (await this.db(this.m.table).orderBy(this.m.orderBy ?? 'id')).map((r) => this.m.fromRow(r));
  }

  async get(id: number): Promise<E | undefined> {
    const r = await this.db(this.m.table).where({ id }).first();
    return r ? this.m.fromRow(r) : undefined;
  }

  async create(input: In): Promise<E> {
    const now = nowIso();
    const id = insertedId(await this.db(this.m.table).insert({ ...dropUndefined(this.m.toRow(input)), created_at: now, updated_at: now }).returning('id'));
    return (await this.get(id))!;
  }

  async update(id: number, patch: Partial<In>): Promise<E | undefined> {
    const n = await this.db(this.m.table).where({ id }).update({ ...dropUndefined(this.m.toRow(patch)), updated_at: nowIso() });
    return n ? this.get(id) : undefined;
  }

  async remove(id: number): Promise<boolean> {
    return (await this.db(this.m.table).where({ id }).delete()) > 0;
  }

  async count(): Promise<number> {
    const [r] = await this.db(this.m.table).count({ c: '*' });
    return num(r.c);
  }
}

export function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}
