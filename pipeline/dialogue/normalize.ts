/**
 * Text normalisation for matching what a caller said (through an imperfect STT) against expected
 * phrases: lower case, ё -> е, punctuation dropped, crude stemming and stop words for English and
 * Russian. "Stem-ish" is deliberate: a real stemmer would not help against STT errors, which fuzzy
 * token similarity (similarity.ts) handles; stemming only has to make "hours"/"hour" and
 * "работаете"/"работает" meet.
 */

const STOP_WORDS = new Set([
  // English
  'a', 'an', 'the', 'is', 'are', 'am', 'be', 'was', 'were', 'do', 'does', 'did', 'you', 'your', 'yours', 'i', 'me', 'my',
  'we', 'our', 'us', 'it', 'its', 'to', 'of', 'in', 'on', 'at', 'for', 'and', 'or', 'please', 'can', 'could', 'would',
  'will', 'shall', 'what', 'is', 'this', 'that', 'there', 'here', 'hi', 'hello', 'um', 'uh', 'so', 'just', 'like',
  'tell', 'know', 'want', 'some', 'any', 'with', 'about', 'have', 'has', 'get', 'let',
  // Russian
  'а', 'и', 'в', 'во', 'на', 'с', 'со', 'к', 'ко', 'у', 'о', 'об', 'по', 'за', 'из', 'от', 'до', 'для', 'же', 'ли', 'бы',
  'вы', 'вас', 'вам', 'ваш', 'ваша', 'ваше', 'ваши', 'я', 'мне', 'меня', 'мы', 'нас', 'нам', 'это', 'этот', 'эта', 'то',
  'как', 'что', 'подскажите', 'скажите', 'пожалуйста', 'здравствуйте', 'привет', 'ну', 'вот', 'а', 'можно', 'хочу',
  'хотел', 'хотела', 'бы', 'есть', 'у', 'мне',
]);

export function normalizeText(text: string): string {
  return text
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/[’']/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function tokenize(text: string): string[] {
  const n = normalizeText(text);
  return n ? n.split(' ') : [];
}

const RU_SUFFIXES = [
  'ующими', 'ениями', 'ениях', 'ением', 'аетесь', 'аемся', 'ается', 'аете', 'яете', 'аешь', 'ают', 'яют', 'ения', 'ение', 'ами', 'ями', 'ого', 'его', 'ому', 'ему', 'ыми', 'ими',
  'ете', 'ешь', 'ает', 'яет', 'ите', 'ать', 'ять', 'ить', 'еть', 'уть', 'ует', 'ют', 'ут', 'ат', 'ят', 'ах', 'ях', 'ов',
  'ев', 'ей', 'ой', 'ый', 'ий', 'ая', 'яя', 'ое', 'ее', 'ые', 'ие', 'ую', 'юю', 'ом', 'ем', 'ам', 'ям', 'ия', 'ья', 'ью',
  'а', 'я', 'о', 'е', 'ы', 'и', 'у', 'ю', 'ь', 'й',
];
const EN_SUFFIXES = ['ations', 'ation', 'ings', 'ing', 'edly', 'ed', 'ies', 'es', 's', 'ly'];

/** Strip one common inflection; keeps at least 3 letters so short words survive. */
export function stem(token: string): string {
  const cyrillic = /[а-я]/.test(token);
  const suffixes = cyrillic ? RU_SUFFIXES : EN_SUFFIXES;
  for (const suf of suffixes) {
    if (token.length - suf.length >= 3 && token.endsWith(suf)) {
      let s = token.slice(0, -suf.length);
      if (!cyrillic && suf === 'ies') s += 'y';
      return s;
    }
  }
  return token;
}

export function isStopWord(token: string): boolean {
  return STOP_WORDS.has(token);
}

/** Content stems of a text: what matching compares. Falls back to all tokens for all-stop-word text. */
export function contentStems(text: string): string[] {
  const tokens = tokenize(text);
  const content = tokens.filter((t) => !isStopWord(t));
  return (content.length ? content : tokens).map(stem);
}
