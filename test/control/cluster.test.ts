/**
 * Several gateway processes on one Postgres: a node that dies (a real process, SIGKILL) stops its
 * heartbeat, and a live node closes the dead one's calls as `node_lost` (failed, turns and
 * transcript kept) once the heartbeat is older than NODE_LOST_AFTER_S. When the dead node's data
 * directory starts again, its new life does not touch what the peer already closed. A database
 * outage longer than NODE_LOST_AFTER_S (a Postgres of the test's own, stopped and started) makes
 * no node close another's live calls; a node that was declared lost while alive gets its calls
 * back; nodes with different settings do not take each other for dead between beats.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Knex } from 'knex';
import pino from 'pino';
import t, { type Test } from 'tap';
import { createControlPlane, type ControlPlane } from '../../control/control-plane.ts';
import { gatewayNodeHandlers } from '../../control/cluster/gateway-node.ts';
import { dbNow } from '../../control/db/sql-time.ts';
import { postgresBinDir, startThrowawayPostgres } from '../helpers/throwaway-postgres.ts';
import { until } from '../helpers/until.ts';
import { TEST_ENV } from './helpers/control.ts';
import { PG_URL, testDatabase, testEngines, type TestDatabase, type TestEngine } from './helpers/database.ts';

/** Both nodes of a test get the same setting: 3 s, heartbeats every second. */
const NODE_ENV = { ...TEST_ENV, NODE_LOST_AFTER_S: '3' };
const silent = pino({ level: 'silent' });

/**
 * For the test whose node must stay alive while it is watched: beats still every second, lost
 * after 6 s, so a child process stalled for a few seconds by a loaded machine is not swept.
 */
const PATIENT_NODE_ENV = { ...TEST_ENV, NODE_LOST_AFTER_S: '6' };

const controlPlane = (db: Pick<TestDatabase, 'dataDir' | 'databaseUrl' | 'pgSchema'>, env: Record<string, string> = NODE_ENV) =>
  createControlPlane({ dataDir: db.dataDir, databaseUrl: db.databaseUrl, pgSchema: db.pgSchema, log: silent, env });

/** A control plane on a database of its own, closed (and the database dropped) at the end of the test. */
async function nodeOn(t: Test, engine: TestEngine): Promise<ControlPlane> {
  const tdb = await testDatabase(engine);
  const cp = await controlPlane(tdb);
  t.teardown(async () => {
    await cp.close();
    await tdb.cleanup();
  });
  return cp;
}

// Every subtest has a database (or a server) and data directories of its own, and most of its time
// is spent waiting out NODE_LOST_AFTER_S of heartbeats: two wait side by side (not more: the
// nodes share this process's event loop, and a beat held up for seconds would be swept as lost).
t.jobs = 2;

/** A node sweeps only once its own heartbeats have worked for NODE_LOST_AFTER_S without a break. */
const sweeping = (cp: ControlPlane) => until('this node\'s heartbeats working long enough to sweep', () => cp.node.status().sweeping, { timeoutMs: 30_000 });

t.test('a dead node\'s calls are closed as node_lost by a live one', { skip: PG_URL ? false : 'needs Postgres (TEST_DATABASE_URL): with SQLite there is one gateway process' }, async (t) => {
  const dead = await testDatabase('postgres');
  t.teardown(() => dead.cleanup());
  const live = await testDatabase('postgres'); // its own data directory; the database is the dead node's
  t.teardown(() => live.cleanup());

  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'helpers/node-child.ts'), JSON.stringify({ ...dead, callId: 'on-dead-node', env: PATIENT_NODE_ENV })], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void (child.exitCode === null && child.kill('SIGKILL')));
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const deadNode = (await until('the other node has a call in progress', () => /ready (\S+)/.exec(out)?.[1], { timeoutMs: 60_000 }))!;

  const cp = await controlPlane({ ...live, databaseUrl: dead.databaseUrl, pgSchema: dead.pgSchema }, PATIENT_NODE_ENV);
  t.teardown(() => cp.close());
  t.match(await cp.repos.calls.get('on-dead-node'), { status: 'active', node_id: deadNode });
  await sweeping(cp);
  await cp.node.beat();
  t.equal((await cp.repos.calls.get('on-dead-node'))?.status, 'active', 'a node that keeps beating is left alone');

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
  const again = await controlPlane(dead, PATIENT_NODE_ENV);
  t.teardown(() => again.close());
  t.match(await again.repos.calls.get('on-dead-node'), { status: 'failed', end_reason: 'node_lost' }, 'not re-closed as crash');
  t.not(again.node.id, deadNode, 'a new life');
  t.equal(again.node.name, (await cp.db('gateway_nodes').where({ id: deadNode }).first()).name, 'of the same node');
});

