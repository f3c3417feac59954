/**
 * Why each call ended ('client_hangup', 'dialogue_finished', 'worker_crashed', 'no_carrier', ...),
 * separate from its status ('active' / 'completed' / 'failed') so both can be filtered on.
 */
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('calls', (t) => {
    t.string('end_reason', 64);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('calls', (t) => {
    t.dropColumn('end_reason');
  });
}
