/**
 * The GSM 03.38 default alphabet and its extension table, and septet packing. Pure.
 *
 * A character from the extension table costs two septets (ESC + code); anything outside both
 * tables cannot go as GSM 7-bit and the message must be sent as UCS2.
 */

const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

const EXTENSION: Record<number, string> = {
  0x0a: '\f',
  0x14: '^',
  0x28: '{',
  0x29: '}',
  0x2f: '\\',
  0x3c: '[',
  0x3d: '~',
  0x3e: ']',
  0x40: '|',
  0x65: '€',
};

const ESC = 0x1b;
const basicIndex = new Map<string, number>();
for (let i = 0; i < BASIC.length; i++) if (i !== ESC) basicIndex.set(BASIC[i], i);
const extIndex = new Map<string, number>(Object.entries(EXTENSION).map(([k, v]) => [v, Number(k)]));

/** True when every character fits the default alphabet (+ extension). */
export function isGsm7Encodable(text: string): boolean {
  for (const ch of text) if (!basicIndex.has(ch) && !extIndex.has(ch)) return false;
  return true;
}

/** Text -> septet values (0..127). Throws on a character outside the alphabet. */
export function toSeptets(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const b = basicIndex.get(ch);
    if (b !== undefined) {
      out.push(b);
      continue;
    }
    const e = extIndex.get(ch);
    if (e === undefined) throw new RangeError(`character ${JSON.stringify(ch)} is not in the GSM 7-bit alphabet`);
    out.push(ESC, e);
  }
  return out;
}

/** Septet values -> text. Unknown extension codes fall back to the basic character (as 03.38 says). */
export function fromSeptets(septets: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < septets.length; i++) {
    const v = septets[i] & 0x7f;
    if (v === ESC && i + 1 < septets.length) {
      const next = septets[++i] & 0x7f;
      s += EXTENSION[next] ?? BASIC[next];
    } else if (v !== ESC) {
      s += BASIC[v];
    }
  }
  return s;
}

/** Septets needed for `text` (extension characters count two). */
export function septetLength(text: string): number {
  return toSeptets(text).length;
}

/**
 * Pack septets into octets, starting `fillBits` bits in (the padding after a user-data header so
 * the text starts on a septet boundary).
 */
export function packSeptets(septets: ArrayLike<number>, fillBits = 0): Uint8Array {
  const totalBits = fillBits + septets.length * 7;
  const out = new Uint8Array(Math.ceil(totalBits / 8));
  let bit = fillBits;
  for (let i = 0; i < septets.length; i++) {
    const v = septets[i] & 0x7f;
    const byte = bit >> 3;
    const shift = bit & 7;
    out[byte] |= (v << shift) & 0xff;
    if (shift > 1) out[byte + 1] |= v >> (8 - shift);
    bit += 7;
  }
  return out;
}

/** Unpack `count` septets from octets, skipping `fillBits` first. */
export function unpackSeptets(octets: ArrayLike<number>, count: number, fillBits = 0): number[] {
  const out: number[] = [];
  let bit = fillBits;
  for (let i = 0; i < count; i++) {
    const byte = bit >> 3;
    const shift = bit & 7;
    let v = (octets[byte] ?? 0) >> shift;
    if (shift > 1) v |= (octets[byte + 1] ?? 0) << (8 - shift);
    out.push(v & 0x7f);
    bit += 7;
  }
  return out;
}
