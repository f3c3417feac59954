/**
 * SMS PDUs (3GPP TS 23.040) for AT+CMGF=0: SMS-SUBMIT to send (with a concatenation header for
 * long messages) and SMS-DELIVER to receive. Pure functions over hex strings, which is what the
 * modem speaks. Both directions are here because the emulator needs the mirror image.
 */
import { fromSeptets, isGsm7Encodable, packSeptets, toSeptets, unpackSeptets } from './gsm7.ts';
import { decodeUcs2Bytes, encodeUcs2Bytes } from './ucs2.ts';

export type SmsEncoding = 'gsm7' | 'ucs2';

export interface ConcatInfo {
  ref: number;
  total: number;
  seq: number;
}

const TYPE_INTERNATIONAL = 0x91;
const TYPE_UNKNOWN = 0x81;
const TYPE_ALPHANUMERIC = 0xd0;

const toHex = (b: ArrayLike<number>) => Array.from(b, (x) => x.toString(16).toUpperCase().padStart(2, '0')).join('');

export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.trim();
  if (clean.length % 2 !== 0 || !/^[0-9A-Fa-f]*$/.test(clean)) throw new RangeError('PDU is not an even-length hex string');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function swapBcd(digits: string): number[] {
  const d = digits.length % 2 ? digits + 'F' : digits;
  const out: number[] = [];
  for (let i = 0; i < d.length; i += 2) out.push(parseInt(d[i + 1] + d[i], 16));
  return out;
}

function unswapBcd(bytes: ArrayLike<number>, digits: number): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] & 0x0f).toString(16) + (bytes[i] >> 4).toString(16);
  return s.slice(0, digits).toUpperCase();
}

