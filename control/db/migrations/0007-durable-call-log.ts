/**
 * What the durable call log (control/journal/) and crash recovery need from the schema:
 *  - `call_transcripts.seq`: the segment's number within its call, unique per call, so a journal
 *    entry applied twice (a crash between the database write and its acknowledgement) updates the
 *    same row instead of adding a second one; and an assistant segment written sentence by sentence
 *    as the reply plays is one row that grows. Rows from before have none (NULLs never collide).
 *  - `calls.node_id`: the gateway process life that runs the call, so a restarted node can close its
 *    earlier life's calls as `crash` and a live node can close a dead node's calls as `node_lost`.
 *  - `calls.recording_error`: why a call that should have been recorded has no (or only part of
 *    its) recording.
 *  - `gateway_nodes`: one row per process life (its stable `name` is the data directory's node id),
 *    with a heartbeat that doubles as the periodic database write probe of /health.
 */
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('call_transcripts', (t) => {
    t.integer('seq');
    t.unique(['call_id', 'seq']);
  });
  await db.schema.alterTable('calls', (t) => {
    t.string('node_id', 64);
    t.string('recording_error', 500);
    t.index(['node_id', 'status']);
  });
  await db.schema.createTable('gateway_nodes', (t) => {
    t.string('id', 64).primary();
    t.string('name', 64).notNullable().index();
    t.string('host', 255);
    t.integer('pid');
    t.string('started_at', 32).notNullable();
    t.string('heartbeat_at', 32).notNullable();
    t.string('stopped_at', 32);
    /** `stopped` (clean shutdown), `crash` (closed by its own next life), `node_lost` (closed by a peer). */
    t.string('stop_reason', 16);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('gateway_nodes');
  await db.schema.alterTable('calls', (t) => {
    t.dropIndex(['node_id', 'status']);
    t.dropColumn('node_id');
    t.dropColumn('recording_error');
  });
  await db.schema.alterTable('call_transcripts', (t) => {
    t.dropUnique(['call_id', 'seq']);
    t.dropColumn('seq');
  });
}
