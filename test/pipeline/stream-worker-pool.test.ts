import t from 'tap';
import { StreamWorkerPool } from '../../pipeline/workers/stream-worker-pool.ts';
import { until } from '../helpers/until.ts';
import { holdGate } from './helpers/crash-session.ts';

const MODULE = new URL('./helpers/crash-session.ts', import.meta.url);

function collector() {
  const events: unknown[] = [];
  const errors: Error[] = [];
  return { events, errors, callbacks: { onEvents: (e: unknown[]) => events.push(...e), onError: (err: Error) => errors.push(err) } };
}

t.test('sessions stick to the least-loaded worker; frames are batched and events come back', async (t) => {
  const pool = new StreamWorkerPool({ size: 2 });
  t.teardown(() => pool.close());
  const a = collector();
  const b = collector();
  const sa = await pool.open(MODULE, {}, a.callbacks);
  const sb = await pool.open(MODULE, {}, b.callbacks);
  t.same(pool.load(), [1, 1], 'one session per worker');
  const frame = new Int16Array(320);
  sa.push(frame);
  t.equal(frame.length, 320, 'still ours until the flush');
  await until('a whole-buffer frame to be transferred (detached) at the flush, not copied', () => frame.length === 0);
  const big = new Int16Array(1000);
  sb.push(big.subarray(0, 320));
  t.equal(big.length, 1000, 'a view into a larger buffer is copied, the caller keeps it');
  sa.push(new Int16Array(160));
  await until('the events of both sessions', () => a.events.length === 2 && b.events.length === 1);
  t.same(a.events, [{ samples: 320 }, { samples: 160 }], 'in order');
  t.same(b.events, [{ samples: 320 }]);
  await sa.close();
  t.same(pool.load(), [0, 1]);
  t.ok(sa.dead);
});

t.test('a session error ends only that session', async (t) => {
  const pool = new StreamWorkerPool({ size: 1 });
  t.teardown(() => pool.close());
  const a = collector();
  const b = collector();
  const sa = await pool.open(MODULE, {}, a.callbacks);
  const sb = await pool.open(MODULE, {}, b.callbacks);
  sa.push(Int16Array.of(1, 0, 0));
  await until('the session error', () => a.errors.length > 0);
  t.match(a.errors[0].message, /session failed on purpose/);
  t.ok(sa.dead);
  sb.push(new Int16Array(10));
  await until('the other session to answer', () => b.events.length > 0);
  t.same(b.events, [{ samples: 10 }], 'the other call on the same worker carries on');
  await t.rejects(pool.open(MODULE, { failOpen: true }, collector().callbacks), /open failed on purpose/);
  t.equal(pool.restarts, 0);
});

t.test('a crashing worker ends only its own calls, and the pool replaces it', async (t) => {
  const pool = new StreamWorkerPool({ size: 2 });
  t.teardown(() => pool.close());
  const a = collector();
  const b = collector();
  const sa = await pool.open(MODULE, {}, a.callbacks);
  const sb = await pool.open(MODULE, {}, b.callbacks);
  sa.push(Int16Array.of(2)); // kills worker 0
  await until('the crash to reach the session', () => a.errors.length > 0);
  t.match(a.errors[0].message, /stream worker crashed/);
  t.ok(sa.dead);
  sa.push(new Int16Array(5)); // ignored, no throw
  sb.push(new Int16Array(7));
  await until('the session on the other worker to answer', () => b.events.length > 0);
  t.same(b.events, [{ samples: 7 }], 'the call on the other worker is unaffected');
  t.same(b.errors, []);
  t.equal(pool.restarts, 1);
  const c = collector();
  const sc = await pool.open(MODULE, {}, c.callbacks);
  sc.push(new Int16Array(3));
  await until('the replacement worker to answer', () => c.events.length > 0);
  t.same(c.events, [{ samples: 3 }], 'the replacement worker serves new calls');
  t.equal(a.errors.length, 1, 'the crashed call was told once (and nothing more came while the pool moved on)');
  t.match(pool.health(), { ok: true, restarts: 1, lastCrash: /exited with code 3/ });
});

t.test('closing the pool fails open sessions and refuses new ones', async (t) => {
  const pool = new StreamWorkerPool({ size: 1 });
  const a = collector();
  await pool.open(MODULE, {}, a.callbacks);
  await pool.close();
  t.match(a.errors[0]?.message, /closed/);
  await t.rejects(pool.open(MODULE, {}, a.callbacks), /closed/);
});

/** A one-worker pool whose worker is inside held work (crash-session's gate); `exits` collects its exit codes. */
async function busyPool() {
  const pool = new StreamWorkerPool({ size: 1 });
  const gate = holdGate();
  const session = collector();
  const s = await pool.open(MODULE, { gate }, session.callbacks);
  const exits: number[] = [];
  const worker = (pool as unknown as { slots: { worker: import('node:worker_threads').Worker }[] }).slots[0].worker;
  worker.on('exit', (code) => exits.push(code));
  s.push(Int16Array.of(3, 0, 0));
  await until('the worker to be inside its work', () => Atomics.load(gate, 0) === 1);
  const release = () => Atomics.store(gate, 1, 1);
  return { pool, exits, gate, errors: session.errors, release };
}

t.test('close() lets a busy worker finish its work and exit on its own (terminating inside native code aborts the process)', async (t) => {
  const { pool, exits, gate, errors, release } = await busyPool();
  t.teardown(release);
  const closing = pool.close(60_000).then(() => ({ exits: [...exits], work: Atomics.load(gate, 0) }));
  // The work ends only when released, and that happens once close() is under way (it has failed
  // the open session): a close() that did not wait would resolve before the work was done.
  await until('close() to fail the open session', () => errors.length > 0);
  release();
  const atClose = await closing;
  t.equal(atClose.work, 2, 'close waited for the work in progress to finish');
  t.same(atClose.exits, [0], 'the thread ended by itself (exit code 0), not terminated (1), before close() resolved');
});

t.test('close() falls back to terminate() for a worker that does not stop in time', async (t) => {
  const { pool, exits, release } = await busyPool();
  t.teardown(release);
  await pool.close(20); // the work is held: it cannot end within the grace period on any machine
  t.same(exits, [1], 'terminated after the grace period');
});
