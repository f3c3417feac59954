/**
 * TTS: our per-sentence streaming vs synthesising the whole text before sending a byte (what the
 * original did). Time to first audio for 1-, 3- and 8-sentence texts, as a ratio, in one run.
 * Streaming: the text goes through the pipeline's sentence splitter (short first chunk) and the
 * first chunk's first audio is what the caller waits for. Whole text: one synthesis of everything;
 * the first byte leaves when it is done.
 */
import { EspeakTts } from '../pipeline/engines/tts-espeak.ts';
import type { TtsEngine } from '../pipeline/engines/types.ts';
import { SentenceSplitter } from '../pipeline/text/sentence-splitter.ts';
import { machineInfo } from './lib/machine.ts';
import { summarize } from './lib/stats.ts';

const SENTENCES = [
  'Thank you for calling, our office is open from nine in the morning until six in the evening.',
  'On Saturdays we open a little later, at ten, and close at two in the afternoon.',
  'You can find us at one Main Street, on the second floor, next to the pharmacy.',
  'If you would like to book an appointment, I can take your name and number now.',
  'Someone from our team will call you back within one working day.',
  'Please have your customer number ready when they call, it makes things faster.',
  'If your question is urgent, you can also write to us by email at any time.',
  'Is there anything else I can help you with today?',
];

async function firstAudioMs(tts: TtsEngine, text: string): Promise<{ first: number; total: number }> {
  const started = performance.now();
  let first = -1;
  for await (const chunk of tts.synthesize(text)) {
    if (first < 0 && chunk.pcm.length) first = performance.now() - started;
  }
  return { first, total: performance.now() - started };
}

export async function runTtsBench(opts: { repeats?: number; onProgress?: (m: string) => void } = {}) {
  const progress = opts.onProgress ?? (() => {});
  const repeats = opts.repeats ?? 15; // p50 of 5 runs swung 4.9x..7.5x on the 8-sentence text here
  const tts = new EspeakTts();
  await tts.ready();
  await firstAudioMs(tts, 'Warm up.');
  const rows = [];
  for (const n of [1, 3, 8]) {
    const text = SENTENCES.slice(0, n).join(' ');
    const streamed: number[] = [];
    const whole: number[] = [];
    for (let i = 0; i < repeats; i++) {
      progress(`${n} sentence(s), run ${i + 1}/${repeats}`);
      // Streaming: the caller hears the first chunk the splitter hands to TTS.
      const splitter = new SentenceSplitter(); // the pipeline's defaults: a short first chunk
      const first = [...splitter.push(text), ...splitter.flush()][0];
      streamed.push((await firstAudioMs(tts, first)).first);
      // Whole text: nothing leaves until all of it is synthesised.
      whole.push((await firstAudioMs(tts, text)).total);
    }
    const s = summarize(streamed);
    const w = summarize(whole);
    rows.push({ sentences: n, streaming_ttfa_ms: s, whole_text_ttfa_ms: w, ratio_whole_over_streaming_p50: Math.round((w.p50 / s.p50) * 100) / 100 });
  }
  await tts.close();
  return { bench: 'tts', engine: tts.name, repeats, rows, target: 'streaming TTFA on 8 sentences <= 1/5 of whole-text', machine: machineInfo() };
}
