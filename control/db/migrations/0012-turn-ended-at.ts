/**
 * When each turn ended (its reply played out or was cut), beside when it started: the pipeline
 * reports a whole turn record, and the call log keeps its times. Null for turns from before, and
 * for the provisional row of a turn still in progress (what a crash leaves).
 */
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('call_turns', (t) => {
    t.string('ended_at', 32);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('call_turns', (t) => {
    t.dropColumn('ended_at');
  });
}
