/**
 * UCS2 as the modem writes it in text mode with AT+CSCS="UCS2" and in USSD replies: big-endian
 * UTF-16 code units as uppercase hex (`041F0440`). Characters outside the BMP travel as surrogate
 * pairs, which is what every phone does in practice. Pure.
 */

export function encodeUcs2Hex(text: string): string {
  let s = '';
  for (let i = 0; i < text.length; i++) s += text.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0');
  return s;
}

export function isUcs2Hex(s: string): boolean {
  return s.length > 0 && s.length % 4 === 0 && /^[0-9A-Fa-f]+$/.test(s);
}

export function decodeUcs2Hex(hex: string): string {
  if (!/^[0-9A-Fa-f]*$/.test(hex) || hex.length % 4 !== 0) throw new RangeError('not UCS2 hex: length must be a multiple of 4 hex digits');
  let s = '';
  for (let i = 0; i < hex.length; i += 4) s += String.fromCharCode(parseInt(hex.slice(i, i + 4), 16));
  return s;
}

/** UTF-16BE bytes (SMS user data with DCS 0x08). */
export function encodeUcs2Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[2 * i] = c >> 8;
    out[2 * i + 1] = c & 0xff;
  }
  return out;
}

export function decodeUcs2Bytes(bytes: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode((bytes[i] << 8) | bytes[i + 1]);
  return s;
}
