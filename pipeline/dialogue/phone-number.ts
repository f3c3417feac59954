/**
 * Callback numbers from STT text: digits may come as digits ("555 12 34"), as words ("five five
 * five one two"), or mixed, in English or Russian, with "double"/"oh" as telephone speech has them.
 */
import { normalizeText } from './normalize.ts';

const DIGIT_WORDS: Record<string, string> = {
  zero: '0', oh: '0', o: '0', one: '1', two: '2', to: '2', too: '2', three: '3', four: '4', for: '4', five: '5', six: '6',
  seven: '7', eight: '8', nine: '9', ten: '10', eleven: '11', twelve: '12',
  ноль: '0', нуль: '0', один: '1', одна: '1', два: '2', две: '2', три: '3', четыре: '4', пять: '5', шесть: '6',
  семь: '7', восемь: '8', девять: '9', десять: '10',
};

/** Digits in the order spoken ("+" kept at the start); '' when there are none. */
export function extractPhoneNumber(text: string): string {
  const plus = /^\s*\+/.test(text) || /\bplus\b|плюс/i.test(text);
  const tokens = normalizeText(text).split(' ');
  let digits = '';
  let repeat = 1;
  for (const t of tokens) {
    if (t === 'double' || t === 'двойной') { repeat = 2; continue; }
    if (t === 'triple' || t === 'тройной') { repeat = 3; continue; }
    const d = /^\d+$/.test(t) ? t : DIGIT_WORDS[t];
    if (d === undefined) { repeat = 1; continue; }
    digits += d.repeat(repeat);
    repeat = 1;
  }
  return digits && plus ? `+${digits}` : digits;
}

/** "5551234" -> "5 5 5, 1 2 3 4": read digit by digit in groups so TTS does not say "five million". */
export function speakableNumber(number: string): string {
  const digits = number.replace(/[^\d+]/g, '');
  const groups: string[] = [];
  const body = digits.replace(/^\+/, '');
  for (let i = 0; i < body.length; i += 3) groups.push(body.slice(i, i + 3).split('').join(' '));
  return (digits.startsWith('+') ? 'plus ' : '') + groups.join(', ');
}

/** Digits only, Russia's domestic 8XXXXXXXXXX folded into 7XXXXXXXXXX, so lists of numbers match any spelling of a caller id. */
export function phoneNumberKey(number: string): string {
  let d = number.replace(/[^0-9]/g, '');
  if (d.length === 11 && d.startsWith('8')) d = '7' + d.slice(1);
  return d;
}
