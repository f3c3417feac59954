/**
 * Yes/no in English and Russian, from STT text. Negation wins ("no, that's not right" is no) and
 * fuzzy matching catches STT variants ("yeah", "yep", "даа").
 */
import { tokenize } from './normalize.ts';
import { tokenSimilarity } from './similarity.ts';

const YES = ['yes', 'yeah', 'yep', 'yup', 'sure', 'correct', 'right', 'ok', 'okay', 'affirmative', 'exactly', 'absolutely',
  'да', 'ага', 'угу', 'верно', 'правильно', 'конечно', 'точно', 'хорошо', 'давайте'];
const NO = ['no', 'nope', 'nah', 'wrong', 'incorrect', 'not', 'нет', 'неверно', 'неправильно', 'не', 'ошибка'];

export type YesNo = 'yes' | 'no';

export function classifyYesNo(text: string): YesNo | null {
  const tokens = tokenize(text);
  const has = (words: string[]) => tokens.some((t) => words.some((w) => sameWord(w, t)));
  if (has(NO)) return 'no';
  if (has(YES)) return 'yes';
  return null;
}

/** Short words must match exactly (or with a drawn-out last letter: "даа", "yess"); longer ones fuzzily. */
function sameWord(word: string, token: string): boolean {
  if (word.length <= 3) {
    if (token === word) return true;
    const last = word[word.length - 1];
    return token.startsWith(word) && [...token.slice(word.length)].every((c) => c === last);
  }
  return tokenSimilarity(word, token) >= 0.8;
}
