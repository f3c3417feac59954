import t from 'tap';
import { FrameQueue } from '../../media/frame-queue.ts';

const ramp = (from: number, n: number) => Int16Array.from({ length: n }, (_, i) => from + i);

t.test('re-frames odd-sized pushes into exact frames, in order', async (t) => {
  const q = new FrameQueue(320);
  const sizes = [1, 100, 441, 7, 999, 320, 2];
  let next = 0;
  for (const n of sizes) {
    q.push(ramp(next, n));
    next += n;
  }
  const total = sizes.reduce((a, b) => a + b, 0); // 1870
  t.equal(q.length, Math.floor(total / 320));
  t.equal(q.partialSamples, total % 320);
  t.equal(q.bufferedSamples, total);
  const out: number[] = [];
  for (let f = q.pop(); f; f = q.pop()) {
    t.equal(f.length, 320);
    out.push(...f);
  }
  t.same(out, Array.from(ramp(0, Math.floor(total / 320) * 320)), 'samples come out in order, none lost');
  t.equal(q.pop(), null);
});

t.test('pushes are copied', async (t) => {
  const q = new FrameQueue(4);
  const src = new Int16Array([1, 2, 3, 4]);
  q.push(src);
  src.fill(9);
  t.same(Array.from(q.pop()!), [1, 2, 3, 4]);
});

t.test('flushPartial pads the tail with silence', async (t) => {
  const q = new FrameQueue(320);
  q.push(ramp(1, 330));
  t.equal(q.flushPartial(), 310, '310 samples of padding');
  t.equal(q.flushPartial(), 0, 'nothing left to pad');
  q.pop();
  const last = q.pop()!;
  t.equal(last.length, 320);
  t.same(Array.from(last.subarray(0, 10)), Array.from(ramp(321, 10)));
  t.ok(last.subarray(10).every((s) => s === 0), 'the rest is silence');
});

t.test('clear drops complete frames and the tail, and reports the samples', async (t) => {
  const q = new FrameQueue(320);
  q.push(ramp(1, 1000));
  t.equal(q.clear(), 1000);
  t.equal(q.length, 0);
  t.equal(q.bufferedSamples, 0);
  q.push(ramp(5, 3));
  t.equal(q.flushPartial(), 317);
  t.same(Array.from(q.pop()!.subarray(0, 4)), [5, 6, 7, 0], 'no stale samples from before clear');
});

t.test('long runs stay consistent across internal compaction', async (t) => {
  const q = new FrameQueue(10);
  let pushed = 0;
  let popped = 0;
  let ok = true;
  for (let i = 0; i < 2000; i++) {
    q.push(ramp(pushed, 13));
    pushed += 13;
    const f = q.pop();
    if (f) {
      if (f[0] !== popped) ok = false;
      popped += 10;
    }
  }
  while (q.pop()) popped += 10;
  t.ok(ok, 'frames are contiguous');
  t.equal(popped + q.partialSamples, pushed);
  t.throws(() => new FrameQueue(0), RangeError);
});
