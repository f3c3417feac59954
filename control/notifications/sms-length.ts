/**
 * Keeping an owner's SMS within a few parts. The modem sends GSM 7-bit when every character is in
 * that alphabet (153 septets a part, the extension characters costing two) and UCS-2 otherwise (67
 * UTF-16 units a part), so one Cyrillic letter or emoji cuts the room to less than half. The
 * alphabet tables live with the modem (gateway/modem/sms), which control/ may not import; this
 * reckons on the safe side instead: only printable ASCII counts as 7-bit, and each part boundary
 * may waste one unit (the splitter never cuts an escape pair or a surrogate pair in half).
 */

/** Printable ASCII and newline, less the backtick, which GSM 03.38 lacks. */
const GSM7_ASCII = /^[\n\x20-\x5F\x61-\x7E]*$/;
/** The characters of that set found only in the extension table: two septets each. */
const GSM7_EXTENSION = new Set(['[', ']', '{', '}', '\\', '~', '^', '|']);
const PART_UNITS = { gsm7: 153, ucs2: 67 } as const;
/** ASCII, so clipping never turns a 7-bit text into UCS-2 (an ellipsis character would). */
const CLIPPED = '...';

type Alphabet = keyof typeof PART_UNITS;

const unitsOf = (ch: string, alphabet: Alphabet) => (alphabet === 'ucs2' ? ch.length : GSM7_EXTENSION.has(ch) ? 2 : 1);

function units(text: string, alphabet: Alphabet): number {
  let n = 0;
  for (const ch of text) n += unitsOf(ch, alphabet);
  return n;
}

/**
 * `body` + `tail`, the body cut short (marked "...") where the whole would need more than `parts`
 * parts; the tail (the link to the message) is always kept whole.
 */
export function clipToSmsParts(body: string, tail: string, parts = 3): string {
  const whole = body + tail;
  const alphabet: Alphabet = GSM7_ASCII.test(whole) ? 'gsm7' : 'ucs2';
  const budget = parts * PART_UNITS[alphabet] - (parts - 1);
  if (units(whole, alphabet) <= budget) return whole;
  let room = budget - units(CLIPPED + tail, alphabet);
  let kept = '';
  for (const ch of body) {
    room -= unitsOf(ch, alphabet);
    if (room < 0) break;
    kept += ch;
  }
  return kept.trimEnd() + CLIPPED + tail;
}
