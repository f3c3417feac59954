import t from 'tap';
import { createResampler, type Resampler } from '../../media/resampler.ts';
import { COEFFICIENT_SHIFT, MAX_ABS_COEFFICIENT_SUM, designResampler } from '../../media/resampler-design.ts';
import { SAMPLE_RATES, concatInt16, samplesPerFrame } from '../../media/pcm.ts';
import { db, noise, rmsOf, sine, toneAmplitude } from './signals.ts';

// The TS twin is tested here; native-addons tests prove the addon matches it sample for sample.
const ts = (from: number, to: number): Resampler => createResampler(from, to, { impl: 'ts' });

/** Run a steady tone through and return the output after the filter has settled (skip 30 ms). */
function steadyOutput(from: number, to: number, x: Int16Array): Int16Array {
  const y = ts(from, to).process(x);
  return y.subarray(Math.round(to * 0.03));
}

t.test('design: the reduced ratio, lane-aligned taps, unity DC gain per phase, no overflow', async (t) => {
  const cases: [number, number, number, number][] = [
    [8000, 16000, 2, 1],
    [16000, 8000, 1, 2],
    [8000, 22050, 441, 160],
    [22050, 16000, 320, 441],
    [48000, 22050, 147, 320],
    [48000, 8000, 1, 6],
  ];
  for (const [from, to, up, down] of cases) {
    const d = designResampler(from, to);
    t.equal(`${d.up}/${d.down}`, `${up}/${down}`, `${from} -> ${to}`);
    t.equal(d.taps % 8, 0);
    t.equal(d.table.length, d.up * d.taps);
    let wrongSums = 0;
    let worstGain = 0;
    for (let p = 0; p < d.up; p++) {
      let s = 0;
      let abs = 0;
      for (let j = 0; j < d.taps; j++) {
        s += d.table[p * d.taps + j];
        abs += Math.abs(d.table[p * d.taps + j]);
      }
      if (s !== 1 << COEFFICIENT_SHIFT) wrongSums++;
      worstGain = Math.max(worstGain, abs);
    }
    t.equal(wrongSums, 0, 'every phase sums to exactly 1.0 in Q14');
    t.ok(worstGain <= MAX_ABS_COEFFICIENT_SUM, `largest sum of |coefficients| ${(worstGain / (1 << COEFFICIENT_SHIFT)).toFixed(2)} leaves the kernels' int32 sums exact`);
    t.ok(d.kaiserBeta > 6 && d.kaiserBeta < 7, 'Kaiser beta in 6..7');
  }
  t.equal(designResampler(8000, 16000), designResampler(8000, 16000), 'designs are cached');
  t.throws(() => createResampler(8000, 0), RangeError);
  t.throws(() => createResampler(44100, 44099), RangeError, 'absurd phase counts are refused');
});

t.test('passband is flat within 0.5 dB (8k -> 16k and back)', async (t) => {
  for (const [from, to] of [
    [8000, 16000],
    [16000, 8000],
    [8000, 48000],
    [22050, 8000],
  ]) {
    for (const f of [300, 1000, 3000, 3400]) {
      const x = sine(from, f, from / 4, 16000);
      const y = steadyOutput(from, to, x);
      const gain = db(toneAmplitude(y, to, f) / 16000);
      t.ok(Math.abs(gain) <= 0.5, `${from} -> ${to}: ${f} Hz gain ${gain.toFixed(3)} dB`);
    }
  }
});

t.test('tones above the target Nyquist are attenuated >= 60 dB', async (t) => {
  const cases: [number, number, number][] = [
    [16000, 8000, 5000],
    [16000, 8000, 6000],
    [16000, 8000, 4100], // just past Nyquist: the stopband starts at 4 kHz, not at 4.6
    [48000, 16000, 10000],
    [48000, 8000, 4500],
    [22050, 16000, 9000],
    [24000, 16000, 8500],
    [48000, 22050, 11200],
  ];
  for (const [from, to, f] of cases) {
    const x = sine(from, f, from / 4, 16000);
    const y = steadyOutput(from, to, x);
    const atten = db(rmsOf(y) / rmsOf(x));
    const shown = rmsOf(y) === 0 ? 'below half an LSB (all zeros)' : `${atten.toFixed(1)} dB`;
    t.ok(atten <= -60, `${from} -> ${to}: ${f} Hz comes out at ${shown}`);
  }
});

t.test('upsampling leaves no images of passband tones', async (t) => {
  for (const [from, to, f] of [
    [8000, 16000, 1000], // image at 7 kHz
    [8000, 16000, 3000], // image at 5 kHz
    [16000, 48000, 6000],
    [8000, 22050, 2000],
  ]) {
    const x = sine(from, f, from / 4, 16000);
    const y = steadyOutput(from, to, x);
    // Whatever is not the tone itself is an image (or rounding noise at about -88 dB).
    const amp = toneAmplitude(y, to, f);
    const residual = Math.sqrt(Math.max(0, rmsOf(y) ** 2 - amp ** 2 / 2));
    const level = db(residual / rmsOf(x));
    t.ok(level <= -60, `${from} -> ${to}: ${f} Hz leaves images at ${level.toFixed(1)} dB`);
  }
});

t.test('20 ms in gives exactly 20 ms out on every call, for every pair', async (t) => {
  for (const from of SAMPLE_RATES) {
    for (const to of SAMPLE_RATES) {
      const r = ts(from, to);
      const inN = samplesPerFrame(from);
      const outN = samplesPerFrame(to);
      const frame = noise(inN, 8000, from + to);
      const sizes = new Set<number>();
      for (let i = 0; i < 60; i++) sizes.add(r.process(frame).length);
      t.same([...sizes], [outN], `${from} -> ${to}: ${inN} in -> ${outN} out, 60 times`);
    }
  }
});

