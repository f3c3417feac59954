/** Small conversions that make SQLite and Postgres rows look the same to the repositories. */
import type { Knex } from 'knex';

export type Queryable = Knex | Knex.Transaction;

export const nowIso = (ms: number = Date.now()): string => new Date(ms).toISOString();

/** SQLite returns 0/1, Postgres true/false. */
export const bool = (v: unknown): boolean => v === true || v === 1 || v === '1';

/** Postgres returns COUNT(*) as a string (bigint). */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export function parseJson<T>(text: unknown, fallback: T): T {
  if (typeof text !== 'string' || text === '') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** The id of a row just inserted with `.returning('id')` (an object on both engines). */
export function insertedId(rows: Array<{ id: number | string } | number>): number {
  const first = rows[0];
  return Number(typeof first === 'object' ? first.id : first);
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
