/**
 * RNNoise in front of the VAD and the recogniser (pipeline/engines/noise-rnnoise.ts): as many
 * samples out as in, whatever the frame sizes; steady line noise taken down by more than 15 dB once
 * it has learnt it, speech kept; one WebAssembly instance for the process; a closed suppressor
 * refuses work. What it does for recognition is bench/noise.ts's question, not this file's.
 */
import t from 'tap';
import { fliteSpeech, withSilence } from '../../bench/lib/flite-speech.ts';
import { whiteNoise } from '../../bench/lib/white-noise.ts';
import { rms } from '../../media/pcm.ts';
import { createNoiseSuppressor, loadRnnoise } from '../../pipeline/engines/noise-rnnoise.ts';

const RATE = 16000;
const db = (ratio: number) => 20 * Math.log10(ratio);

async function denoise(pcm: Int16Array, frame = 320): Promise<Int16Array> {
  const ns = await createNoiseSuppressor(RATE);
  t.teardown(() => ns.close());
  const out = new Int16Array(pcm.length);
  for (let i = 0; i < pcm.length; i += frame) {
    const piece = pcm.subarray(i, Math.min(pcm.length, i + frame));
    const back = ns.process(piece);
    if (back.length !== piece.length) throw new Error(`${piece.length} in, ${back.length} out`);
    out.set(back, i);
  }
  return out;
}

t.test('as many samples out as in, for 20 ms frames and odd sizes alike; the delay is a frame and the filters', async (t) => {
  const ns = await createNoiseSuppressor(RATE);
  t.teardown(() => ns.close());
  const noise = whiteNoise(1, -30, 3);
  let at = 0;
  for (const size of [320, 1, 441, 160, 2048, 7, 320]) {
    t.equal(ns.process(noise.subarray(at, at + size)).length, size, `${size} in, ${size} out`);
    at += size;
  }
  t.ok(ns.delayMs >= 10 && ns.delayMs < 20, `delay ${ns.delayMs.toFixed(1)} ms`);
  t.ok(ns.voiceProbability >= 0 && ns.voiceProbability <= 1, 'a speech probability for the last frame');
});

t.test('steady noise taken down by more than 15 dB; speech in it kept', async (t) => {
  const noise = whiteNoise(4, -35, 5);
  const out = await denoise(noise);
  // It learns the noise over the first seconds; the last one is what a caller's line sounds like after.
  const tail = (x: Int16Array) => x.subarray(3 * RATE, x.length);
  const cut = db(rms(tail(noise)) / Math.max(1, rms(tail(out))));
  t.ok(cut > 15, `line noise at -35 dBFS down by ${cut.toFixed(1)} dB`);

  const speech = withSilence(fliteSpeech('What are your opening hours?'), 3000, 300);
  const noisy = new Int16Array(speech.length);
  const line = whiteNoise(speech.length / RATE, -40, 9);
  for (let i = 0; i < speech.length; i++) noisy[i] = Math.max(-32768, Math.min(32767, speech[i] + line[i]));
  const clean = await denoise(noisy);
  const speechPart = (x: Int16Array) => x.subarray(3 * RATE, speech.length - (300 * RATE) / 1000);
  const kept = db(rms(speechPart(clean)) / rms(speechPart(speech)));
  t.ok(kept > -6, `speech level kept within 6 dB (${kept.toFixed(1)} dB)`);
  const lead = (x: Int16Array) => x.subarray(2 * RATE, 3 * RATE);
  t.ok(db(rms(lead(noisy)) / Math.max(1, rms(lead(clean)))) > 10, 'while the noise before it went down');
});

t.test('one WebAssembly instance for the process; a closed suppressor refuses work; closing twice is harmless', async (t) => {
  t.equal(await loadRnnoise(), await loadRnnoise(), 'the same module');
  const ns = await createNoiseSuppressor(RATE);
  ns.close();
  ns.close();
  t.throws(() => ns.process(new Int16Array(320)), /after close/);
});
