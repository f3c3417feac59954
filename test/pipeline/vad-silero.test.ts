import t from 'tap';
import { SileroVad } from '../../pipeline/engines/vad-silero.ts';
import type { VadEvent, VadStream } from '../../pipeline/engines/types.ts';
import { speech } from './helpers/speech.ts';
import { vadEvents } from './helpers/vad-events.ts';

/** Push 20 ms frames and return the events the clip gives (and nothing after them: see vadEvents). */
async function run(stream: VadStream, pcm: Int16Array): Promise<VadEvent[]> {
  return (await vadEvents([stream], [pcm]))[0];
}

const ms = (samples: number) => (samples / 16).toFixed(0);

t.test('finds real speech within ~100 ms, 16 kHz and 8 kHz callers, v5 and legacy models', async (t) => {
  for (const legacy of [false, true]) {
    const vad = new SileroVad({ legacy, minSilenceSec: 0.3 });
    t.teardown(() => vad.close());
    for (const via8k of [false, true]) {
      const label = `${legacy ? 'legacy' : 'v5'} ${via8k ? '8k' : '16k'}`;
      const s = await speech('What are your opening hours?', { via8k, leadSilenceSec: 1, trailSilenceSec: 1.5 });
      const stream = await vad.createStream();
      const events = await run(stream, s.pcm);
      const starts = events.filter((e) => e.type === 'speech_start');
      const ends = events.filter((e) => e.type === 'speech_end');
      t.equal(starts.length, 1, `${label}: one start`);
      t.equal(ends.length, 1, `${label}: one end`);
      if (!starts.length || !ends.length) continue;
      const start = starts[0].sample;
      const end = ends[0].sample;
      t.ok(Math.abs(start - s.speechStart) <= 1600, `${label}: start ${ms(start)} ms vs speech at ${ms(s.speechStart)} ms`);
      t.ok(Math.abs(end - s.speechEnd) <= 1920, `${label}: end ${ms(end)} ms vs speech until ${ms(s.speechEnd)} ms`);
      t.equal(ends[0].type === 'speech_end' && ends[0].startSample, start, 'segment start matches the start event');
      t.equal(starts[0].t_ms, start / 16);
      await stream.close();
    }
  }
});

t.test('silence and low noise produce no events; reset restarts the sample clock', async (t) => {
  const vad = new SileroVad();
  t.teardown(() => vad.close());
  const stream = await vad.createStream();
  const noise = Int16Array.from({ length: 16000 * 2 }, () => Math.round((Math.random() - 0.5) * 60));
  t.same(await run(stream, noise), []);
  stream.reset();
  const s = await speech('Hello there, how are you?', { leadSilenceSec: 0.5, trailSilenceSec: 1 });
  const events = await run(stream, s.pcm);
  t.ok(events.length >= 2);
  t.ok(Math.abs(events[0].sample - s.speechStart) <= 1600, `counted from the reset: start ${ms(events[0].sample)} ms vs speech at ${ms(s.speechStart)} ms`);
  t.ok(vad.health().ok);
});

t.test('min silence controls endpointing: two phrases with a short gap', async (t) => {
  const vad = new SileroVad();
  t.teardown(() => vad.close());
  const a = await speech('Good morning.', { leadSilenceSec: 0.5, trailSilenceSec: 0.4 });
  const b = await speech('I want to leave a message.', { trailSilenceSec: 1.5 });
  const pcm = new Int16Array(a.pcm.length + b.pcm.length);
  pcm.set(a.pcm);
  pcm.set(b.pcm, a.pcm.length);
  const split = (await run(await vad.createStream({ minSilenceSec: 0.2 }), pcm)).filter((e) => e.type === 'speech_end');
  const joined = (await run(await vad.createStream({ minSilenceSec: 1.0 }), pcm)).filter((e) => e.type === 'speech_end');
  t.equal(split.length, 2, 'short min silence: two segments');
  t.equal(joined.length, 1, 'long min silence: one segment');
});
