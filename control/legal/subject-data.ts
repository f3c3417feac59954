/**
 * GDPR: everything we hold about one person (export), and erasing it (delete their rows, redact
 * mentions of them in other rows, remove their recordings from disk). The person is named by an
 * identifier as it appears in our data: a phone number, an e-mail address, a chat id.
 */
import { createHash } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import type { Knex } from 'knex';
import { likeLiteral, type Queryable } from '../db/rows.ts';
import type { RecordingStore } from '../recordings/recording-store.ts';
import { KEYED_TABLES, TEXT_COLUMNS } from './personal-data-map.ts';

export const REDACTED = '[redacted]';

/** How the audit log names a subject without naming them. */
export const subjectPseudonym = (subject: string): string => 'subject:' + createHash('sha256').update(subject).digest('hex').slice(0, 16);

const mentions = (q: Queryable, table: string, column: string, subject: string) =>
  q(table).whereRaw(`?? LIKE ? ESCAPE '\\'`, [column, `%${likeLiteral(subject)}%`]);

export async function exportSubject(db: Queryable, subject: string): Promise<Record<string, unknown>> {
  const calls = await db('calls').where('caller_number', subject).orWhere('callee_number', subject).orderBy('started_at');
  const callIds = calls.map((c: { id: string }) => c.id);
  const sessions = await db('chat_sessions').where('source_id', subject).orWhere('contact', subject).orderBy('id');
  const sessionIds = sessions.map((s: { id: number }) => s.id);
  const owned = {
    calls,
    call_turns: callIds.length ? await db('call_turns').whereIn('call_id', callIds).orderBy(['call_id', 'turn_index']) : [],
    call_transcripts: callIds.length ? await db('call_transcripts').whereIn('call_id', callIds).orderBy('id') : [],
    recordings: callIds.length ? await db('recordings').whereIn('call_id', callIds).orderBy('id') : [],
    chat_sessions: sessions,
    chat_messages: await db('chat_messages')
      .where((w) => {
        w.where('source_id', subject);
        if (sessionIds.length) w.orWhereIn('session_id', sessionIds);
      })
      .orderBy('id'),
    sms: await db('sms').where('phone_number', subject).orderBy('id'),
    messages: await db('messages').where('callback_number', subject).orWhere('caller_id', subject).orderBy('created_at'),
    consents: await db('consents').where('subject', subject).orderBy('id'),
    usage_log: await db('usage_log').where('subject_id', subject).orderBy('id'),
  };
  // Mentions in other people's rows (and in the audit log), so the export is complete.
  const mentioned: Record<string, unknown[]> = {};
  for (const { table, column } of TEXT_COLUMNS) {
    const rows = await mentions(db, table, column, subject);
    const ownIds = new Set(((owned as Record<string, Array<{ id: unknown }>>)[table] ?? []).map((r) => r.id));
    const extra = rows.filter((r: { id: unknown }) => !ownIds.has(r.id));
    if (extra.length) mentioned[table] = [...(mentioned[table] ?? []), ...extra.filter((r: { id: unknown }) => !(mentioned[table] ?? []).some((m) => (m as { id: unknown }).id === r.id))];
  }
  return { subject, exported_at: new Date().toISOString(), data: owned, mentioned_in: mentioned };
}

export interface EraseReport {
  deleted: Record<string, number>;
  redacted: Record<string, number>;
  files_removed: number;
}

/**
 * Delete one person's rows and redact mentions of them, on `q` (run it in a transaction). Returns
 * the `recordings.path` of their recordings, whose files are for the caller to remove.
 */
export async function eraseSubjectRows(q: Queryable, subject: string): Promise<Omit<EraseReport, 'files_removed'> & { files: string[] }> {
  const deleted: Record<string, number> = {};
  const redacted: Record<string, number> = {};
  const recs = await q('recordings')
    .whereIn('call_id', q('calls').select('id').where('caller_number', subject).orWhere('callee_number', subject))
    .select('path');
  for (const { table, keys } of KEYED_TABLES) {
    const n = await q(table)
      .where((w) => {
        for (const k of keys) w.orWhere(k, subject);
      })
      .delete();
    if (n) deleted[table] = n;
  }
  for (const { table, column } of TEXT_COLUMNS) {
    const n = await mentions(q, table, column, subject).update({ [column]: q.raw('REPLACE(??, ?, ?)', [column, subject, REDACTED]) });
    if (n) redacted[`${table}.${column}`] = n;
  }
  return { deleted, redacted, files: recs.map((r: { path: string }) => r.path) };
}

/**
 * Erase one person's data in one transaction; `record` runs in it too (the erasure ledger), so an
 * erasure is never committed without its record. Recording files are removed after the commit,
 * and only when they lie inside the recordings directory, so a tampered path cannot make us delete
 * arbitrary files.
 */
export async function eraseSubject(
  db: Knex,
  subject: string,
  recordings: Pick<RecordingStore, 'locate'>,
  record: (trx: Knex.Transaction) => Promise<void> = async () => {},
): Promise<EraseReport> {
  const { deleted, redacted, files } = await db.transaction(async (trx) => {
    const erased = await eraseSubjectRows(trx, subject);
    await record(trx);
    return erased;
  });
  let removed = 0;
  for (const f of files) {
    const abs = recordings.locate(f);
    if (!abs) continue;
    try {
      await unlink(abs);
      removed++;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return { deleted, redacted, files_removed: removed };
}
