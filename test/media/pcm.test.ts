import t from 'tap';
import {
  DBFS_FLOOR,
  FRAME_MS,
  SAMPLE_RATES,
  bytesFromInt16,
  clampToInt16,
  concatInt16,
  int16FromBytes,
  isSampleRate,
  levels,
  peakDbfs,
  rms,
  rmsDbfs,
  samplesPerFrame,
} from '../../media/pcm.ts';
import { sineDbfs } from './signals.ts';

t.test('frame sizes for every supported rate', async (t) => {
  t.equal(FRAME_MS, 20);
  t.same(
    SAMPLE_RATES.map((r) => samplesPerFrame(r)),
    [160, 320, 441, 480, 960],
  );
  t.equal(samplesPerFrame(16000, 10), 160);
  t.throws(() => samplesPerFrame(22050, 10), RangeError, '110.25 samples is not a frame');
  t.ok(isSampleRate(22050));
  t.notOk(isSampleRate(44100));
  t.notOk(isSampleRate('8000'));
});

t.test('int16FromBytes copies little-endian samples from any byte offset', async (t) => {
  const samples = [0, 1, -1, 32767, -32768, 0x1234];
  const bytes = new Uint8Array([0, 0, 1, 0, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x80, 0x34, 0x12]);
  t.same(Array.from(int16FromBytes(bytes)), samples);

  // Odd offset inside a larger buffer: an Int16Array view would throw here.
  const backing = new Uint8Array(bytes.length + 1);
  backing.set(bytes, 1);
  const odd = backing.subarray(1);
  t.equal(odd.byteOffset % 2, 1);
  const decoded = int16FromBytes(odd);
  t.same(Array.from(decoded), samples);
  t.not(decoded.buffer, backing.buffer, 'the result owns its memory');
  backing[1] = 99;
  t.equal(decoded[0], 0, 'later writes to the source do not leak in');

  t.throws(() => int16FromBytes(new Uint8Array(3)), RangeError);
  t.equal(int16FromBytes(new Uint8Array(0)).length, 0);
});

t.test('bytesFromInt16 is a little-endian view unless asked to copy', async (t) => {
  const pcm = new Int16Array([0x0102, -2]);
  const view = bytesFromInt16(pcm);
  t.same(Array.from(view), [0x02, 0x01, 0xfe, 0xff]);
  pcm[0] = 0;
  t.equal(view[0], 0, 'a view sees later writes');
  const copy = bytesFromInt16(pcm, true);
  pcm[1] = 0;
  t.same(Array.from(copy), [0, 0, 0xfe, 0xff], 'a copy does not');
  t.same(Array.from(int16FromBytes(bytesFromInt16(new Int16Array([5, -5])))), [5, -5]);
});

t.test('concat and clamp', async (t) => {
  t.same(Array.from(concatInt16([new Int16Array([1, 2]), new Int16Array(0), new Int16Array([3])])), [1, 2, 3]);
  t.equal(clampToInt16(40000), 32767);
  t.equal(clampToInt16(-40000), -32768);
  t.equal(clampToInt16(1.5), 2);
  t.equal(clampToInt16(-1.5), -1, 'round half up, like the DSP kernels');
});

t.test('level meter in dBFS', async (t) => {
  const square = new Int16Array(1000).map((_, i) => (i % 2 ? 32767 : -32768));
  t.ok(Math.abs(rmsDbfs(square)) < 0.001, 'full-scale square is 0 dBFS RMS');
  const sine = sineDbfs(8000, 1000, 8000, -10);
  t.ok(Math.abs(peakDbfs(sine) - -10) < 0.01, `peak of a -10 dBFS sine (${peakDbfs(sine)})`);
  t.ok(Math.abs(rmsDbfs(sine) - (-10 - 3.0103)) < 0.01, 'a sine is 3.01 dB lower in RMS than in peak');
  const l = levels(sine);
  t.equal(l.peakDbfs, peakDbfs(sine));
  t.equal(l.rmsDbfs, rmsDbfs(sine));
  t.equal(rms(new Int16Array(0)), 0);
  t.equal(levels(new Int16Array(160)).rmsDbfs, DBFS_FLOOR, 'silence reads the floor, not -Infinity');
  t.equal(peakDbfs(new Int16Array([-32768])), 0);
});
