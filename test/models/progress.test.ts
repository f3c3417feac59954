import t from 'tap';
import { createProgressReporter, formatBytes, formatDuration, progressLine } from '../../models/progress.ts';

function sink(isTTY: boolean) {
  const out = { chunks: [] as string[], isTTY, columns: 120, write(s: string) { out.chunks.push(s); return true; } };
  return out;
}

t.test('formatting', async (t) => {
  t.equal(formatBytes(999), '999 B');
  t.equal(formatBytes(24_110_855), '24.1 MB');
  t.equal(formatBytes(1_047_870_769), '1.05 GB');
  t.equal(formatDuration(7), '0:07');
  t.equal(formatDuration(3725), '1:02:05');
  t.equal(formatDuration(null), '--:--');
  t.equal(progressLine({ type: 'progress', received: 50, total: 200, bytesPerSecond: 2000, etaSeconds: 75 }, 8), '[##......]  25.0%  50 B / 200 B  2.00 KB/s  ETA 1:15');
  t.equal(progressLine({ type: 'progress', received: 5000, total: null, bytesPerSecond: 10, etaSeconds: null }), '5.00 KB  10 B/s');
});

t.test('on a terminal: one line redrawn in place, throttled', async (t) => {
  let now = 0;
  const out = sink(true);
  const report = createProgressReporter(out, { now: () => now, redrawMs: 100 });
  report({ type: 'start', url: 'https://x/a.tar.bz2', total: 1000, resumedFrom: 0 });
  for (let i = 1; i <= 10; i++) { now += 30; report({ type: 'progress', received: i * 100, total: 1000, bytesPerSecond: 3000, etaSeconds: (1000 - i * 100) / 3000 }); }
  report({ type: 'done', path: '/m/a', sha256: 'x' });
  const redraws = out.chunks.filter((c) => c.startsWith('\r'));
  t.ok(redraws.length >= 3 && redraws.length <= 5, `throttled to ~one per 100 ms (${redraws.length})`);
  t.match(redraws.at(-1), /100\.0%/, 'the final state is always drawn');
  t.equal(out.chunks.at(-1), 'installed /m/a\n');
  t.equal(out.chunks.at(-2), '\n', 'the bar line is ended before the next message');
});

t.test('in a log: plain lines at each 10%, no carriage returns', async (t) => {
  const out = sink(false);
  const report = createProgressReporter(out, { now: () => 0 });
  report({ type: 'start', url: 'https://x/a.tar.bz2', total: 1000, resumedFrom: 400 });
  for (let r = 400; r <= 1000; r += 25) report({ type: 'progress', received: r, total: 1000, bytesPerSecond: 100, etaSeconds: 1 });
  const text = out.chunks.join('');
  t.notMatch(text, /\r/);
  t.match(text, /^resuming https:\/\/x\/a\.tar\.bz2 from 400 B\n/);
  t.equal(out.chunks.filter((c) => c.startsWith('[')).length, 7, '40%..100%: one line per decile');
});
