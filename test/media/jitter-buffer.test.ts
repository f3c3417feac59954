import t from 'tap';
import { JitterBuffer } from '../../media/jitter-buffer.ts';

const frame = (n: number) => new Int16Array([n]);
const id = (f: Int16Array | null) => (f ? f[0] : null);

t.test('prebuffers to the target, then one frame per pop in order', async (t) => {
  const jb = new JitterBuffer();
  t.equal(jb.targetFrames, 3, 'default target is 3 frames');
  t.equal(jb.pop(), null, 'empty');
  jb.push(frame(1));
  jb.push(frame(2));
  t.equal(jb.pop(), null, 'still prebuffering at 2 frames');
  t.equal(jb.stats.underruns, 0, 'prebuffering is not an underrun');
  jb.push(frame(3));
  t.same([id(jb.pop()), id(jb.pop()), id(jb.pop())], [1, 2, 3]);
  t.equal(jb.depth, 0);
});

t.test('a short last burst is not stranded: it plays once it has waited the target', async (t) => {
  const jb = new JitterBuffer({ targetFrames: 3 });
  jb.push(frame(1));
  t.equal(jb.pop(), null, 'waited 1 tick');
  t.equal(jb.pop(), null, 'waited 2 ticks');
  t.equal(id(jb.pop()), 1, 'after 3 ticks it plays what there is (delay never exceeds the target)');
  t.equal(jb.pop(), null);
  t.equal(jb.stats.underruns, 1);
});

t.test('a burst gap shorter than the target is absorbed', async (t) => {
  const jb = new JitterBuffer({ targetFrames: 3 });
  // Frames arrive in bursts of 3 every 3 ticks (TCP coalescing): output is continuous.
  const out: (number | null)[] = [];
  let n = 0;
  for (let tick = 0; tick < 30; tick++) {
    if (tick % 3 === 0) for (let k = 0; k < 3; k++) jb.push(frame(n++));
    out.push(id(jb.pop()));
  }
  t.same(out, Array.from({ length: 30 }, (_, i) => i), 'no gaps, no reordering');
  t.equal(jb.stats.underruns, 0);
});

t.test('underrun returns null, counts, and prebuffers again', async (t) => {
  const jb = new JitterBuffer({ targetFrames: 2 });
  jb.push(frame(1));
  jb.push(frame(2));
  t.equal(id(jb.pop()), 1);
  t.equal(id(jb.pop()), 2);
  t.equal(jb.pop(), null);
  t.equal(jb.stats.underruns, 1);
  t.equal(jb.stats.playing, false);
  jb.push(frame(3));
  t.equal(jb.pop(), null, 'prebuffers again');
  t.equal(jb.stats.underruns, 1, 'waiting is not another underrun');
  jb.push(frame(4));
  t.equal(id(jb.pop()), 3);
});

t.test('overrun drops the oldest frames and counts them', async (t) => {
  const jb = new JitterBuffer({ targetFrames: 1, maxFrames: 4 });
  for (let i = 1; i <= 10; i++) jb.push(frame(i));
  t.equal(jb.depth, 4);
  t.equal(jb.stats.overrunDrops, 6);
  t.same([id(jb.pop()), id(jb.pop()), id(jb.pop()), id(jb.pop())], [7, 8, 9, 10], 'the newest audio is kept');
  t.equal(jb.stats.maxDepth, 4);
});

t.test('clear drops everything and returns the count', async (t) => {
  const jb = new JitterBuffer({ targetFrames: 1, maxFrames: 8 });
  for (let i = 0; i < 5; i++) jb.push(frame(i));
  jb.pop();
  t.equal(jb.clear(), 4);
  t.equal(jb.depth, 0);
  t.equal(jb.stats.cleared, 4);
  t.equal(jb.pop(), null);
  jb.push(frame(42));
  t.equal(id(jb.pop()), 42, 'usable after clear (ring indices reset)');
});

t.test('target 0 hands frames out as soon as they arrive', async (t) => {
  const jb = new JitterBuffer({ targetFrames: 0 });
  t.equal(jb.pop(), null);
  jb.push(frame(1));
  t.equal(id(jb.pop()), 1);
});

t.test('adaptive target grows on underruns and shrinks after a clean run', async (t) => {
  const jb = new JitterBuffer({ targetFrames: 2, adaptive: true, maxTargetFrames: 4, shrinkAfterFrames: 10 });
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < jb.targetFrames; i++) jb.push(frame(i));
    while (jb.pop() !== null);
  }
  t.equal(jb.targetFrames, 4, 'raised to the ceiling, one frame per underrun');
  t.equal(jb.stats.underruns, 5);
  for (let i = 0; i < 40; i++) {
    jb.push(frame(i));
    if (i >= 4) jb.pop();
  }
  t.equal(jb.targetFrames, 2, 'lowered back to the configured floor after clean runs');
});

t.test('options are validated', async (t) => {
  t.throws(() => new JitterBuffer({ maxFrames: 0 }), RangeError);
  t.throws(() => new JitterBuffer({ targetFrames: 5, maxFrames: 4 }), RangeError);
});
