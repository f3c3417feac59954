import t from 'tap';
import { MediaClock, sharedMediaClock, type MediaClockOptions } from '../../media/media-clock.ts';
import { until } from '../helpers/until.ts';

/** Manual time: timers fire only when the test moves time forward, like an event loop that may stall. */
class FakeTime {
  now = 1000;
  timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  setTimer = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ at: this.now + Math.max(1, ms), fn, id });
    return id;
  };
  clearTimer = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  /** Let time pass with a responsive loop: every timer fires at its time (plus `lateMs`). */
  run(ms: number, lateMs = 0): void {
    const end = this.now + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at + lateMs > end) break;
      this.timers.shift();
      this.now = Math.max(this.now, next.at + lateMs);
      next.fn();
    }
    this.now = end;
  }
  /** The loop is blocked: time passes, nothing fires. */
  block(ms: number): void {
    this.now += ms;
  }
  options(extra: MediaClockOptions = {}): MediaClockOptions {
    return { now: () => this.now, setTimer: this.setTimer, clearTimer: this.clearTimer, ...extra };
  }
}

t.test('ticks on an absolute 20 ms grid: late timers do not accumulate drift', async (t) => {
  const time = new FakeTime();
  const clock = new MediaClock(time.options());
  const ticks: number[] = [];
  const at: number[] = [];
  const off = clock.subscribe((n) => {
    ticks.push(n);
    at.push(time.now);
  });
  // Every timer fires 3 ms late; a relative scheduler would drift 3 ms per tick (1.5 s over 10 s).
  time.run(10_005, 3);
  t.equal(ticks.length, 500, '10 s = 500 ticks');
  t.same(ticks.slice(0, 3), [0, 1, 2]);
  t.ok(at.every((x, i) => x - (1000 + 20 * (i + 1)) <= 3 + 1e-9), 'each tick within its lateness of the grid');
  t.equal(clock.stats.lateTicks, 0, '3 ms is not late (threshold 10 ms)');
  t.equal(clock.stats.maxLatenessMs, 3);
  off();
});

t.test('a stall is caught up tick by tick, up to the bound', async (t) => {
  const time = new FakeTime();
  const clock = new MediaClock(time.options());
  const ticks: number[] = [];
  clock.subscribe((n) => ticks.push(n));
  time.run(100); // ticks 0..4
  t.equal(ticks.length, 5);
  time.block(100); // 5 deadlines pass while blocked
  time.run(1);
  t.same(ticks.slice(5), [5, 6, 7, 8, 9], 'the 5 missed ticks run back to back');
  t.equal(clock.stats.catchUpTicks, 4);
  t.equal(clock.stats.skippedTicks, 0);
  t.ok(clock.stats.lateTicks >= 4, 'the replayed ticks count as late');
  time.run(1000);
  t.equal(ticks.length, 60, 'back on the grid: 1.2 s = 60 ticks');
});

t.test('a stall longer than the bound skips the oldest ticks and resyncs', async (t) => {
  const time = new FakeTime();
  const clock = new MediaClock(time.options({ maxCatchUpTicks: 5 }));
  const ticks: number[] = [];
  clock.subscribe((n) => ticks.push(n));
  time.run(20); // tick 0 at t+20
  time.block(500); // 25 deadlines missed
  time.run(1);
  t.equal(clock.stats.skippedTicks, 25 - 6);
  t.same(ticks, [0, 20, 21, 22, 23, 24, 25], 'the newest 6 run; tick numbers keep audio time');
  time.run(19);
  t.same(ticks.slice(7), [26], 'next tick on the original grid');
  t.equal(clock.stats.maxLatenessMs, 480, 'deadline 1040, woke at 1520');
});

