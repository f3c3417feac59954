/**
 * Words for matching: Unicode-aware (Russian and English callers), lower case, `ё` folded to `е`,
 * punctuation dropped, very common words removed, and each word cut to a 5-letter stem, which is a
 * crude but effective way to make "доставка/доставку/доставки" or "deliver/delivery" meet.
 */
const STOP = new Set([
  'a', 'an', 'the', 'is', 'are', 'do', 'does', 'you', 'your', 'i', 'we', 'to', 'of', 'in', 'on', 'for', 'and', 'or', 'can', 'what', 'how', 'my', 'me', 'it', 'be', 'at',
  'и', 'в', 'во', 'на', 'не', 'а', 'с', 'со', 'к', 'по', 'у', 'о', 'об', 'ли', 'же', 'вы', 'я', 'мы', 'как', 'что', 'это', 'ваш', 'ваши', 'вас', 'нас', 'мне', 'до', 'за', 'из', 'есть',
]);

export function words(text: string): string[] {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter((w) => w && !STOP.has(w));
}

export const stem = (w: string): string => (w.length > 5 ? w.slice(0, 5) : w);

export const stems = (text: string): Set<string> => new Set(words(text).map(stem));
