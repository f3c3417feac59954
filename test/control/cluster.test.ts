/**
 * Several gateway processes on one Postgres: a node that dies (a real process, SIGKILL) stops its
 * heartbeat, and a live node closes the dead one's calls as `node_lost` (failed, turns and
 * transcript kept) once the heartbeat is older than NODE_LOST_AFTER_S. When the dead node's data
 * directory starts again, its new life does not touch what the peer already closed.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Knex } from 'knex';
import pino from 'pino';
import t from 'tap';
import { createControlPlane } from '../../control/control-plane.ts';
import { until } from '../helpers/until.ts';
import { TEST_ENV } from './helpers/control.ts';
import { PG_URL, testDatabase, testEngines } from './helpers/database.ts';

t.test('a dead node\'s calls are closed as node_lost by a live one', { skip: PG_URL ? false : 'needs Postgres (TEST_DATABASE_URL): with SQLite there is one gateway process' }, async (t) => {
  const dead = await testDatabase('postgres');
  t.teardown(() => dead.cleanup());
  const live = await testDatabase('postgres'); // its own data directory; the database is the dead node's
  t.teardown(() => live.cleanup());

  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'helpers/node-child.ts'), JSON.stringify({ ...dead, callId: 'on-dead-node' })], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void (child.exitCode === null && child.kill('SIGKILL')));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const deadNode = (await until('the other node has a call in progress', () => /ready (\S+)/.exec(out)?.[1], { timeoutMs: 60_000 }))!;

  const cp = await createControlPlane({ dataDir: live.dataDir, databaseUrl: dead.databaseUrl, pgSchema: dead.pgSchema, log: pino({ level: 'silent' }), env: { ...TEST_ENV, NODE_LOST_AFTER_S: '3' } });
  t.teardown(() => cp.close());
  t.match(await cp.repos.calls.get('on-dead-node'), { status: 'active', node_id: deadNode });
  await cp.node.beat();
  t.equal((await cp.repos.calls.get('on-dead-node'))?.status, 'active', 'a node with a fresh heartbeat is left alone');

  child.kill('SIGKILL');
  const closed = await until('the dead node\'s call closed', async () => {
    const c = await cp.repos.calls.get('on-dead-node');
    return c?.status !== 'active' ? c : null;
  }, { timeoutMs: 30_000 });
  t.match(closed, { status: 'failed', end_reason: 'node_lost' });
  t.ok(closed!.ended_at, 'ended as of its node\'s last heartbeat');
  t.match(await cp.repos.calls.turns('on-dead-node'), [{ turn_index: 1, assistant_text: 'We open at nine.' }], 'its turn kept');
  t.equal((await cp.repos.calls.transcript('on-dead-node')).length, 1, 'its transcript kept');
  t.match(await cp.db('gateway_nodes').where({ id: deadNode }).first(), { stop_reason: 'node_lost' });
  t.equal(cp.node.status().lost_calls_closed, 1);

  // The dead node's data directory starts again: its earlier life is already closed by the peer.
  const again = await createControlPlane({ dataDir: dead.dataDir, databaseUrl: dead.databaseUrl, pgSchema: dead.pgSchema, log: pino({ level: 'silent' }), env: TEST_ENV });
  t.teardown(() => again.close());
  t.match(await again.repos.calls.get('on-dead-node'), { status: 'failed', end_reason: 'node_lost' }, 'not re-closed as crash');
  t.not(again.node.id, deadNode, 'a new life');
  t.equal(again.node.name, (await cp.db('gateway_nodes').where({ id: deadNode }).first()).name, 'of the same node');
});

for (const engine of testEngines()) {
  t.test(`${engine}: active calls no live node runs (restored from a backup) are closed as node_lost; others are left alone`, async (t) => {
    const tdb = await testDatabase(engine);
    const cp = await createControlPlane({ dataDir: tdb.dataDir, databaseUrl: tdb.databaseUrl, pgSchema: tdb.pgSchema, log: pino({ level: 'silent' }), env: { ...TEST_ENV, NODE_LOST_AFTER_S: '3' } });
    t.teardown(async () => {
      await cp.close();
      await tdb.cleanup();
    });
    const long = new Date(Date.now() - 3600_000).toISOString();
    await cp.db('gateway_nodes').insert({ id: 'stopped-life', name: 'elsewhere', started_at: long, heartbeat_at: long, stopped_at: long, stop_reason: 'stopped' });
    const call = (id: string, node_id: string, started_at = long) => cp.repos.calls.open({ id, channel: 'ws', direction: 'inbound', started_at, node_id });
    await call('of-stopped-node', 'stopped-life');
    await call('of-unknown-node', 'from-another-installation');
    await call('just-started', 'from-another-installation', new Date().toISOString());
    await call('mine', cp.node.id);
    await cp.node.beat();
    t.match(await cp.repos.calls.get('of-stopped-node'), { status: 'failed', end_reason: 'node_lost' });
    t.match(await cp.repos.calls.get('of-unknown-node'), { status: 'failed', end_reason: 'node_lost' });
    t.equal((await cp.repos.calls.get('just-started'))?.status, 'active', 'younger than NODE_LOST_AFTER_S: left alone');
    t.equal((await cp.repos.calls.get('mine'))?.status, 'active', "this node's own call: left alone");
  });
}

for (const engine of testEngines()) {
  t.test(`${engine}: the sweep reads active calls through an index, never the whole calls table`, async (t) => {
    const tdb = await testDatabase(engine);
    const cp = await createControlPlane({ dataDir: tdb.dataDir, databaseUrl: tdb.databaseUrl, pgSchema: tdb.pgSchema, log: pino({ level: 'silent' }), env: { ...TEST_ENV, NODE_LOST_AFTER_S: '3' } });
    t.teardown(async () => {
      await cp.close();
      await tdb.cleanup();
    });
    const long = new Date(Date.now() - 3600_000).toISOString();
    await cp.db('gateway_nodes').insert({ id: 'silent', name: 'elsewhere', started_at: long, heartbeat_at: long });
    await cp.repos.calls.open({ id: 'of-silent', channel: 'ws', direction: 'inbound', started_at: long, node_id: 'silent' });
    const statements: Array<{ sql: string; bindings: Knex.RawBinding[] }> = [];
    const seen = (q: { sql: string; bindings?: Knex.RawBinding[] }) => void (/[`"]calls[`"]/.test(q.sql) && /status/.test(q.sql) && statements.push({ sql: q.sql, bindings: q.bindings ?? [] }));
    cp.db.on('query', seen);
    await cp.node.beat();
    cp.db.off('query', seen);
    t.ok(statements.length > 0, 'the sweep queried the calls table');
    for (const s of statements) {
      const plan =
        engine === 'sqlite'
          ? ((await cp.db.raw(`EXPLAIN QUERY PLAN ${s.sql}`, s.bindings)) as Array<{ detail: string }>).map((r) => r.detail).join('\n')
          : await cp.db.transaction(async (trx) => {
              // A handful of rows: without this the planner rightly prefers a scan; what matters is that the index can serve the query.
              await trx.raw('SET LOCAL enable_seqscan = off');
              return ((await trx.raw(`EXPLAIN ${s.sql.replace(/\$\d+/g, '?')}`, s.bindings)).rows as Array<{ 'QUERY PLAN': string }>).map((r) => r['QUERY PLAN']).join('\n');
            });
      // The partial index of active calls, or the one on (node_id, status) with both known; never a
      // scan, nor a range of started_at over every call ever made.
      t.match(plan, /calls_active_started_at|calls_node_id_status_index/, `reads only active calls: ${s.sql}\n${plan}`);
      t.notMatch(plan, /SCAN calls\b|Seq Scan on calls\b|calls_started_at_index/, `no read of every call: ${s.sql}\n${plan}`);
    }
  });
}
