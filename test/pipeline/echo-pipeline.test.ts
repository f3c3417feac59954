import t from 'tap';
import { EchoPipeline } from '../../pipeline/echo-pipeline.ts';
import { PIPELINE_FRAME_SAMPLES } from '../../pipeline/call-pipeline.ts';

const info = { callId: 'c1', channel: 'ws' };
const ramp = (n: number, from = 0) => Int16Array.from({ length: n }, (_, i) => from + i);

t.test('whole frames come back as they went in, in order', async (t) => {
  const echo = new EchoPipeline(info);
  const a = ramp(PIPELINE_FRAME_SAMPLES, 0);
  const b = ramp(PIPELINE_FRAME_SAMPLES, 1000);
  echo.pushAudio(a);
  echo.pushAudio(b);
  t.equal(echo.pullAudio(), a, 'the frame itself: transports hand over memory the pipeline may keep');
  t.equal(echo.pullAudio(), b);
  t.equal(echo.pullAudio(), null);
});

t.test('odd chunks are re-framed into exact 20 ms frames', async (t) => {
  const echo = new EchoPipeline(info);
  const all = ramp(3 * PIPELINE_FRAME_SAMPLES + 50);
  for (const [start, end] of [[0, 100], [100, 500], [500, 1010]]) echo.pushAudio(all.slice(start, end));
  const out: number[] = [];
  for (let f = echo.pullAudio(); f; f = echo.pullAudio()) {
    t.equal(f.length, PIPELINE_FRAME_SAMPLES);
    out.push(...f);
  }
  t.same(out, [...all.subarray(0, 3 * PIPELINE_FRAME_SAMPLES)], 'three frames, samples in order');
  // The 50 left over wait for more; a whole frame after them is still re-framed, not queued as is.
  echo.pushAudio(ramp(PIPELINE_FRAME_SAMPLES, 5000));
  const next = echo.pullAudio()!;
  t.same([...next.subarray(0, 50)], [...all.subarray(960, 1010)]);
  t.equal(next[50], 5000);
});

t.test('clear drops queued and partial audio; at most 2 s waits', async (t) => {
  const echo = new EchoPipeline(info);
  echo.pushAudio(ramp(100));
  echo.pushAudio(ramp(PIPELINE_FRAME_SAMPLES));
  echo.control({ type: 'clear' });
  t.equal(echo.pullAudio(), null);
  const frame = ramp(PIPELINE_FRAME_SAMPLES, 7);
  echo.pushAudio(frame);
  t.equal(echo.pullAudio(), frame, 'no stale partial samples in front after a clear');
  for (let i = 0; i < 120; i++) echo.pushAudio(ramp(PIPELINE_FRAME_SAMPLES, i));
  t.equal(echo.droppedFrames, 20, 'the oldest 20 of 120 frames dropped');
  t.equal(echo.pullAudio()![0], 20);
});
