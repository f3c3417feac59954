/**
 * Noise suppression: is an FAQ question, said through a noisy telephone line, still recognised and
 * answered, with and without RNNoise in front of the recogniser; and what RNNoise costs a call.
 *
 * Every example question of the default FAQ, in several espeak-ng and flite voices and speeds, goes
 * through a telephone line (8 kHz, 300-3400 Hz) with half a second of line before and after (a
 * -70 dBFS floor), clean and with white noise at 10 and 5 dB SNR, then to the fallback recogniser
 * (pocketsphinx with the menu's phrases as hints, as a call's turn) and the FAQ matcher: "answered"
 * means the right entry matched. The same audio is judged with and without
 * pipeline/engines/noise-rnnoise.ts in front. Cost: CPU time of the suppressor (resampling
 * included) per second of call audio, in 20 ms frames as a call feeds it.
 */
import { FaqMatcher } from '../pipeline/dialogue/faq-matcher.ts';
import { defaultFaq, defaultPersona } from '../pipeline/dialogue/persona.ts';
import { Secretary } from '../pipeline/dialogue/secretary.ts';
import { createNoiseSuppressor } from '../pipeline/engines/noise-rnnoise.ts';
import { PocketsphinxStt } from '../pipeline/engines/stt-pocketsphinx.ts';
import { synthesize, telephoneBand, VOICES, voiceName, withNoise } from './lib/synthetic-voices.ts';
import { whiteNoise } from './lib/white-noise.ts';

const RATE = 16000;
const FRAME = 320;
const LINE_MS = 500;

const CONDITIONS = {
  phone: (pcm: Int16Array) => pcm,
  phone_noise_10db: (pcm: Int16Array) => withNoise(pcm, 10),
  phone_noise_5db: (pcm: Int16Array) => withNoise(pcm, 5),
} as const;
type Condition = keyof typeof CONDITIONS;

interface Tally {
  utterances: number;
  answered_without: number;
  answered_with: number;
  answered_rate_without: number;
  answered_rate_with: number;
  /** Answered without suppression but not with it: what it broke (capped, for reading). */
  lost_with: string[];
}

export interface NoiseBenchResult {
  utterances: number;
  voices: string[];
  conditions: Record<Condition, Tally>;
  cost: {
    /** CPU milliseconds the suppressor spends per second of call audio (one core). */
    cpu_ms_per_audio_s: number;
    /** The share of one core a call's suppressor keeps busy. */
    core_share_per_call: number;
    /** How far its output lags its input. */
    delay_ms: number;
  };
}

/** The speech with half a second of line either side, under a -70 dBFS floor: no real line is digital silence (and pocketsphinx misreads speech framed by exact zeros). */
const onLine = (pcm: Int16Array) => {
  const pad = (LINE_MS * RATE) / 1000;
  const floor = whiteNoise((pcm.length + 2 * pad) / RATE, -70, 11);
  for (let i = 0; i < pcm.length; i++) floor[pad + i] = Math.max(-32768, Math.min(32767, floor[pad + i] + pcm[i]));
  return floor;
};

export async function runNoiseBench(opts: { onProgress?: (m: string) => void } = {}): Promise<NoiseBenchResult> {
  const faq = new FaqMatcher(defaultFaq('en'));
  const hints = new Secretary({ persona: defaultPersona('en'), faq, store: { save: async () => {} } as never }).expectedPhrases();
  const stt = new PocketsphinxStt();
  const tallies = Object.fromEntries(
    (Object.keys(CONDITIONS) as Condition[]).map((c) => [c, { utterances: 0, answered_without: 0, answered_with: 0, answered_rate_without: 0, answered_rate_with: 0, lost_with: [] as string[] }]),
  ) as Record<Condition, Tally>;
  let cpuUs = 0;
  let audioSamples = 0;
  let delayMs = 0;
  let utterances = 0;

  const denoise = async (pcm: Int16Array): Promise<Int16Array> => {
    const ns = await createNoiseSuppressor(RATE);
    delayMs = ns.delayMs;
    const out = new Int16Array(pcm.length);
    const before = process.cpuUsage();
    for (let i = 0; i < pcm.length; i += FRAME) out.set(ns.process(pcm.subarray(i, Math.min(pcm.length, i + FRAME))), i);
    const used = process.cpuUsage(before);
    cpuUs += used.user + used.system;
    audioSamples += pcm.length;
    ns.close();
    return out;
  };
  const answers = async (pcm: Int16Array, id: string) => faq.match((await stt.transcribe(pcm, { hints })).text)?.entry.id === id;

  try {
    for (const entry of faq.entries) {
      for (const question of entry.questions) {
        for (const voice of VOICES) {
          opts.onProgress?.(`${voiceName(voice)} "${question}"`);
          const line = telephoneBand(onLine(synthesize(question, voice)));
          utterances++;
          for (const condition of Object.keys(CONDITIONS) as Condition[]) {
            const pcm = CONDITIONS[condition](line);
            const tally = tallies[condition];
            const without = await answers(pcm, entry.id);
            const withNs = await answers(await denoise(pcm), entry.id);
            tally.utterances++;
            tally.answered_without += without ? 1 : 0;
            tally.answered_with += withNs ? 1 : 0;
            if (without && !withNs && tally.lost_with.length < 10) tally.lost_with.push(`${voiceName(voice)} "${question}"`);
          }
        }
      }
    }
  } finally {
    await stt.close();
  }
  const rate = (n: number, d: number) => Math.round((n / Math.max(1, d)) * 1000) / 1000;
  for (const t of Object.values(tallies)) {
    t.answered_rate_without = rate(t.answered_without, t.utterances);
    t.answered_rate_with = rate(t.answered_with, t.utterances);
  }
  const cpuMsPerAudioS = cpuUs / 1000 / Math.max(1e-9, audioSamples / RATE);
  return {
    utterances,
    voices: VOICES.map(voiceName),
    conditions: tallies,
    cost: { cpu_ms_per_audio_s: Math.round(cpuMsPerAudioS * 10) / 10, core_share_per_call: Math.round(cpuMsPerAudioS * 10) / 10000, delay_ms: Math.round(delayMs * 10) / 10 },
  };
}
