/**
 * Speech over a reply: does a backchannel let the reply carry on, and does an interruption stop
 * it? Each utterance (several espeak-ng and flite voices and speeds; clean 16 kHz, a telephone
 * line, and a telephone line with white noise at 10 dB SNR) goes through the fallback recogniser
 * the way a paused reply's utterance does, and is judged two ways in one run:
 *  - before: words only (a listed backchannel, or nothing heard), and any speech of 400 ms or more
 *    cancelled by its length (the old BARGE_IN_CONFIRM_MS), with the menu's phrases as hints;
 *  - after: pipeline/turn/interruption-judge.ts (other readings, vocabulary, duration, fillers),
 *    speech of 800 ms or more cancelled by its length, with the over-reply vocabulary in the hints.
 * The speech's length is its loud span (10 ms windows above -40 dBFS), a stand-in for the VAD's.
 */
import { PocketsphinxStt } from '../pipeline/engines/stt-pocketsphinx.ts';
import { FaqMatcher } from '../pipeline/dialogue/faq-matcher.ts';
import { defaultFaq, defaultPersona } from '../pipeline/dialogue/persona.ts';
import { Secretary } from '../pipeline/dialogue/secretary.ts';
import { DEFAULT_TURN_CONFIG, normalizeWords } from '../pipeline/turn/config.ts';
import { judgeSpeechOverReply, overReplyVocabulary } from '../pipeline/turn/interruption-judge.ts';
import { synthesize, speechSpan, telephoneBand, VOICES, voiceName, withNoise } from './lib/synthetic-voices.ts';

export const BACKCHANNELS = ['mhm', 'mm hmm', 'uh huh', 'hmm', 'okay', 'yeah', 'right', 'I see'];
export const INTERRUPTIONS = ['stop', 'wait', 'hold on', 'sorry', 'no', 'wait a moment', 'stop please', 'what time do you open', 'where are you located', 'can I leave a message'];

const CONDITIONS = {
  clean: (pcm: Int16Array) => pcm,
  phone: (pcm: Int16Array) => telephoneBand(pcm),
  phone_noise_10db: (pcm: Int16Array) => withNoise(telephoneBand(pcm), 10),
} as const;
type Condition = keyof typeof CONDITIONS;

const OLD_CONFIRM_MS = 400;
const OLD_BACKCHANNELS = ['mhm', 'mm', 'hmm', 'uh huh', 'uh-huh', 'yeah', 'yes', 'ok', 'okay', 'right', 'ага', 'угу', 'да', 'ну', 'так'];

interface Tally {
  backchannels: number;
  backchannels_kept_before: number;
  backchannels_kept_after: number;
  interruptions: number;
  interruptions_caught_before: number;
  interruptions_caught_after: number;
  /** What the judge got wrong after, for reading (capped). */
  misjudged_after: string[];
}

export interface BackchannelBenchResult {
  utterances: number;
  voices: string[];
  conditions: Record<Condition, Tally & { backchannel_kept_rate_before: number; backchannel_kept_rate_after: number; interruption_rate_before: number; interruption_rate_after: number }>;
}

export async function runBackchannelBench(opts: { onProgress?: (m: string) => void } = {}): Promise<BackchannelBenchResult> {
  const stt = new PocketsphinxStt();
  const config = DEFAULT_TURN_CONFIG;
  const menu = new Secretary({ persona: defaultPersona('en'), faq: new FaqMatcher(defaultFaq('en')), store: { save: async () => {} } as never }).expectedPhrases();
  const hintsBefore = menu;
  const hintsAfter = [...menu, ...overReplyVocabulary(config)];
  const oldList = new Set(OLD_BACKCHANNELS);
  const result = {} as BackchannelBenchResult['conditions'];
  let utterances = 0;
  try {
    for (const condition of Object.keys(CONDITIONS) as Condition[]) {
      const tally: Tally = { backchannels: 0, backchannels_kept_before: 0, backchannels_kept_after: 0, interruptions: 0, interruptions_caught_before: 0, interruptions_caught_after: 0, misjudged_after: [] };
      for (const voice of VOICES) {
        opts.onProgress?.(`${condition} ${voiceName(voice)}`);
        for (const [kind, phrases] of [['backchannel', BACKCHANNELS], ['interruption', INTERRUPTIONS]] as const) {
          for (const phrase of phrases) {
            const clean = synthesize(phrase, voice);
            const span = speechSpan(clean);
            const durationMs = ((span.last - span.first) * 1000) / 16000;
            const pcm = CONDITIONS[condition](clean);
            const before = await stt.transcribe(pcm, { hints: hintsBefore });
            const after = await stt.transcribe(pcm, { hints: hintsAfter });
            const words = normalizeWords(before.text);
            const keptBefore = durationMs < OLD_CONFIRM_MS && (words === '' || oldList.has(words));
            const keptAfter = durationMs < config.bargeInConfirmMs && judgeSpeechOverReply({ text: after.text.trim(), alternatives: after.alternatives, confidence: after.confidence, durationMs }, config) === 'backchannel';
            utterances++;
            if (kind === 'backchannel') {
              tally.backchannels++;
              tally.backchannels_kept_before += keptBefore ? 1 : 0;
              tally.backchannels_kept_after += keptAfter ? 1 : 0;
            } else {
              tally.interruptions++;
              tally.interruptions_caught_before += keptBefore ? 0 : 1;
              tally.interruptions_caught_after += keptAfter ? 0 : 1;
            }
            const wrong = kind === 'backchannel' ? !keptAfter : keptAfter;
            if (wrong && tally.misjudged_after.length < 20) {
              tally.misjudged_after.push(`${voiceName(voice)} "${phrase}" ${Math.round(durationMs)} ms -> "${after.text}" ${JSON.stringify(after.alternatives ?? [])}`);
            }
          }
        }
      }
      const rate = (n: number, d: number) => Math.round((n / Math.max(1, d)) * 1000) / 1000;
      result[condition] = {
        ...tally,
        backchannel_kept_rate_before: rate(tally.backchannels_kept_before, tally.backchannels),
        backchannel_kept_rate_after: rate(tally.backchannels_kept_after, tally.backchannels),
        interruption_rate_before: rate(tally.interruptions_caught_before, tally.interruptions),
        interruption_rate_after: rate(tally.interruptions_caught_after, tally.interruptions),
      };
    }
  } finally {
    await stt.close();
  }
  return { utterances, voices: VOICES.map(voiceName), conditions: result };
}
