/**
 * Speech over a reply: a backchannel ("mhm", "uh-huh", "right"), after which the reply carries on,
 * or an interruption ("stop", "wait", a new question), which cancels it. Words alone decide badly
 * on the fallback recogniser: a vocalisation has no word, so the general language model invents one
 * ("mhm" comes out as "huh", "uh-huh" as "the", "I see" as "the"), and a clipped "stop" comes out
 * as "so". So the judgement also weighs
 *  - the other readings the recogniser had, when it was not sure of the first (pocketsphinx's
 *    grammar reading, which knows the backchannels and the interrupting words: "the" read as
 *    "uh huh", "so" read as "stop");
 *  - the vocabulary: an interrupting word or an answer the dialogue is waiting for in any reading
 *    always interrupts;
 *  - how long the caller spoke: speech of `bargeInConfirmMs` or more has already cancelled the
 *    reply before any transcript, so what reaches this judge is short; short speech whose words
 *    are all fillers (articles, hesitations, single letters: what a vocalisation decodes to) is a
 *    backchannel, however the recogniser spelt it.
 * Measured on espeak-ng and flite voices in bench/backchannels.ts.
 */
import { normalizeWords, type TurnConfig } from './config.ts';

/** What the recogniser heard of one utterance. */
export interface Heard {
  text: string;
  /** Other readings, best first (the grammar's reading when the language model won). */
  alternatives?: readonly string[];
  /** The recogniser's confidence in `text`, 0..1, when it has one. */
  confidence?: number;
  /** How long the caller spoke (VAD start to end). */
  durationMs: number;
}

/** Below this confidence the other readings are weighed too (pocketsphinx: 0.4 when the language model's reading won, 0.9/0.7 for a confident grammar match). */
export const SURE_CONFIDENCE = 0.7;

/**
 * What a vocalisation or a clipped word decodes to: articles, pronouns and hesitations. A short
 * utterance made only of these carries nothing to answer.
 */
const FILLERS = new Set([
  'a', 'an', 'the', 'and', 'i', 'am', 'im', 'is', 'it', 'its', 'of', 'to', 'in', 'on', 'so', 'he', 'her', 'him', 'huh', 'uh', 'um', 'er', 'erm', 'ah', 'oh', 'eh', 'hm', 'hmm', 'mm', 'mhm', 'ha', 'mmm', 'hum',
  'а', 'и', 'э', 'м', 'ну', 'вот', 'это', 'мм', 'хм', 'эм', 'угу', 'ага',
]);

const words = (text: string): string[] => normalizeWords(text).split(' ').filter(Boolean);
const isFiller = (word: string) => FILLERS.has(word) || [...word].length === 1;

export type Judgement = 'backchannel' | 'interruption';

export function judgeSpeechOverReply(heard: Heard, config: TurnConfig, isAnswer: (text: string) => boolean = () => false): Judgement {
  const sure = (heard.confidence ?? 1) >= SURE_CONFIDENCE;
  const said = [heard.text, ...(sure ? [] : (heard.alternatives ?? []))].filter((r) => normalizeWords(r) !== '');
  const readings = said.map(normalizeWords);
  const interrupting = config.interruptWords.map(normalizeWords).filter(Boolean);
  const interrupts = (r: string) => interrupting.some((phrase) => ` ${r} `.includes(` ${phrase} `));
  if (readings.some(interrupts) || said.some((r) => isAnswer(r))) return 'interruption';
  if (readings.length === 0) return 'backchannel';
  const backchannels = new Set(config.backchannels.map(normalizeWords));
  if (readings.some((r) => backchannels.has(r))) return 'backchannel';
  if (heard.durationMs < config.bargeInConfirmMs && words(heard.text).every(isFiller)) return 'backchannel';
  return 'interruption';
}

/** Phrases the recogniser should know while a reply plays, so a grammar can read them when the language model cannot. */
export function overReplyVocabulary(config: TurnConfig): string[] {
  return [...config.backchannels, ...config.interruptWords];
}