/** Phone number -> TP-DA/TP-OA octets (length in digits, type of address, swapped BCD). */
export function encodeAddress(number: string): number[] {
  const international = number.startsWith('+');
  const digits = number.replace(/^\+/, '');
  if (!/^[0-9*#]+$/.test(digits)) throw new RangeError(`not a phone number: ${number}`);
  return [digits.length, international ? TYPE_INTERNATIONAL : TYPE_UNKNOWN, ...swapBcd(digits.replace(/\*/g, 'A').replace(/#/g, 'B'))];
}

/** Reads an address at `at`; returns it and the offset just past it. */
export function decodeAddress(b: Uint8Array, at: number): { number: string; next: number } {
  const len = b[at];
  const type = b[at + 1];
  const octets = Math.ceil(len / 2);
  const body = b.subarray(at + 2, at + 2 + octets);
  let number: string;
  if ((type & 0x70) === (TYPE_ALPHANUMERIC & 0x70)) {
    // Alphanumeric sender ("MegaFon"): len counts semi-octets of packed 7-bit text.
    number = fromSeptets(unpackSeptets(body, Math.floor((len * 4) / 7)));
  } else {
    number = unswapBcd(body, len).replace(/A/g, '*').replace(/B/g, '#');
    if ((type & 0x70) === 0x10) number = '+' + number;
  }
  return { number, next: at + 2 + octets };
}

export function chooseEncoding(text: string): SmsEncoding {
  return isGsm7Encodable(text) ? 'gsm7' : 'ucs2';
}

/** Per-message capacity: single message vs one part of a concatenated one (6-octet header). */
const CAPACITY = { gsm7: { single: 160, part: 153 }, ucs2: { single: 70, part: 67 } } as const;

/**
 * Split text into the parts a concatenated SMS needs, never cutting a GSM escape sequence or a
 * UTF-16 surrogate pair in half.
 */
export function splitForSms(text: string, encoding: SmsEncoding = chooseEncoding(text)): string[] {
  const cap = CAPACITY[encoding];
  const cost = (ch: string) => (encoding === 'gsm7' ? toSeptets(ch).length : ch.length);
  let total = 0;
  for (const ch of text) total += cost(ch);
  if (total <= cap.single) return [text];
  const parts: string[] = [];
  let cur = '';
  let used = 0;
  for (const ch of text) {
    const c = cost(ch);
    if (used + c > cap.part) {
      parts.push(cur);
      cur = '';
      used = 0;
    }
    cur += ch;
    used += c;
  }
  if (cur) parts.push(cur);
  return parts;
}

function userData(text: string, encoding: SmsEncoding, concat?: ConcatInfo): { udl: number; ud: Uint8Array } {
  const udh = concat ? [0x05, 0x00, 0x03, concat.ref & 0xff, concat.total, concat.seq] : [];
  if (encoding === 'ucs2') {
    const body = encodeUcs2Bytes(text);
    const ud = new Uint8Array(udh.length + body.length);
    ud.set(udh);
    ud.set(body, udh.length);
    return { udl: ud.length, ud };
  }
  const septets = toSeptets(text);
  const headerBits = udh.length * 8;
  const fill = udh.length ? (7 - (headerBits % 7)) % 7 : 0;
  const packed = packSeptets(septets, fill);
  const ud = new Uint8Array(udh.length + packed.length);
  ud.set(udh);
  ud.set(packed, udh.length);
  return { udl: Math.ceil(headerBits / 7) + septets.length, ud };
}

function readUserData(b: Uint8Array, at: number, dcs: number, udhi: boolean): { text: string; encoding: SmsEncoding | '8bit'; concat?: ConcatInfo } {
  const udl = b[at];
  const ud = b.subarray(at + 1);
  const alphabet = dcsAlphabet(dcs);
  let headerLen = 0;
  let concat: ConcatInfo | undefined;
  if (udhi) {
    headerLen = ud[0] + 1;
    let i = 1;
    while (i < headerLen) {
      const iei = ud[i];
      const len = ud[i + 1];
      if (iei === 0x00 && len === 3) concat = { ref: ud[i + 2], total: ud[i + 3], seq: ud[i + 4] };
      if (iei === 0x08 && len === 4) concat = { ref: (ud[i + 2] << 8) | ud[i + 3], total: ud[i + 4], seq: ud[i + 5] };
      i += 2 + len;
    }
  }
  if (alphabet === 'gsm7') {
    const headerSeptets = Math.ceil((headerLen * 8) / 7);
    const fill = headerLen ? headerSeptets * 7 - headerLen * 8 : 0;
    const septets = unpackSeptets(ud.subarray(headerLen), udl - headerSeptets, fill);
    return { text: fromSeptets(septets), encoding: 'gsm7', concat };
  }
  const body = ud.subarray(headerLen, udl);
  if (alphabet === 'ucs2') return { text: decodeUcs2Bytes(body), encoding: 'ucs2', concat };
  return { text: Buffer.from(body).toString('latin1'), encoding: '8bit', concat };
}

export function dcsAlphabet(dcs: number): SmsEncoding | '8bit' {
  if ((dcs & 0xf0) === 0xf0) return dcs & 0x04 ? '8bit' : 'gsm7';
  if ((dcs & 0x80) === 0) {
    const a = (dcs >> 2) & 0x03;
    return a === 2 ? 'ucs2' : a === 1 ? '8bit' : 'gsm7';
  }
  return 'gsm7';
}

export interface SubmitPdu {
  /** Hex of SCA + TPDU, what follows the `> ` prompt. */
  hex: string;
  /** The <length> of AT+CMGS=<length>: TPDU octets, without the SMSC part. */
  tpduLength: number;
}

/** SMS-SUBMIT PDUs for `text` (one, or several concatenated parts sharing `ref`). */
export function encodeSubmit(to: string, text: string, opts: { ref?: number; encoding?: SmsEncoding } = {}): SubmitPdu[] {
  const encoding = opts.encoding ?? chooseEncoding(text);
  const parts = splitForSms(text, encoding);
  const ref = (opts.ref ?? Math.floor(Math.random() * 256)) & 0xff;
  return parts.map((part, i) => {
    const concat = parts.length > 1 ? { ref, total: parts.length, seq: i + 1 } : undefined;
    const { udl, ud } = userData(part, encoding, concat);
    // First octet: SMS-SUBMIT, relative validity period, UDHI when there is a header.
    const first = 0x11 | (concat ? 0x40 : 0);
    const tpdu = [first, 0x00, ...encodeAddress(to), 0x00, encoding === 'ucs2' ? 0x08 : 0x00, 0xaa, udl, ...ud];
    return { hex: '00' + toHex(tpdu), tpduLength: tpdu.length };
  });
}

export interface DecodedSubmit {
  to: string;
  text: string;
  encoding: SmsEncoding | '8bit';
  concat?: ConcatInfo;
}

export function decodeSubmit(hex: string): DecodedSubmit {
  const b = hexToBytes(hex);
  let at = 1 + b[0]; // skip SCA
  const first = b[at++];
  if ((first & 0x03) !== 0x01) throw new RangeError('not an SMS-SUBMIT PDU');
  at++; // TP-MR
  const da = decodeAddress(b, at);
  at = da.next;
  at++; // PID
  const dcs = b[at++];
  const vpf = (first >> 3) & 0x03;
  at += vpf === 2 ? 1 : vpf === 0 ? 0 : 7;
  const ud = readUserData(b, at, dcs, (first & 0x40) !== 0);
  return { to: da.number, ...ud };
}

export interface DecodedDeliver {
  from: string;
  text: string;
  encoding: SmsEncoding | '8bit';
  /** Service-centre timestamp as ISO 8601 with the sender's offset. */
  timestamp: string;
  concat?: ConcatInfo;
}

function bcdByte(n: number): number {
  const s = String(n).padStart(2, '0');
  return parseInt(s[1] + s[0], 16);
}

function readBcdByte(b: number): number {
  return (b & 0x0f) * 10 + ((b >> 4) & 0x0f);
}

function encodeScts(d: Date, offsetMinutes: number): number[] {
  const local = new Date(d.getTime() + offsetMinutes * 60_000);
  const q = Math.round(Math.abs(offsetMinutes) / 15);
  const tz = bcdByte(q) | (offsetMinutes < 0 ? 0x08 : 0);
  return [
    bcdByte(local.getUTCFullYear() % 100),
    bcdByte(local.getUTCMonth() + 1),
    bcdByte(local.getUTCDate()),
    bcdByte(local.getUTCHours()),
    bcdByte(local.getUTCMinutes()),
    bcdByte(local.getUTCSeconds()),
    tz,
  ];
}

function decodeScts(b: Uint8Array): string {
  const [y, mo, d, h, mi, s] = Array.from(b.subarray(0, 6), readBcdByte);
  const tzRaw = b[6];
  const quarters = readBcdByte(tzRaw & 0xf7);
  const sign = tzRaw & 0x08 ? '-' : '+';
  const off = quarters * 15;
  const p = (n: number) => String(n).padStart(2, '0');
  return `20${p(y)}-${p(mo)}-${p(d)}T${p(h)}:${p(mi)}:${p(s)}${sign}${p(Math.floor(off / 60))}:${p(off % 60)}`;
}

/** An SMS-DELIVER PDU as a modem stores it (emulator side). */
export function encodeDeliver(
  from: string,
  text: string,
  opts: { date?: Date; offsetMinutes?: number; encoding?: SmsEncoding; concat?: ConcatInfo; smsc?: string } = {},
): { hex: string; tpduLength: number } {
  const encoding = opts.encoding ?? chooseEncoding(text);
  const { udl, ud } = userData(text, encoding, opts.concat);
  const first = 0x04 | (opts.concat ? 0x40 : 0); // SMS-DELIVER, no more messages to send
  const tpdu = [
    first,
    ...encodeAddress(from),
    0x00,
    encoding === 'ucs2' ? 0x08 : 0x00,
    ...encodeScts(opts.date ?? new Date(), opts.offsetMinutes ?? 180),
    udl,
    ...ud,
  ];
  const smsc = opts.smsc ? encodeAddress(opts.smsc) : null;
  // The SMSC field's length counts octets (type + digits), unlike TP addresses which count digits.
  const sca = smsc ? [smsc.length - 1, ...smsc.slice(1)] : [0];
  return { hex: toHex([...sca, ...tpdu]), tpduLength: tpdu.length };
}

export function decodeDeliver(hex: string): DecodedDeliver {
  const b = hexToBytes(hex);
  let at = 1 + b[0];
  const first = b[at++];
  if ((first & 0x03) !== 0x00) throw new RangeError('not an SMS-DELIVER PDU');
  const oa = decodeAddress(b, at);
  at = oa.next;
  at++; // PID
  const dcs = b[at++];
  const timestamp = decodeScts(b.subarray(at, at + 7));
  at += 7;
  const ud = readUserData(b, at, dcs, (first & 0x40) !== 0);
  return { from: oa.number, timestamp, ...ud };
}
