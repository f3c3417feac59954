/**
 * sherpa-onnx OfflineRecognizer for real, on a tiny NeMo CTC graph generated at test time
 * (test/fixtures/make-tiny-models.py): each letter a..h of its tokens.txt stands for a band of
 * mel bins, so a 440 Hz tone then a 2 kHz tone decode to "be", and silence to "".
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';

import { SherpaOfflineStt } from '../../pipeline/engines/stt-sherpa-offline.ts';
import { sherpa, int16ToFloat32 } from '../../pipeline/engines/sherpa-onnx.ts';
import { makeTinyModels, toneSequence, withLoopLag } from '../fixtures/tiny-models.ts';

const models = makeTinyModels();
t.teardown(models.cleanup);
const skip = { skip: models.skip };
const modelDir = path.join(models.dir, 'nemo-ctc');
const speech = toneSequence([[0, 0.5], [440, 0.5], [0, 0.25], [2000, 0.5], [0, 0.5]]);

t.test('NeMo CTC: a batch transcribe returns tokens from tokens.txt', skip, async (t) => {
  const stt = new SherpaOfflineStt({ modelDir, engine: 'nemo-ctc' });
  t.teardown(() => stt.close());
  t.equal(stt.name, 'sherpa-offline-nemo-ctc');
  t.equal(stt.streaming, false);
  const r = await stt.transcribe(speech);
  t.equal(r.text, 'be', 'the two tones, in order');
  t.ok(typeof r.latencyMs === 'number');
  t.equal((await stt.transcribe(toneSequence([[0, 1]]))).text, '', 'silence decodes to nothing');
  t.equal((await stt.transcribe(new Int16Array(100))).text, '', 'a click is not decoded');
  t.ok(stt.health().ok);
});

t.test('the type is guessed from the directory when not given', skip, async (t) => {
  const stt = new SherpaOfflineStt({ modelDir });
  t.teardown(() => stt.close());
  t.equal(stt.model.type, 'nemo-ctc');
  t.equal((await stt.transcribe(speech)).text, 'be');
});

t.test('a stream buffers the utterance and decodes it on finish; cancel drops it', skip, async (t) => {
  const stt = new SherpaOfflineStt({ modelDir, engine: 'nemo-ctc' });
  t.teardown(() => stt.close());
  const s = stt.createStream();
  for (let i = 0; i < speech.length; i += 320) s.accept(speech.subarray(i, i + 320));
  t.equal((await s.finish()).text, 'be');
  await t.rejects(s.finish(), /already finished/);
  const c = stt.createStream();
  c.accept(speech);
  c.cancel();
  await t.rejects(c.finish(), /already finished or cancelled/);
});

t.test('decoding runs off the event loop', skip, async (t) => {
  const stt = new SherpaOfflineStt({ modelDir, engine: 'nemo-ctc', poolSize: 2 });
  t.teardown(() => stt.close());
  await stt.warm();
  const long = toneSequence(Array.from({ length: 60 }, (_, i): [number, number] => [i % 2 ? 0 : 440 + 200 * (i % 7), 0.5]));
  // The same decode done synchronously, for scale: what the loop would lose if it ran there.
  const sync = await loadSync(modelDir);
  const t0 = performance.now();
  sync();
  const syncMs = performance.now() - t0;
  const started = performance.now();
  const { result, maxLagMs, ticks } = await withLoopLag(() => Promise.all(Array.from({ length: 8 }, () => stt.transcribe(long))));
  const took = performance.now() - started;
  t.ok(result.every((r) => r.text.length > 5), 'each decode returned text');
  t.comment(`8 x 30 s decoded in ${took.toFixed(0)} ms (one decode on the calling thread blocks it ${syncMs.toFixed(0)} ms); worst loop lag ${maxLagMs.toFixed(1)} ms over ${ticks} ticks`);
  t.ok(ticks > 5, 'the timer kept firing during the decodes');
  t.ok(maxLagMs < 20, 'the loop stayed responsive');
});

/** A synchronous decode of 30 s on the calling thread, for comparison. */
async function loadSync(dir: string): Promise<() => void> {
  const r = new (sherpa().OfflineRecognizer)({
    featConfig: { sampleRate: 16000, featureDim: 80 },
    modelConfig: { nemoCtc: { model: path.join(dir, 'model.onnx') }, tokens: path.join(dir, 'tokens.txt'), numThreads: 1, debug: 0 },
  });
  const audio = int16ToFloat32(toneSequence(Array.from({ length: 60 }, (_, i): [number, number] => [i % 2 ? 0 : 440, 0.5])));
  return () => {
    const s = r.createStream();
    s.acceptWaveform({ samples: audio, sampleRate: 16000 });
    r.decode(s);
  };
}

t.test('clear errors for a missing or broken model directory', skip, async (t) => {
  t.throws(() => new SherpaOfflineStt({ modelDir: path.join(models.dir, 'nope') }), { name: 'ModelDirError', message: /does not exist/ });
  t.throws(() => new SherpaOfflineStt({ modelDir: '' }), /no model directory configured/);
  const bad = path.join(models.dir, 'bad-nemo');
  mkdirSync(bad);
  t.throws(() => new SherpaOfflineStt({ modelDir: bad, engine: 'nemo-ctc' }), /no model file for a nemo-ctc model \(files there: none\)/);
  copyFileSync(path.join(modelDir, 'model.onnx'), path.join(bad, 'model.onnx'));
  t.throws(() => new SherpaOfflineStt({ modelDir: bad, engine: 'nemo-ctc' }), /no tokens file/);
  writeFileSync(path.join(bad, 'tokens.txt'), 'a 0\nb 1\n');
  t.throws(() => new SherpaOfflineStt({ modelDir: bad, engine: 'nemo-ctc' }), /no <blk>, <eps> or <blank> symbol/);
  writeFileSync(path.join(bad, 'tokens.txt'), '<blk> 0\nthis line is wrong\n');
  t.throws(() => new SherpaOfflineStt({ modelDir: bad, engine: 'nemo-ctc' }), /line 2 is not/);
  copyFileSync(path.join(modelDir, 'tokens.txt'), path.join(bad, 'tokens.txt'));
  writeFileSync(path.join(bad, 'model.onnx'), '<html>404 Not Found</html>');
  t.throws(() => new SherpaOfflineStt({ modelDir: bad, engine: 'nemo-ctc' }), /model.onnx is not an ONNX model/);
  writeFileSync(path.join(bad, 'model.onnx'), '');
  t.throws(() => new SherpaOfflineStt({ modelDir: bad, engine: 'nemo-ctc' }), /model.onnx is empty/);
  t.throws(() => new SherpaOfflineStt({ modelDir, engine: 'vits' }), /a vits model cannot serve stt-offline/);
  t.throws(() => new SherpaOfflineStt({ modelDir, engine: { type: 'whisper', files: { encoder: 'enc.onnx', decoder: 'dec.onnx', tokens: 'tokens.txt' } } }), /enc.onnx \(encoder\) is missing/);
});
