/**
 * sherpa-onnx OnlineRecognizer for real, in a stream worker, on a tiny streaming zipformer2-CTC
 * graph generated at test time (test/fixtures/make-tiny-models.py): each letter a..h of its
 * tokens.txt stands for a band of mel bins, so a 440 Hz tone then a 2 kHz tone decode to "be".
 */
import path from 'node:path';
import t from 'tap';
import { SherpaOnlineStt } from '../../pipeline/engines/stt-sherpa-online.ts';
import { StreamWorkerPool } from '../../pipeline/workers/stream-worker-pool.ts';
import { makeTinyModels, toneSequence, withLoopLag } from '../fixtures/tiny-models.ts';
import { until } from '../helpers/until.ts';

const models = makeTinyModels();
t.teardown(models.cleanup);
const skip = { skip: models.skip };
const modelDir = path.join(models.dir, 'zipformer2-ctc');
const speech = toneSequence([[0, 0.5], [440, 0.5], [0, 0.25], [2000, 0.5], [0, 0.3]]);
const frames = (pcm: Int16Array) => Array.from({ length: Math.ceil(pcm.length / 320) }, (_, i) => pcm.subarray(i * 320, (i + 1) * 320));

t.test('zipformer2-CTC: partials while audio streams in, tokens from tokens.txt at the end', skip, async (t) => {
  const stt = new SherpaOnlineStt({ modelDir, engine: 'zipformer2-ctc' });
  t.teardown(() => stt.close());
  t.equal(stt.name, 'sherpa-online-zipformer2-ctc');
  t.equal(stt.streaming, true);
  await stt.warm();
  const s = stt.createStream();
  const partials: string[] = [];
  s.onPartial((p) => partials.push(p));
  for (const f of frames(speech)) {
    s.accept(f);
    await new Promise((r) => setImmediate(r)); // frames arrive over several turns of the loop, as from a caller
  }
  // Before finish(): what comes now comes while the caller could still be speaking.
  await until('a partial before finish', () => partials.length >= 1);
  t.equal(partials[0], 'b', 'the first tone is heard while the caller still speaks');
  const r = await s.finish();
  t.equal(r.text, 'be', 'the two tones, in order');
  t.ok(stt.health().ok, stt.health().detail ?? 'healthy');
});

t.test('the type is guessed from the directory; transcribe is a whole-utterance stream', skip, async (t) => {
  const stt = new SherpaOnlineStt({ modelDir });
  t.teardown(() => stt.close());
  t.equal(stt.model.type, 'zipformer2-ctc');
  t.equal((await stt.transcribe(speech)).text, 'be');
  t.equal((await stt.transcribe(toneSequence([[0, 1]]))).text, '', 'silence decodes to nothing');
});

t.test('several calls on two workers, each with its own stream state', skip, async (t) => {
  const stt = new SherpaOnlineStt({ modelDir, poolSize: 2 });
  t.teardown(() => stt.close());
  const tones = [440, 2000, 700, 3000];
  const { result, maxLagMs } = await withLoopLag(() => Promise.all(tones.map((f) => stt.transcribe(toneSequence([[0, 0.3], [f, 0.6], [0, 0.3]])))));
  const texts = result.map((r) => r.text);
  t.equal(new Set(texts).size, 4, `four different tones, four different letters: ${texts.join(' ')}`);
  t.ok(texts.every((x) => /^[a-h]$/.test(x)));
  // A figure, not a bound: with two workers and the suite on 2 cores the loop waits for a core at
  // times (58 ms seen in CI). That inference stays off the loop is asserted by the offline STT test.
  t.comment(`event loop lag ${maxLagMs.toFixed(1)} ms while two workers decoded`);
});

t.test('an endpoint after trailing silence closes a segment; the final text keeps every segment', skip, async (t) => {
  const stt = new SherpaOnlineStt({ modelDir, rule2MinTrailingSilence: 0.3 });
  t.teardown(() => stt.close());
  const s = stt.createStream();
  const endpoints: string[] = [];
  s.onEndpoint((e) => endpoints.push(e));
  for (const f of frames(toneSequence([[440, 0.5], [0, 1], [2000, 0.5], [0, 0.2]]))) s.accept(f);
  const r = await s.finish();
  t.same(endpoints, ['b'], 'the first segment ended at the silence');
  t.equal(r.text, 'b e');
});

t.test('cancel drops the utterance; finish after cancel rejects', skip, async (t) => {
  const stt = new SherpaOnlineStt({ modelDir });
  t.teardown(() => stt.close());
  const s = stt.createStream();
  s.accept(speech);
  s.cancel();
  await t.rejects(s.finish(), /already finished or cancelled/);
  const ac = new AbortController();
  const a = stt.createStream({ signal: ac.signal });
  a.accept(speech);
  ac.abort();
  await t.rejects(a.finish(), /cancelled/);
  // A later utterance on the same worker is decoded after the cancellations were handled there.
  t.equal((await stt.transcribe(speech)).text, 'be', 'the engine goes on');
  t.same(stt.health().ok, true);
});

t.test('a crashing worker ends only its own calls', skip, async (t) => {
  const pool = new StreamWorkerPool({ size: 2 });
  t.teardown(() => pool.close());
  const stt = new SherpaOnlineStt({ modelDir, pool });
  const a = stt.createStream();
  a.accept(speech.subarray(0, 3200));
  const errors: Error[] = [];
  a.onError((e) => errors.push(e));
  await until('the first call to open on a worker', () => pool.load().join() === '1,0');
  // The second call goes to the least-loaded worker, the other one:
  const b = stt.createStream();
  b.accept(speech);
  await until('the second call to open on the other worker', () => pool.load().join() === '1,1');
  const crash = await pool.open(new URL('./helpers/crash-session.ts', import.meta.url), {}, { onEvents: () => {}, onError: () => {} });
  t.same(pool.load(), [2, 1], 'the crash session shares the worker of the first call');
  crash.push(Int16Array.of(2)); // kills that worker
  await until('the crash to reach the call on that worker', () => errors.length > 0);
  t.match(errors[0].message, /stream worker crashed/);
  await t.rejects(a.finish(), /stream worker crashed/);
  t.equal((await b.finish()).text, 'be', 'the call on the other worker carries on');
  t.equal(pool.restarts, 1);
  t.equal((await stt.transcribe(speech)).text, 'be', 'new calls work on the replacement');
  t.equal(errors.length, 1, 'the call on the crashed worker heard it once');
});

t.test('clear errors for a missing or unsuitable model directory', async (t) => {
  t.throws(() => new SherpaOnlineStt({ modelDir: path.join(models.dir, 'nope') }), { name: 'ModelDirError', message: /does not exist/ });
  t.throws(() => new SherpaOnlineStt({ modelDir, engine: 'whisper' }), /a whisper model cannot serve stt-online/);
  t.throws(() => new SherpaOnlineStt({ modelDir: path.join(models.dir, 'vits') }), /vits|no <blk>|cannot serve/);
});
