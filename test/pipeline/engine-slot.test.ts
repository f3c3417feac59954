/**
 * The engine slot: a call keeps the engine it leased whatever replaces it; a replaced engine is
 * closed when its last call gives it back (at once when none holds it), exactly once; shutdown
 * closes everything.
 */
import t from 'tap';
import { EngineSlot } from '../../pipeline/engines/engine-slot.ts';

class Engine {
  closes = 0;
  constructor(readonly name: string) {}
  async close(): Promise<void> {
    this.closes++;
  }
}

t.test('new calls get the replacement, calls in progress keep theirs, the old one closes with its last call', async (t) => {
  const a = new Engine('a');
  const b = new Engine('b');
  const slot = new EngineSlot<Engine>(a);
  const first = slot.lease();
  const second = slot.lease();
  t.equal(first.engine, a);
  t.equal(slot.calls, 2);

  let closed = false;
  const replaced = slot.replace(b).then(() => (closed = true));
  t.equal(slot.engine, b, 'new calls get b');
  const third = slot.lease();
  t.equal(third.engine, b);
  t.equal(slot.calls, 1, 'one call on b');
  t.same(slot.draining().map((d) => [d.engine.name, d.calls]), [['a', 2]], 'a still serves two calls');

  first.release();
  first.release(); // a second release of the same lease counts once
  await Promise.resolve();
  t.equal(a.closes, 0, 'not closed while a call holds it');
  t.same(slot.draining().map((d) => d.calls), [1]);
  second.release();
  await replaced;
  t.ok(closed);
  t.equal(a.closes, 1, 'closed once its last call ended');
  t.same(slot.draining(), []);
  t.equal(b.closes, 0);
  third.release();
  t.equal(b.closes, 0, 'the current engine stays open without calls');
});

t.test('an engine no call holds is closed at once; shutdown closes the current and the draining ones once each', async (t) => {
  const a = new Engine('a');
  const b = new Engine('b');
  const c = new Engine('c');
  const slot = new EngineSlot<Engine>(a);
  await slot.replace(b);
  t.equal(a.closes, 1, 'no call held a');
  const held = slot.lease();
  void slot.replace(c);
  await slot.close();
  t.equal(b.closes, 1, 'draining b closed at shutdown');
  t.equal(c.closes, 1, 'current c closed at shutdown');
  held.release();
  await Promise.resolve();
  t.equal(b.closes, 1, 'a release after shutdown does not close it again');
  t.throws(() => slot.lease(), /closed/);
});

t.test('work that is not a call holds a replaced engine open without counting as a call', async (t) => {
  const a = new Engine('a');
  const slot = new EngineSlot<Engine>(a);
  const warming = slot.lease({ call: false });
  t.equal(slot.calls, 0);
  const replaced = slot.replace(new Engine('b'));
  t.same(slot.draining().map((d) => [d.engine.name, d.calls]), [['a', 0]], 'held, by no call');
  await Promise.resolve();
  t.equal(a.closes, 0, 'not closed under the work that holds it');
  warming.release();
  await replaced;
  t.equal(a.closes, 1);
});

t.test('a close that fails is reported, and the slot goes on', async (t) => {
  const bad = { name: 'bad', close: async () => Promise.reject(new Error('boom')) };
  const errors: string[] = [];
  const slot = new EngineSlot<{ name: string; close(): Promise<void> }>(bad, (err, e) => errors.push(`${e.name}: ${(err as Error).message}`));
  await slot.replace(new Engine('next'));
  t.same(errors, ['bad: boom']);
  t.equal(slot.engine.name, 'next');
});
