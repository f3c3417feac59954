/**
 * SMS text mode (AT+CMGF=1) helpers. Text mode is what people type on a console and what the
 * simplest firmwares expect, but it cannot carry the user-data header of a concatenated message
 * and shows non-GSM characters only through AT+CSCS="UCS2" (every string then travels as UCS2
 * hex). So: a message that fits one part goes in text mode (UCS2 charset and DCS 8 via AT+CSMP for
 * Cyrillic); a long one needs PDU mode. Pure.
 */
import { splitFields, paramsOf } from '../at/fields.ts';
import { chooseEncoding, splitForSms, type SmsEncoding } from './pdu.ts';
import { decodeUcs2Hex, encodeUcs2Hex, isUcs2Hex } from './ucs2.ts';

export interface TextModeSubmit {
  encoding: SmsEncoding;
  /** The TE character set to select before sending (AT+CSCS). */
  charset: 'GSM' | 'UCS2';
  /** AT+CSMP=<fo>,<vp>,<pid>,<dcs>: DCS 8 marks the body as UCS2. */
  csmp: string;
  /** AT+CMGS argument and the body to type after the prompt, both in that character set. */
  command: string;
  body: string;
}

/** Null when the text does not fit one message (text mode has no concatenation: use PDU mode). */
export function textModeSubmit(to: string, text: string): TextModeSubmit | null {
  const encoding = chooseEncoding(text);
  if (splitForSms(text, encoding).length !== 1) return null;
  const ucs2 = encoding === 'ucs2';
  return {
    encoding,
    charset: ucs2 ? 'UCS2' : 'GSM',
    csmp: `AT+CSMP=17,167,0,${ucs2 ? 8 : 0}`,
    command: `AT+CMGS="${ucs2 ? encodeUcs2Hex(to) : to}"`,
    body: ucs2 ? encodeUcs2Hex(text) : text,
  };
}

export interface TextModeMessage {
  status: string;
  from: string;
  timestamp: string;
  text: string;
}

/**
 * `+CMGR: "REC UNREAD","<oa>","<alpha>","<scts>"` and the text line after it (AT+CMGR's lines),
 * read with AT+CSCS="UCS2" so any alphabet survives: UCS2 hex fields are decoded.
 */
export function parseTextModeCmgr(lines: readonly string[]): TextModeMessage | null {
  const i = lines.findIndex((l) => l.startsWith('+CMGR:'));
  if (i < 0 || i + 1 >= lines.length) return null;
  const f = splitFields(paramsOf(lines[i]));
  const te = (s: string) => (s && isUcs2Hex(s) ? decodeUcs2Hex(s) : s);
  return { status: f[0] ?? '', from: te(f[1] ?? ''), timestamp: f.slice(3).join(','), text: te(lines.slice(i + 1).join('\n')) };
}
