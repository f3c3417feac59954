/**
 * The segmenter alone, on made-up probability sequences: where a segment starts and ends, the
 * hysteresis band, the minimum speech that arms a start, the tighter rules for a long segment,
 * reset. Positions are exact: one window = 512 samples = 32 ms.
 */
import t from 'tap';
import { SileroSegmenter, type SegmenterConfig } from '../../pipeline/engines/silero-segmenter.ts';
import type { VadEvent } from '../../pipeline/engines/types.ts';

const base: SegmenterConfig = {
  threshold: 0.5,
  minSpeechSamples: 1024, // 64 ms: two windows
  minSilenceSamples: 8000, // 500 ms
  maxSpeechSamples: 16000 * 30,
  windowSamples: 576,
  shiftSamples: 512,
  sampleRate: 16000,
};

/** Feed probabilities; events with the window index that produced them. */
function feed(s: SileroSegmenter, probs: number[]): Array<VadEvent & { window: number }> {
  const out: Array<VadEvent & { window: number }> = [];
  probs.forEach((p, i) => {
    const e = s.push(p);
    if (e) out.push({ ...e, window: i });
  });
  return out;
}

const run = (value: number, n: number) => Array<number>(n).fill(value);

t.test('a start needs probabilities above the threshold for the minimum speech; an end needs the minimum silence', async (t) => {
  const s = new SileroSegmenter(base);
  // 10 quiet windows, 20 loud, then quiet.
  const events = feed(s, [...run(0.1, 10), ...run(0.9, 20), ...run(0.05, 30)]);
  t.equal(events.length, 2);
  const [start, end] = events;
  // Armed at window 10 (tail 11*512), triggered once tail - armed >= 1024: window 12 (tail 13*512).
  t.match(start, { type: 'speech_start', window: 12 });
  t.equal(start.sample, 13 * 512 - 2 * 576 - 1024, 'two windows plus the minimum speech before the trigger');
  t.equal(start.t_ms, (start.sample / 16000) * 1000);
  // Quiet from window 30 (tail 31*512); ends at the first window with tail - 31*512 >= 8000: tail 47*512.
  t.match(end, { type: 'speech_end', window: 46, startSample: start.sample });
  t.equal(end.sample, 47 * 512 - 8000 - 512, 'minimum silence and one shift before the window that ended it');
});

t.test('a blip shorter than the minimum speech starts nothing; the hysteresis band keeps speech going', async (t) => {
  const s = new SileroSegmenter(base);
  t.same(feed(s, [...run(0.1, 5), 0.9, 0.9, 0.1, ...run(0.1, 10)]), [], 'two loud windows: armed, then disarmed by silence');
  // Speaking, then 40 windows at 0.4 (below 0.5 but above 0.35): no end.
  const s2 = new SileroSegmenter(base);
  const events = feed(s2, [...run(0.9, 5), ...run(0.4, 40)]);
  t.same(events.map((e) => e.type), ['speech_start'], 'inside the band the segment goes on for 1.3 s');
  // A dip below the floor shorter than the minimum silence, then loud again: still one segment.
  const s3 = new SileroSegmenter(base);
  const e3 = feed(s3, [...run(0.9, 5), ...run(0.1, 10), ...run(0.9, 5), ...run(0.1, 20)]);
  t.same(e3.map((e) => e.type), ['speech_start', 'speech_end'], '320 ms of silence does not split the segment');
});

t.test('a segment longer than the maximum ends at 100 ms of silence under a 0.9 threshold', async (t) => {
  // 2 s at 0.8: once long (past 1 s) the threshold is 0.9, but 0.8 is inside its band (> 0.75).
  const s = new SileroSegmenter({ ...base, maxSpeechSamples: 16000 });
  t.same(feed(s, run(0.8, 64)).map((e) => [e.type, e.window]), [['speech_start', 2]], 'no end inside the long band');
  const s2 = new SileroSegmenter({ ...base, maxSpeechSamples: 16000 });
  const e2 = feed(s2, [...run(0.95, 40), ...run(0.6, 10)]);
  // After 40 loud windows the segment is long; 0.6 is under 0.9 - 0.15: quiet from window 40, and
  // 100 ms (1600 samples) later, at window 44, it ends (the normal 500 ms would take to window 56).
  // Then the normal threshold is back, 0.6 is speech again: a new segment (the long one was split).
  t.same(e2.map((e) => [e.type, e.window]), [['speech_start', 2], ['speech_end', 44], ['speech_start', 47]], 'ended after 100 ms of 0.6, then a new segment');
  t.equal(e2[1].sample, 45 * 512 - 1600 - 512, 'the end position uses the shorter silence too');
  const s3 = new SileroSegmenter(base);
  t.same(feed(s3, [...run(0.95, 40), ...run(0.6, 20)]).map((e) => e.type), ['speech_start'], 'a short segment is not held to that');
});

