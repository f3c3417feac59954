/**
 * The batched Silero runtime against sherpa-onnx's VoiceActivityDetector on the same real speech
 * (flite, 16 kHz and through 8 kHz, pauses, noise): the same events. Then many streams sharing
 * one model in one batch give each the events it gets alone, a reset drops results still in
 * flight, and a file that is not a Silero model fails the stream's creation with a clear error.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { SileroVad, type VadRuntime } from '../../pipeline/engines/vad-silero.ts';
import type { VadEvent, VadStream } from '../../pipeline/engines/types.ts';
import { until } from '../helpers/until.ts';
import { speech } from './helpers/speech.ts';
import { vadEvents } from './helpers/vad-events.ts';

async function clipSet() {
  const a = await speech('What are your opening hours?', { leadSilenceSec: 0.7, trailSilenceSec: 1 });
  const b = await speech('I would like to leave a message for the manager, please.', { via8k: true, leadSilenceSec: 0.3, trailSilenceSec: 1 });
  const c1 = await speech('Good morning.', { leadSilenceSec: 1.1, trailSilenceSec: 0.35 });
  const c2 = await speech('My number is five five five, one two three four.', { trailSilenceSec: 1.2 });
  const c = new Int16Array(c1.pcm.length + c2.pcm.length);
  c.set(c1.pcm);
  c.set(c2.pcm, c1.pcm.length);
  const noise = Int16Array.from({ length: 16000 * 2 }, (_, i) => Math.round(Math.sin(i * 12.9898) * 43758.5453) % 80);
  return { clips: [a.pcm, b.pcm, c, noise], labels: ['question 16k', 'message via 8k', 'two phrases', 'noise'] };
}

async function eventsWith(runtime: VadRuntime, clips: Int16Array[], opts: { minSilenceSec?: number; legacy?: boolean; onsets?: boolean } = {}) {
  const vad = new SileroVad({ runtime, minSilenceSec: opts.minSilenceSec ?? 0.3, minSpeechSec: 0.064, legacy: opts.legacy, onsets: opts.onsets });
  try {
    const streams = await Promise.all(clips.map(() => vad.createStream()));
    const out = await vadEvents(streams, clips);
    await Promise.all(streams.map((s) => s.close()));
    return out;
  } finally {
    await vad.close();
  }
}

t.test('batched and sherpa runtimes give the same events on the same speech (v5 and legacy models)', async (t) => {
  const { clips, labels } = await clipSet();
  for (const legacy of [false, true]) {
    const sherpa = await eventsWith('sherpa', clips, { legacy });
    const batched = await eventsWith('batched', clips, { legacy });
    for (let i = 0; i < clips.length; i++) {
      const model = legacy ? 'legacy' : 'v5';
      t.ok(labels[i] === 'noise' || sherpa[i].length >= 2, `${model} ${labels[i]}: sherpa found speech (${sherpa[i].length} events)`);
      t.same(batched[i], sherpa[i], `${model} ${labels[i]}: identical events`);
    }
    t.same(sherpa[3], [], 'noise: no events');
  }
});

t.test('with onsets, real speech: every start comes after its onset, which is placed at or before it; the rest is unchanged', async (t) => {
  const { clips, labels } = await clipSet();
  const plain = await eventsWith('batched', clips);
  const withOnsets = await eventsWith('batched', clips, { onsets: true });
  for (let i = 0; i < clips.length; i++) {
    const events = withOnsets[i];
    t.same(events.filter((e) => e.type !== 'speech_onset' && e.type !== 'speech_onset_lost'), plain[i], `${labels[i]}: the same starts and ends`);
    events.forEach((e, k) => {
      if (e.type !== 'speech_start') return;
      const onset = events[k - 1];
      t.equal(onset?.type, 'speech_onset', `${labels[i]}: an onset just before the start at ${e.sample}`);
      t.ok(onset && onset.sample <= e.sample, `${labels[i]}: the onset is placed at or before its start`);
    });
  }
  t.same(withOnsets[3], [], 'noise: no onset either');
});

t.test('streams sharing one batch get what each gets alone', async (t) => {
  const { clips } = await clipSet();
  // Twelve streams: the clips, each also shifted by a different amount of lead-in.
  const many: Int16Array[] = [];
  for (let k = 0; k < 3; k++) {
    for (const c of clips) {
      const shifted = new Int16Array(c.length + k * 2777);
      shifted.set(c, k * 2777);
      many.push(shifted);
    }
  }
  const alone: VadEvent[][] = [];
  for (const c of many) alone.push((await eventsWith('batched', [c]))[0]);
  const together = await eventsWith('batched', many);
  t.same(together, alone, 'every stream: the same events in a batch of 12 as on its own');
  t.ok(together.filter((e) => e.length).length >= 9, 'speech was found in the speech streams');
});

t.test('reset drops results still in flight and restarts the clock; closing a stream leaves the others running', async (t) => {
  const vad = new SileroVad();
  t.teardown(() => vad.close());
  const s = await speech('Hello, I am calling about my order.', { leadSilenceSec: 0.5, trailSilenceSec: 1 });
  const [a, b] = await Promise.all([vad.createStream(), vad.createStream()]);
  const got: VadEvent[] = [];
  a.onEvent((e) => got.push(e));
  // Speech into a, then a reset before its results are back, then the same speech again.
  for (let at = 0; at < s.pcm.length; at += 320) a.push(s.pcm.subarray(at, at + 320));
  a.reset();
  const bEvents: VadEvent[] = [];
  b.onEvent((e) => bEvents.push(e));
  await b.close();
  for (let at = 0; at < s.pcm.length; at += 320) a.push(s.pcm.subarray(at, at + 320));
  await until('the segment after the reset to end', () => got.some((e) => e.type === 'speech_end'));
  const starts = got.filter((e) => e.type === 'speech_start');
  t.ok(starts.length >= 1, 'speech found after the reset');
  t.ok(Math.abs(starts[starts.length - 1].sample - s.speechStart) <= 1600, `last start at ${starts[starts.length - 1].sample} counts from the reset (speech at ${s.speechStart})`);
  t.same(bEvents, [], 'the closed stream got nothing');
  t.ok(vad.health().ok);
  t.match(vad.health().detail, /batched runtime/);
});

t.test('a file that is not a Silero model: createStream rejects with the reason; an unknown runtime is refused', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vad-bad-'));
  const bad = path.join(dir, 'not-a-model.onnx');
  writeFileSync(bad, 'this is not an onnx graph');
  const vad = new SileroVad({ model: bad });
  t.teardown(() => vad.close());
  await t.rejects(vad.createStream(), /onnx|protobuf|model|load/i);
  t.throws(() => new SileroVad({ runtime: 'tensorflow' as VadRuntime }), /unknown VAD runtime "tensorflow"/);
});