t.test('a Postgres outage longer than NODE_LOST_AFTER_S: no node closes another\'s live calls', { skip: postgresBinDir() ? false : 'needs the PostgreSQL server binaries (initdb, pg_ctl) to stop and start a server of its own' }, async (t) => {
  const pg = (await startThrowawayPostgres())!;
  t.teardown(() => pg.destroy());
  const dirs = [await testDatabase('sqlite'), await testDatabase('sqlite')]; // data directories only
  t.teardown(() => Promise.all(dirs.map((d) => d.cleanup())));
  const [a, b] = [await controlPlane({ dataDir: dirs[0]!.dataDir, databaseUrl: pg.url }), await controlPlane({ dataDir: dirs[1]!.dataDir, databaseUrl: pg.url })];
  t.teardown(() => Promise.all([a.close(), b.close()]));
  b.callJournal.open({ id: 'live-on-b', channel: 'ws', direction: 'inbound', caller_number: null, started_at: new Date().toISOString() });
  t.ok(await b.callJournal.flush(10_000));
  await sweeping(a);

  await pg.stop();
  const down = performance.now();
  await until('both nodes see the database fail', () => !a.node.status().write_ok && !b.node.status().write_ok, { timeoutMs: 30_000 });
  // The outage itself is the scenario: it must outlast NODE_LOST_AFTER_S (3 s) with room to spare.
  await until('the outage outlasting NODE_LOST_AFTER_S', () => performance.now() - down > 5000, { timeoutMs: 30_000 });
  await pg.start();
  // The first node back beats at once, before the other has had a chance to.
  await until('node A beating again', async () => (await a.node.beat(), a.node.status().write_ok), { timeoutMs: 30_000 });
  await until('node B beating again', () => b.node.status().write_ok, { timeoutMs: 30_000 });
  await sweeping(a);
  await a.node.beat();
  await sweeping(b);
  await b.node.beat();
  t.match(await a.repos.calls.get('live-on-b'), { status: 'active', end_reason: null }, 'B\'s call is still live');
  t.match(await a.db('gateway_nodes').where({ id: b.node.id }).first(), { stopped_at: null }, 'B is not marked lost');
  t.equal(a.node.status().lost_calls_closed, 0);
});

for (const engine of testEngines()) {
  t.test(`${engine}: a node declared lost while alive gets its calls back; the real ends in its journal still win`, async (t) => {
    const tdb = await testDatabase(engine);
    t.teardown(() => tdb.cleanup());
    const cp = await controlPlane(tdb);
    t.teardown(() => cp.close());
    const open = (id: string) => cp.callJournal.open({ id, channel: 'ws', direction: 'inbound', caller_number: null, started_at: new Date().toISOString() });
    open('still-live');
    open('ended-meanwhile');
    t.ok(await cp.callJournal.flush(10_000));
    // A peer's sweep, while this node could not reach the database.
    await cp.db('gateway_nodes').where({ id: cp.node.id }).update({ stopped_at: await dbNow(cp.db), stop_reason: 'node_lost' });
    await cp.repos.calls.closeOrphans((q) => q.where('node_id', cp.node.id), 'node_lost', await dbNow(cp.db));
    // One call really ended while cut off: its end waits in the journal and lands after the sweep.
    cp.callJournal.close({ id: 'ended-meanwhile', status: 'completed', end_reason: 'client_hangup', summary: null, ended_at: new Date().toISOString() });
    t.ok(await cp.callJournal.flush(10_000));

    await cp.node.beat();
    t.match(await cp.repos.calls.get('still-live'), { status: 'active', end_reason: null, ended_at: null, duration_ms: null }, 'reopened');
    t.match(await cp.repos.calls.get('ended-meanwhile'), { status: 'completed', end_reason: 'client_hangup' }, 'its real end kept');
    t.match(await cp.db('gateway_nodes').where({ id: cp.node.id }).first(), { stopped_at: null, stop_reason: null }, 'the node is live again');
  });

  t.test(`${engine}: an earlier life's recovery applied late leaves the current life and its calls alone, even after the clock went back`, async (t) => {
    const tdb = await testDatabase(engine);
    t.teardown(() => tdb.cleanup());
    const first = await controlPlane(tdb);
    const firstLife = { name: first.node.name, node_id: first.node.id, started_at: first.node.startedAt, life: first.node.life };
    await first.close();
    const cp = await controlPlane(tdb); // the same data directory: the next life of the same node
    t.teardown(() => cp.close());
    t.same([firstLife.life, cp.node.life], [1, 2], 'lives are numbered');
    // The box started with its clock in the past (no real-time clock): this life's call looks older than the last life.
    const past = new Date(Date.parse(firstLife.started_at) - 3_600_000).toISOString();
    cp.callJournal.open({ id: 'current-call', channel: 'ws', direction: 'inbound', caller_number: null, started_at: past });
    t.ok(await cp.callJournal.flush(10_000));
    const [, recover] = gatewayNodeHandlers(silent).find(([op]) => op === 'calls.recover')!;
    await cp.db.transaction((trx) => recover(trx, firstLife, { seq: 1, op: 'calls.recover', key: 'late', t: Date.now(), data: firstLife }));
    t.match(await cp.repos.calls.get('current-call'), { status: 'active', end_reason: null }, 'the live call is not closed as crash');
    t.match(await cp.db('gateway_nodes').where({ id: cp.node.id }).first(), { stopped_at: null, stop_reason: null }, 'the current life is not marked crashed');
  });

  t.test(`${engine}: a peer is lost after three of its own beats and NODE_LOST_AFTER_S, by the database's clock; not before this node has beaten for that long`, async (t) => {
    const tdb = await testDatabase(engine);
    t.teardown(() => tdb.cleanup());
    const cp = await controlPlane(tdb);
    t.teardown(() => cp.close());
    const peer = async (id: string, heartbeatAgoMs: number, heartbeat_ms: number | null) => {
      const now = Date.parse(await dbNow(cp.db));
      const ago = (ms: number) => new Date(now - ms).toISOString();
      await cp.db('gateway_nodes').insert({ id, name: `peer-${id}`, started_at: ago(3600_000), heartbeat_at: ago(heartbeatAgoMs), heartbeat_ms });
      await cp.repos.calls.open({ id: `call-of-${id}`, channel: 'ws', direction: 'inbound', started_at: ago(3600_000), node_id: id });
      return ago(heartbeatAgoMs);
    };
    const goneSince = await peer('gone', 16_000, 5000); // three missed beats and more
    await cp.node.beat();
    t.equal((await cp.repos.calls.get('call-of-gone'))?.status, 'active', 'a node that has just started sweeps nothing');
    await sweeping(cp);
    await peer('slow-beat', 10_000, 5000); // beats every 5 s: silent 10 s is two missed beats
    await peer('old-row', 5_000, null); // from before heartbeat_ms: this node's 3 s alone
    await peer('fresh', 500, 1000);
    await cp.node.beat();
    t.equal((await cp.repos.calls.get('call-of-slow-beat'))?.status, 'active', 'a slower peer between its beats: left alone');
    t.equal((await cp.repos.calls.get('call-of-fresh'))?.status, 'active', 'a peer that beat just now: left alone');
    t.match(await cp.repos.calls.get('call-of-gone'), { status: 'failed', end_reason: 'node_lost', ended_at: goneSince }, 'closed as of its last heartbeat');
    t.match(await cp.repos.calls.get('call-of-old-row'), { status: 'failed', end_reason: 'node_lost' });
  });
}