t.test('stops when nobody listens, restarts on the next subscriber', async (t) => {
  const time = new FakeTime();
  const clock = new MediaClock(time.options());
  t.equal(clock.running, false);
  const a: number[] = [];
  const b: number[] = [];
  const offA = clock.subscribe((n) => a.push(n));
  const offB = clock.subscribe((n) => b.push(n));
  t.equal(clock.running, true);
  time.run(40);
  offA();
  time.run(40);
  t.same([a.length, b.length], [2, 4], 'one clock steps every subscriber');
  offB();
  offB(); // idempotent
  t.equal(clock.running, false);
  t.equal(time.timers.length, 0, 'no timer left behind');
  time.run(1000);
  t.equal(b.length, 4);
  const c: number[] = [];
  clock.subscribe((n) => c.push(n));
  time.run(20);
  t.same(c, [4], 'tick numbers never repeat across a restart');
  t.equal(clock.stats.subscribers, 1);
});

t.test('subscribers can leave during a tick; a throwing subscriber does not stop the others', async (t) => {
  const time = new FakeTime();
  const errors: unknown[] = [];
  const clock = new MediaClock(time.options({ onError: (e) => errors.push(e) }));
  const seen: string[] = [];
  let offB: () => void = () => {};
  clock.subscribe(() => {
    seen.push('a');
    offB(); // removes b before it runs in this tick
  });
  offB = clock.subscribe(() => seen.push('b'));
  clock.subscribe(() => {
    throw new Error('boom');
  });
  const offD = clock.subscribe(() => seen.push('d'));
  time.run(40);
  t.same(seen, ['a', 'd', 'a', 'd']);
  t.equal(errors.length, 2);
  t.equal(clock.stats.errors, 2);
  offD();
});

t.test('real timers: ticks on absolute 20 ms deadlines, never early; a 100 ms block is caught up back to back', async (t) => {
  // The only test here that uses the real event loop, so it asserts nothing a loaded machine can
  // change: a tick never runs before its deadline; the ticks that fell due during the block run in
  // the first wake after it, in one go; none is skipped (the catch-up allowance covers a stalled
  // machine too). How late ticks run is a figure for the benches.
  const clock = new MediaClock({ maxCatchUpTicks: 100 });
  const start = performance.now();
  const at: number[] = [];
  // Ticks delivered in one synchronous run share a wake number (a microtask ends the run).
  const wakes: number[] = [];
  let wake = 0;
  let counting = false;
  const off = clock.subscribe(() => {
    at.push(performance.now());
    wakes.push(wake);
    if (!counting) {
      counting = true;
      queueMicrotask(() => {
        wake++;
        counting = false;
      });
    }
    if (at.length === 25) {
      const end = performance.now() + 100;
      while (performance.now() < end); // the deliberate busy block of the event loop under test
    }
  });
  await until('50 ticks', () => at.length >= 50);
  off();
  t.ok(at.every((x, i) => x >= start + (i + 1) * 20 - 1), 'no tick before its deadline (start + n x 20 ms)');
  // The block runs inside the wake that delivered tick 24 (the 25th); the wake after it is the one
  // under test. Not "the wake of tick 25": a late timer can deliver 24 and 25 in the blocked wake.
  const afterBlock = wakes.filter((w) => w === wakes[24] + 1).length;
  t.ok(afterBlock >= 5, `${afterBlock} ticks delivered together in the first wake after the 100 ms block`);
  t.ok(clock.stats.catchUpTicks >= 4, `stats count ${clock.stats.catchUpTicks} catch-up ticks`);
  t.equal(clock.stats.skippedTicks, 0, 'nothing skipped');
  t.comment(`latest tick ${clock.stats.maxLatenessMs.toFixed(1)} ms after its deadline`);
  t.equal(clock.running, false, 'stopped after the last unsubscribe');
});

t.test('the shared clock is one instance, idle until used', async (t) => {
  const again = (await import('../../media/media-clock.ts')).sharedMediaClock;
  t.equal(again, sharedMediaClock);
  t.equal(sharedMediaClock.intervalMs, 20);
  t.equal(sharedMediaClock.running, false);
});
