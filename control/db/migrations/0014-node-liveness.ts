/**
 * What the gateway-node sweep (control/cluster/gateway-node.ts) needs to stay cheap and right:
 *  - a partial index on the active calls: every heartbeat looks for active calls that no live node
 *    runs (by start time, node unknown), and neither the (node_id, status) index of 0007 nor the
 *    one on started_at can serve that without reading every call (300k calls: 60-120 ms every 5 s
 *    on SQLite's only connection). The active calls are a handful; both engines support partial
 *    indexes. (Queries by node use the (node_id, status) index, which serves them well.)
 *  - `gateway_nodes.heartbeat_ms`: the node's own heartbeat interval, so a peer with a shorter
 *    NODE_LOST_AFTER_S does not take it for dead between two of its beats. Null for rows from
 *    before (judged by the peer's setting alone).
 *  - `gateway_nodes.life`: 1, 2, 3... per node name, so a `calls.recover` entry applied late (the
 *    journal replays in the background) touches only the lives before its own, whatever the wall
 *    clock did between them (a box without a real-time clock can start in the past). Null for
 *    rows from before (judged by start time).
 */
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.raw(`CREATE INDEX calls_active_started_at ON calls (started_at) WHERE status = 'active'`);
  await db.schema.alterTable('gateway_nodes', (t) => {
    t.integer('heartbeat_ms');
    t.integer('life');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('gateway_nodes', (t) => {
    t.dropColumn('heartbeat_ms');
    t.dropColumn('life');
  });
  await db.raw('DROP INDEX calls_active_started_at');
}
