/**
 * A restore never rewinds the audit log: the log of what was done to this installation, the
 * restores themselves included, must outlive any restore. So the backup's audit rows are added to
 * the live ones instead of replacing them, each row the live log does not already hold appended
 * with a fresh id (ids are this database's; the backup's may name other events here).
 *
 * "Already holds" is decided by the columns an erasure never rewrites (when, what, which actor,
 * from where, with what outcome), counted as a multiset, so restoring your own backup adds
 * nothing, restoring it twice adds nothing the second time, and a burst of identical-looking
 * events (ten failed logins from one address in one millisecond) comes back as many times as the
 * backup has it. The free-text columns are left out of the match because a GDPR erasure since the
 * backup may have redacted them in the live row; the restore's re-applied erasures redact the
 * appended rows the same way.
 *
 * A backup is a file anyone holding it can edit (its hashes are plain, recomputable), so an
 * appended row is marked with the backup it came from (`restored_from`, its sha256; the audit API
 * shows it): a row a restore brought in never passes for one this installation wrote. The mark
 * is ours, whatever the backup's row said.
 */
import type { Knex } from 'knex';
import { insertInBatches } from '../db/rows.ts';

type Row = Record<string, unknown>;

const MATCH_COLUMNS = ['at', 'action', 'actor_type', 'actor_id', 'ip', 'status'] as const;
/** Rows compared per query; rows sharing an `at` are never split (the multiset must see them all). */
const CHUNK = 500;

const identity = (r: Row): string =>
  JSON.stringify(MATCH_COLUMNS.map((c) => (r[c] === null || r[c] === undefined ? null : c === 'status' ? Number(r[c]) : String(r[c]))));

/** Appends the backup's audit rows that the live log lacks, marked with `backupSha256`; returns how many. */
export async function appendAuditRows(trx: Knex.Transaction, backupRows: Row[], backupSha256: string): Promise<number> {
  const rows = [...backupRows].sort((a, b) => (String(a.at) < String(b.at) ? -1 : String(a.at) > String(b.at) ? 1 : Number(a.id) - Number(b.id)));
  const missing: Row[] = [];
  for (let start = 0; start < rows.length; ) {
    let end = Math.min(start + CHUNK, rows.length);
    while (end < rows.length && rows[end].at === rows[end - 1].at) end++;
    const chunk = rows.slice(start, end);
    const live = await trx('audit_log')
      .whereBetween('at', [String(chunk[0].at), String(chunk[chunk.length - 1].at)])
      .select(...MATCH_COLUMNS);
    const held = new Map<string, number>();
    for (const r of live) held.set(identity(r), (held.get(identity(r)) ?? 0) + 1);
    for (const r of chunk) {
      const key = identity(r);
      const n = held.get(key) ?? 0;
      if (n > 0) held.set(key, n - 1);
      else missing.push(r);
    }
    start = end;
  }
  await insertInBatches(trx, 'audit_log', missing.map(({ id: _fresh, ...r }) => ({ ...r, restored_from: backupSha256 })));
  return missing.length;
}
