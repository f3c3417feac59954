/**
 * The native addon against its TypeScript twin. If native-addons/build exists the addon must load
 * (a broken build is a failure, not a skip); if it was never built the comparison is skipped with
 * the loader's reason, visibly.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { NATIVE_BUILD_DIR, loadNativeDsp } from '../../native-addons/index.ts';
import { designResampler } from '../../media/resampler-design.ts';
import { TsResampleKernel } from '../../media/resampler-kernel-ts.ts';
import { SAMPLE_RATES, samplesPerFrame } from '../../media/pcm.ts';
import { noise, sine } from '../media/signals.ts';

const { dsp, reason } = loadNativeDsp({ ignoreEnv: true });
const built = existsSync(NATIVE_BUILD_DIR);

t.test('the addon loads when it has been built', { skip: built ? false : `native-addons/build does not exist: ${reason}` }, async (t) => {
  t.ok(dsp, `addon loads (${reason ?? 'ok'})`);
});

t.test('VOICE_GATEWAY_NATIVE=0 disables the addon with a reason', async (t) => {
  const saved = process.env.VOICE_GATEWAY_NATIVE;
  process.env.VOICE_GATEWAY_NATIVE = '0';
  try {
    const r = loadNativeDsp();
    t.equal(r.dsp, null);
    t.match(r.reason, /VOICE_GATEWAY_NATIVE=0/);
  } finally {
    if (saved === undefined) delete process.env.VOICE_GATEWAY_NATIVE;
    else process.env.VOICE_GATEWAY_NATIVE = saved;
  }
});

t.test('native and TS kernels agree sample for sample on every rate pair', { skip: dsp ? false : `addon unavailable: ${reason}` }, async (t) => {
  for (const from of SAMPLE_RATES) {
    for (const to of SAMPLE_RATES) {
      if (from === to) continue;
      const d = designResampler(from, to);
      const native = dsp!.createResampler(new dsp!.Filter(d.table, d.taps, d.up, d.down, d.advance, d.nextPhase));
      const twin = new TsResampleKernel(d);
      // Random frames, a loud tone (saturation), odd-sized chunks, then a reset and more.
      const frame = samplesPerFrame(from);
      const inputs = [
        ...Array.from({ length: 10 }, (_, i) => noise(frame, 32767, from * 7 + to + i)),
        sine(from, 1234, 3 * frame, 32767),
        noise(1, 20000, 1),
        noise(5013, 30000, 2), // longer than the kernels' 4096-sample inner chunk
        sine(from, 300, 777, 9000),
      ];
      let mismatches = 0;
      let samples = 0;
      const run = () => {
        for (const x of inputs) {
          const n = twin.outputCount(x.length);
          const a = new Int16Array(n);
          const b = new Int16Array(n);
          const wa = twin.process(x, a);
          const wb = native.process(x, b);
          if (wa !== n || wb !== n) mismatches++;
          for (let i = 0; i < n; i++) if (a[i] !== b[i]) mismatches++;
          samples += n;
        }
      };
      run();
      native.reset();
      twin.reset();
      run();
      t.equal(mismatches, 0, `${from} -> ${to}: ${samples} samples identical`);
    }
  }
});

t.test('the addon validates its arguments instead of crashing', { skip: dsp ? false : `addon unavailable: ${reason}` }, async (t) => {
  const d = designResampler(8000, 16000);
  const { Filter, createResampler } = dsp!;
  t.throws(() => new Filter(d.table, 60, d.up, d.down, d.advance, d.nextPhase), RangeError, 'taps not a multiple of 8');
  t.throws(() => new Filter(d.table.subarray(1), d.taps, d.up, d.down, d.advance, d.nextPhase), RangeError, 'short table');
  t.throws(() => new Filter(new Float32Array(d.table) as unknown as Int16Array, d.taps, d.up, d.down, d.advance, d.nextPhase), TypeError, 'wrong array type');
  // Full-scale coefficients of one sign: a loud input would overflow the int32 sum.
  const loud = new Int16Array(d.table.length).fill(-32768);
  t.throws(() => new Filter(loud, d.taps, d.up, d.down, d.advance, d.nextPhase), RangeError, 'a table whose sums could overflow');
  t.throws(() => new TsResampleKernel({ ...d, table: loud }), RangeError, 'the TS twin refuses it too');
  const bad = Int32Array.from(d.advance);
  bad[0] = 1 << 20;
  t.throws(() => new Filter(d.table, d.taps, d.up, d.down, bad, d.nextPhase), RangeError, 'advance out of range');
  t.throws(() => createResampler({} as never), TypeError, 'a stream needs a Filter');
  const filter = new Filter(d.table, d.taps, d.up, d.down, d.advance, d.nextPhase);
  const r = createResampler(filter);
  t.throws(() => createResampler(r as never), TypeError, 'not just any object');
  t.throws(() => r.process(new Int16Array(160), new Int16Array(319)), RangeError, 'output too small');
  t.throws(() => r.process(new Float32Array(160) as unknown as Int16Array, new Int16Array(320)), TypeError);
  const shared = new Int16Array(1000);
  t.throws(() => r.process(shared.subarray(0, 160), shared.subarray(0, 320)), RangeError, 'overlap');
  t.equal(r.process(new Int16Array(160), new Int16Array(320)), 320, 'still usable after refused calls');
});

t.test('streams made from one filter keep separate state', { skip: dsp ? false : `addon unavailable: ${reason}` }, async (t) => {
  const d = designResampler(16000, 8000);
  const filter = new dsp!.Filter(d.table, d.taps, d.up, d.down, d.advance, d.nextPhase);
  const a = dsp!.createResampler(filter);
  const b = dsp!.createResampler(filter);
  const x = noise(320, 20000, 3);
  const y = noise(320, 20000, 4);
  const outA = new Int16Array(160);
  const outB = new Int16Array(160);
  a.process(x, outA);
  b.process(y, outB);
  const twinA = new Int16Array(160);
  new TsResampleKernel(d).process(x, twinA);
  t.same(outA, twinA, 'b did not disturb a');
});

t.test('createResampler picks the addon by default when it loaded', { skip: dsp ? false : `addon unavailable: ${reason}` }, async (t) => {
  const { createResampler, dspImplementation } = await import('../../media/resampler.ts');
  const expected = process.env.VOICE_GATEWAY_NATIVE === '0' ? 'ts' : 'native';
  t.equal(dspImplementation(), expected);
  t.equal(createResampler(8000, 16000).impl, expected);
  t.equal(createResampler(8000, 16000, { impl: 'ts' }).impl, 'ts');
  if (expected === 'native') {
    const x = noise(16000, 20000, 11);
    t.same(createResampler(16000, 8000).process(x), createResampler(16000, 8000, { impl: 'ts' }).process(x), 'same samples through the public API');
  }
});

t.test("a stream's functions keep its kernel alive on their own", { skip: dsp ? false : `addon unavailable: ${reason}` }, async (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const d = designResampler(8000, 16000);
  const filter = new dsp!.Filter(d.table, d.taps, d.up, d.down, d.advance, d.nextPhase);
  // Only `process` survives; the object it came with (and its other functions) become garbage.
  const process = (() => dsp!.createResampler(filter).process)();
  for (let i = 0; i < 3; i++) gc();
  const x = noise(160, 20000, 5);
  const out = new Int16Array(320);
  const twin = new Int16Array(320);
  t.equal(process(x, out), 320);
  new TsResampleKernel(d).process(x, twin);
  t.same(out, twin, 'the kernel is intact after the collections');
});
