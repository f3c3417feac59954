/**
 * Whether what the caller said at a pause is a whole turn: the turn manager then answers at the
 * pause (VAD `speech_pause`, ~200 ms of silence) instead of waiting out the VAD's full silence
 * (500 ms). Only a reading the recogniser is sure of counts (pocketsphinx's grammar reading taken
 * outright: one of the phrases the dialogue expects), and even then not when the caller plainly
 * has more to say: a last word that leads on ("and", "my number is", "в"), or a run of three or
 * more digits shorter than a phone number. A backchannel or an interrupting word alone waits the full
 * silence too: "No, ..." is how many sentences start.
 */
import { normalizeWords } from './config.ts';

/** Last words after which a speaker is not done. */
const LEADING_ON = new Set([
  'and', 'or', 'but', 'so', 'because', 'if', 'then', 'my', 'your', 'our', 'is', 'are', 'was', 'the', 'a', 'an', 'to', 'at', 'for', 'with', 'of', 'in', 'on', 'from', 'about', 'number', 'name', 'um', 'uh', 'er', 'erm',
  'и', 'а', 'но', 'или', 'что', 'если', 'мой', 'моя', 'мое', 'моё', 'ваш', 'номер', 'зовут', 'в', 'на', 'с', 'к', 'по', 'за', 'из', 'о', 'об', 'про', 'это', 'э', 'ну',
]);

const DIGIT_WORDS = new Set([
  'zero', 'oh', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'double', 'triple',
  'ноль', 'один', 'одна', 'два', 'две', 'три', 'четыре', 'пять', 'шесть', 'семь', 'восемь', 'девять',
]);

/** Fewer digits than this at the end of what was said: a number still being read out. */
export const WHOLE_NUMBER_DIGITS = 10;
/** ...when at least this many: "for two", "at nine" are whole answers, "five five five" is a number begun. */
export const NUMBER_BEGUN_DIGITS = 3;

/** A recogniser's confidence at or above which a reading counts as sure (pocketsphinx's grammar taken outright: 0.9). */
export const SURE_READING = 0.9;
/** A reading of at most this many words, not sure, may be the misheard start of a sentence. */
export const FRAGMENT_WORDS = 3;

/**
 * A short reading the recogniser was not sure of (pocketsphinx: its language model's reading, 0.4,
 * or a grammar reading it did not take outright): maybe a whole short turn, maybe the misheard
 * first words of a longer one. Not a backchannel or interrupting word alone (those are judged as
 * they are), and nothing from an engine that gives no confidence.
 */
export function isUnsureFragment(text: string, confidence: number | undefined, vocabularyOverReply: readonly string[] = []): boolean {
  if (confidence === undefined || confidence >= SURE_READING) return false;
  const said = normalizeWords(text);
  if (!said || vocabularyOverReply.some((w) => normalizeWords(w) === said)) return false;
  return said.split(' ').length <= FRAGMENT_WORDS;
}

export function isCompleteTurn(text: string, vocabularyOverReply: readonly string[] = []): boolean {
  const said = normalizeWords(text);
  if (!said) return false;
  if (vocabularyOverReply.some((w) => normalizeWords(w) === said)) return false;
  const words = said.split(' ');
  if (LEADING_ON.has(words[words.length - 1])) return false;
  let digits = 0;
  for (let i = words.length - 1; i >= 0; i--) {
    const w = words[i];
    if (/^\d+$/.test(w)) digits += w.length;
    else if (DIGIT_WORDS.has(w)) digits++;
    else break;
  }
  return digits < NUMBER_BEGUN_DIGITS || digits >= WHOLE_NUMBER_DIGITS;
}