t.test('odd chunk sizes: cumulative output is exactly ceil(N * to / from)', async (t) => {
  for (const [from, to] of [
    [8000, 22050],
    [22050, 16000],
    [48000, 8000],
    [16000, 24000],
  ]) {
    const r = ts(from, to);
    let inTotal = 0;
    let outTotal = 0;
    const chunks = [1, 7, 100, 441, 3, 999, 5000, 2, 160];
    let ok = true;
    for (const n of chunks) {
      const expected = r.outputLength(n);
      const y = r.process(noise(n, 1000, n));
      inTotal += n;
      outTotal += y.length;
      if (y.length !== expected || outTotal !== Math.ceil((inTotal * to) / from)) ok = false;
    }
    t.ok(ok, `${from} -> ${to}: ${outTotal} out for ${inTotal} in`);
  }
});

t.test('streaming in 20 ms chunks equals one-shot processing, bit for bit', async (t) => {
  for (const [from, to] of [
    [8000, 16000],
    [16000, 8000],
    [22050, 16000],
    [16000, 22050],
    [48000, 16000],
    [8000, 48000],
  ]) {
    const x = noise(from, 12000, 3); // one second of noise (exercises every phase)
    const once = ts(from, to).process(x);
    const streamed = ts(from, to);
    const n = samplesPerFrame(from);
    const parts: Int16Array[] = [];
    for (let off = 0; off < x.length; off += n) parts.push(streamed.process(x.subarray(off, off + n)));
    t.same(concatInt16(parts), once, `${from} -> ${to}`);
  }
});

t.test('every supported pair converts a tone with the right level and frequency', async (t) => {
  for (const from of SAMPLE_RATES) {
    for (const to of SAMPLE_RATES) {
      const x = sine(from, 440, from / 5, 12000);
      const y = steadyOutput(from, to, x);
      const gain = db(toneAmplitude(y, to, 440) / 12000);
      t.ok(Math.abs(gain) < 0.1, `${from} -> ${to}: 440 Hz at ${gain.toFixed(3)} dB`);
    }
  }
});

t.test('delay, flush and reset', async (t) => {
  const r = ts(8000, 16000);
  t.equal(r.delaySamples, designResampler(8000, 16000).delayOutputSamples);
  // An impulse comes out centred on the group delay.
  const impulse = new Int16Array(400);
  impulse[100] = 20000;
  const y = concatInt16([r.process(impulse), r.flush()]);
  let argmax = 0;
  for (let i = 1; i < y.length; i++) if (Math.abs(y[i]) > Math.abs(y[argmax])) argmax = i;
  t.ok(Math.abs(argmax - (200 + r.delaySamples)) <= 0.5, `impulse peak at ${argmax}, expected ${200 + r.delaySamples}`);
  t.ok(y.length >= 800 + r.delaySamples, 'flush pushes out the tail');

  // flush() resets: the next stream starts from silence again, identical to a fresh resampler.
  const x = noise(800, 5000, 9);
  t.same(r.process(x), ts(8000, 16000).process(x));
  r.process(noise(123, 5000, 1));
  r.reset();
  t.same(r.process(x), ts(8000, 16000).process(x), 'reset forgets history and phase');
});

t.test('clipping saturates instead of wrapping', async (t) => {
  // A full-scale square wave overshoots (Gibbs) after low-pass filtering.
  const x = new Int16Array(1600).map((_, i) => (Math.floor(i / 20) % 2 ? 32767 : -32768));
  const y = ts(16000, 8000).process(x);
  let max = -Infinity;
  let min = Infinity;
  for (const v of y) {
    max = Math.max(max, v);
    min = Math.min(min, v);
  }
  t.equal(max, 32767);
  t.equal(min, -32768);
  // No sign flips from wrap-around in the steady part: every sample keeps the square's polarity
  // away from the edges.
  t.ok(Math.abs(y[205]) > 30000);
});

t.test('caller-provided output buffers', async (t) => {
  const r = ts(8000, 16000);
  const x = noise(160, 3000, 5);
  const out = new Int16Array(400);
  const y = r.process(x, out);
  t.equal(y.buffer, out.buffer);
  t.equal(y.length, 320);
  t.same(y, ts(8000, 16000).process(x));
  t.throws(() => r.process(x, new Int16Array(10)), RangeError);
  const shared = new Int16Array(1000);
  t.throws(() => r.process(shared.subarray(0, 160), shared.subarray(100)), RangeError, 'overlap is refused');
});

t.test('equal rates pass through untouched', async (t) => {
  const r = ts(16000, 16000);
  const x = noise(320, 20000, 2);
  const y = r.process(x);
  t.same(y, x);
  t.not(y, x, 'a copy, not the caller\'s array');
  t.equal(r.delaySamples, 0);
  t.equal(r.flush().length, 0);
});

t.test('resampleClip: a whole clip, flushed, at the new rate; equal rates pass through', async (t) => {
  const { resampleClip } = await import('../../media/resampler.ts');
  const clip = Int16Array.from({ length: 8000 }, (_, i) => Math.round(10000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
  const up = resampleClip(clip, 8000, 16000);
  // flush() adds the filter's delay tail (a few ms) after the last input sample.
  t.ok(up.length >= 16000 && up.length <= 16000 + 128, `1 s at 8 kHz becomes 1 s plus the filter tail at 16 kHz (${up.length} samples)`);
  t.equal(resampleClip(clip, 8000, 8000), clip, 'same rate: the same array');
});
