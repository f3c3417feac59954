/**
 * Time computed by the database, for rows that several gateway processes compare: a heartbeat
 * stamped with one machine's clock and judged by another's makes a clock skew look like a death.
 * Both engines get the same text form as `nowIso()` (`YYYY-MM-DDTHH:MM:SS.mmmZ`, UTC), since our
 * timestamp columns are strings compared as text.
 */
import type { Knex } from 'knex';
import type { Queryable } from './rows.ts';

const isPg = (q: Queryable) => q.client.config.client === 'pg';

/** SQL for the database's current time as an ISO string. */
export function dbNowSql(q: Queryable): Knex.Raw {
  return isPg(q) ? q.raw(`to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`) : q.raw(`strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`);
}

/** The database's current time, as an ISO string. */
export async function dbNow(q: Queryable): Promise<string> {
  const rows = (await q.select(dbNowSql(q).wrap('(', ') as now'))) as Array<{ now: string }>;
  return String(rows[0]!.now);
}

/** SQL for the milliseconds from ISO column `column` to the ISO time `later` (a binding), at least 0. */
export function msSinceColumnSql(q: Queryable, column: string, later: string): Knex.Raw {
  return isPg(q)
    ? q.raw(`greatest(0, round(extract(epoch from (?::timestamptz - ??::timestamptz)) * 1000))`, [later, column])
    : q.raw(`max(0, round((julianday(?) - julianday(??)) * 86400000))`, [later, column]);
}