for (const engine of testEngines()) {
  t.test(`${engine}: active calls no live node runs (restored from a backup) are closed as node_lost; others are left alone`, async (t) => {
    const cp = await nodeOn(t, engine);
    const long = new Date(Date.now() - 3600_000).toISOString();
    await cp.db('gateway_nodes').insert({ id: 'stopped-life', name: 'elsewhere', started_at: long, heartbeat_at: long, stopped_at: long, stop_reason: 'stopped' });
    const call = (id: string, node_id: string, started_at = long) => cp.repos.calls.open({ id, channel: 'ws', direction: 'inbound', started_at, node_id });
    await call('of-stopped-node', 'stopped-life');
    await call('of-unknown-node', 'from-another-installation');
    await call('mine', cp.node.id);
    await sweeping(cp);
    // Opened just before the sweep: however long the wait for sweeping took on a loaded machine.
    await call('just-started', 'from-another-installation', new Date().toISOString());
    await cp.node.beat();
    t.match(await cp.repos.calls.get('of-stopped-node'), { status: 'failed', end_reason: 'node_lost' });
    t.match(await cp.repos.calls.get('of-unknown-node'), { status: 'failed', end_reason: 'node_lost' });
    t.equal((await cp.repos.calls.get('just-started'))?.status, 'active', 'younger than NODE_LOST_AFTER_S: left alone');
    t.equal((await cp.repos.calls.get('mine'))?.status, 'active', "this node's own call: left alone");
  });
}

for (const engine of testEngines()) {
  t.test(`${engine}: the sweep reads active calls through an index, never the whole calls table`, async (t) => {
    const cp = await nodeOn(t, engine);
    const long = new Date(Date.now() - 3600_000).toISOString();
    await cp.db('gateway_nodes').insert({ id: 'silent', name: 'elsewhere', started_at: long, heartbeat_at: long });
    await cp.repos.calls.open({ id: 'of-silent', channel: 'ws', direction: 'inbound', started_at: long, node_id: 'silent' });
    await sweeping(cp);
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
      t.match(plan, /calls_active_started_at|calls_node_id_status_index/, 'reads only active calls');
      t.notMatch(plan, /SCAN calls\b|Seq Scan on calls\b|calls_started_at_index/, 'no read of every call');
    }
  });
}
