/**
 * The erasure ledger: one row per GDPR erasure, so that restoring a backup made before it can erase
 * the person again (control/legal/erasure-ledger.ts). The identifier is kept encrypted (the value
 * is needed to find the person's rows again) with a keyed HMAC beside it for lookups without
 * decrypting. Not part of backups, and never replaced by a restore.
 */
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('erasure_ledger', (t) => {
    t.increments('id');
    t.string('subject_hmac', 64).notNullable().index();
    t.text('subject_encrypted').notNullable();
    t.string('erased_at', 32).notNullable();
    t.string('erased_by_type', 16).notNullable();
    t.string('erased_by_id', 64);
    t.string('erased_by_name', 100);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('erasure_ledger');
}