t.test('reset restarts the sample clock and forgets a segment in progress', async (t) => {
  const s = new SileroSegmenter(base);
  feed(s, run(0.9, 10));
  s.reset();
  const events = feed(s, [...run(0.1, 3), ...run(0.9, 5)]);
  t.equal(events.length, 1);
  t.equal(events[0].sample, Math.max(0, 6 * 512 - 2 * 576 - 1024), 'counted from the reset');
  t.equal(events[0].type, 'speech_start', 'no end for the segment that was forgotten');
});

t.test('a new segment never starts before the previous one ended', async (t) => {
  const s = new SileroSegmenter({ ...base, minSilenceSamples: 1024 });
  const events = feed(s, [...run(0.9, 10), ...run(0.1, 4), ...run(0.9, 10)]);
  t.same(events.map((e) => e.type), ['speech_start', 'speech_end', 'speech_start']);
  t.ok(events[2].sample >= events[1].sample, `second start ${events[2].sample} at or after the first end ${events[1].sample}`);
});

t.test('with pauseSamples, silence inside a segment is reported as a pause at the speech\'s end, and speech after it as a resume', async (t) => {
  const s = new SileroSegmenter({ ...base, pauseSamples: 3200 }); // 200 ms
  const events = feed(s, [...run(0.9, 20), ...run(0.05, 8), ...run(0.9, 5), ...run(0.05, 30)]);
  t.same(events.map((e) => e.type), ['speech_start', 'speech_pause', 'speech_resume', 'speech_pause', 'speech_end']);
  const [, pause, resume, pause2, end] = events;
  // Quiet from window 20 (tail 21*512); 200 ms = 6.25 windows: reported at window 27 (tail 28*512).
  t.equal(pause.window, 27);
  t.equal(pause.sample, 21 * 512 - 512, 'where an end would have been put');
  t.equal(resume.window, 28);
  t.equal(pause2.sample, 34 * 512 - 512);
  // The end is placed from the minimum silence rounded up to whole windows: within a shift of the pause.
  t.ok(Math.abs(end.sample - pause2.sample) < 512, `the end lands where the last pause said the speech stopped (${end.sample} vs ${pause2.sample})`);
  t.ok(pause2.window < end.window, 'the pause comes first');
});

t.test('without pauseSamples there are no pause events', async (t) => {
  const events = feed(new SileroSegmenter(base), [...run(0.9, 20), ...run(0.05, 8), ...run(0.9, 5), ...run(0.05, 30)]);
  t.same(events.map((e) => e.type), ['speech_start', 'speech_end']);
});

t.test('with onsets: the window that arms a start is reported, and so is an arm that falls back', async (t) => {
  const s = new SileroSegmenter({ ...base, onsets: true });
  const events = feed(s, [...run(0.1, 10), ...run(0.9, 20), ...run(0.05, 30), 0.9, 0.1, ...run(0.1, 5)]);
  t.same(
    events.map((e) => [e.type, e.window]),
    [
      ['speech_onset', 10],
      ['speech_start', 12],
      ['speech_end', 46],
      ['speech_onset', 60],
      ['speech_onset_lost', 61],
    ],
    'the onset two windows before its start; a one-window blip is an onset and its loss',
  );
  const [onset, start] = events;
  t.equal(onset.sample, 11 * 512 - 2 * 576, 'where a start triggered by that window would be put');
  t.equal(onset.sample, start.sample, 'with a whole number of windows of minimum speech, exactly where its start is put');
  t.equal(events[4].sample, 62 * 512, 'lost at the window that fell back');
  // Loud again while speaking, or inside the band: no onset (only a segment's start has one).
  const s2 = new SileroSegmenter({ ...base, onsets: true });
  t.same(feed(s2, [...run(0.9, 5), ...run(0.4, 10), ...run(0.9, 5)]).map((e) => e.type), ['speech_onset', 'speech_start']);
  // A minimum speech that is not whole windows: the onset is placed before its start, never after.
  const odd = new SileroSegmenter({ ...base, minSpeechSamples: 1000, onsets: true });
  const [o2, s2start] = feed(odd, [...run(0.1, 10), ...run(0.9, 5)]);
  t.match([o2, s2start], [{ type: 'speech_onset', window: 10 }, { type: 'speech_start', window: 12 }]);
  t.ok(o2.sample <= s2start.sample, `onset ${o2.sample} at or before its start ${s2start.sample}`);
  // Without the option the same audio gives exactly the events it always did.
  const plain = new SileroSegmenter(base);
  t.same(feed(plain, [...run(0.1, 10), ...run(0.9, 20), ...run(0.05, 30), 0.9, 0.1]).map((e) => e.type), ['speech_start', 'speech_end']);
});
