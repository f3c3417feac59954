/**
 * Where an audit row came from when a restore appended it (backup/audit-merge.ts): the sha256 of
 * the backup. A backup is an editable file, so its rows prove nothing about this installation; the
 * mark keeps a row a restore brought in from passing for one this installation wrote. Null for
 * rows written here.
 */
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('audit_log', (t) => {
    t.string('restored_from', 64);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('audit_log', (t) => {
    t.dropColumn('restored_from');
  });
}
