/**
 * The arrival clock dates a sample of the heard timeline to when its audio arrived; with a noise
 * suppressor in front, the heard timeline lags the input by the suppressor's delay.
 */
import t from 'tap';
import { ArrivalClock } from '../../../pipeline/turn/arrival-clock.ts';

t.test('each sample is dated to the chunk it arrived in; the delay shifts the heard timeline back', async (t) => {
  const plain = new ArrivalClock();
  const delayed = new ArrivalClock(221);
  for (const [i, c] of [plain, delayed].entries()) {
    for (let k = 0; k < 5; k++) c.record(320, 1000 + 20 * k);
    t.equal(c.samples, 1600, `clock ${i}: samples arrived`);
  }
  t.equal(plain.wallTimeOf(0), 1000);
  t.equal(plain.wallTimeOf(700), 1040, 'sample 700 came in the third chunk');
  t.equal(plain.heardSamples, 1600);
  // Heard sample 700 is input sample 479: the second chunk.
  t.equal(delayed.wallTimeOf(700), 1020, 'heard 700 = input 479, the second chunk');
  t.equal(delayed.heardSamples, 1379, 'the heard timeline is 221 samples behind');
  t.equal(delayed.wallTimeOf(100), 1000, 'heard samples from before the first input are dated to the first chunk');
});
