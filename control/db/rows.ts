/** Small conversions that make SQLite and Postgres rows look the same to the repositories. */
import type { Knex } from 'knex';
import { MAX_JSON_DEPTH, tooDeepAt } from '../json-bounds.ts';

export type Queryable = Knex | Knex.Transaction;

export const nowIso = (ms: number = Date.now()): string => new Date(ms).toISOString();

/** SQLite returns 0/1, Postgres true/false. */
export const bool = (v: unknown): boolean => v === true || v === 1 || v === '1';

/** Postgres returns COUNT(*) as a string (bigint). */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** A nullable number column (Postgres bigint comes as a string). */
export const optNum = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * JSON stored as text, or `fallback`. Rows can come from an uploaded backup, so a value nested too
 * deep to be written out again (json-bounds.ts) is not served either.
 */
export function parseJson<T>(text: unknown, fallback: T): T {
  if (typeof text !== 'string' || text === '') return fallback;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fallback;
  }
  return tooDeepAt(value, MAX_JSON_DEPTH) ? fallback : (value as T);
}

/** The id of a row just inserted with `.returning('id')` (an object on both engines). */
export function insertedId(rows: Array<{ id: number | string } | number>): number {
  const first = rows[0];
  return Number(typeof first === 'object' ? first.id : first);
}

/** SQLite allows 999 bound variables per statement in old builds: inserts stay under it. */
const MAX_BINDINGS = 900;

/** Insert many rows in statements small enough for any SQLite build. */
export async function insertInBatches(q: Queryable, table: string, rows: Array<Record<string, unknown>>): Promise<void> {
  if (!rows.length) return;
  const perInsert = Math.max(1, Math.floor(MAX_BINDINGS / Object.keys(rows[0]).length));
  for (let i = 0; i < rows.length; i += perInsert) await q(table).insert(rows.slice(i, i + perInsert));
}

/** Escape `%`, `_` and `\` so a user-supplied string is matched literally by LIKE ... ESCAPE '\'. */
export const likeLiteral = (s: string): string => s.replace(/[\\%_]/g, (c) => '\\' + c);

export interface Page {
  limit: number;
  offset: number;
}

/**
 * A database error as one line for logs and /health: knex prefixes the driver's message with the
 * whole SQL statement (values included), which says nothing an operator needs and can carry data.
 */
export function dbErrorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const at = err.message.lastIndexOf(' - ');
  const message = at >= 0 ? err.message.slice(at + 3) : err.message;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}
