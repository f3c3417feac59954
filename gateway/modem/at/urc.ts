/**
 * Unsolicited result codes of the SIM7600 as typed events. Pure: `parseUrc(line)` says what a line
 * is, or null when it is not a URC we know (the engine then treats it as part of a response, or
 * as noise when no command runs).
 */
import { intField, paramsOf, splitFields } from './fields.ts';

export type CpinState = 'READY' | 'SIM PIN' | 'SIM PUK' | 'NOT READY' | 'NOT INSERTED' | string;

export type Urc =
  | { type: 'ring' }
  /** `+CRING: VOICE` (AT+CRC=1). */
  | { type: 'cring'; kind: string }
  /** `+CLIP: "<number>",<type>,...,<cli validity>`: the caller id after each RING (AT+CLIP=1). */
  | { type: 'clip'; number: string; numberType: number | null; validity: number | null }
  | { type: 'voice_call_begin' }
  /** `VOICE CALL: END: HHMMSS`: the call is over; the modem gives its duration. */
  | { type: 'voice_call_end'; durationS: number | null }
  | { type: 'no_carrier' }
  | { type: 'busy' }
  | { type: 'no_answer' }
  /** `MISSED_CALL: 10:15AM +79161234567`. */
  | { type: 'missed_call'; time: string; number: string }
  /** `+CLCC: <idx>,<dir>,<stat>,<mode>,<mpty>[,"<number>",<type>]` (auto-reported with AT+CLCC=1). */
  | { type: 'clcc'; call: ClccEntry }
  | { type: 'rxdtmf'; digit: string }
  | { type: 'cmti'; storage: string; index: number }
  /** `+CUSD: <m>[,"<str>",<dcs>]`; `text` is still encoded as the modem sent it (see sms/ussd.ts). */
  | { type: 'cusd'; status: number; text: string | null; dcs: number | null }
  | { type: 'cpin'; state: CpinState }
  | { type: 'rdy' }
  | { type: 'sms_done' }
  | { type: 'pb_done' }
  | { type: 'creg'; stat: number | null }
  | { type: 'cereg'; stat: number | null };

export interface ClccEntry {
  index: number;
  /** 0 = mobile originated (we dialled), 1 = mobile terminated (incoming). */
  direction: 0 | 1;
  /** 0 active, 1 held, 2 dialing, 3 alerting, 4 incoming, 5 waiting, 6 disconnected. */
  state: number;
  mode: number;
  multiparty: boolean;
  number: string | null;
  numberType: number | null;
}

export type UrcType = Urc['type'];

export function parseClcc(line: string): ClccEntry | null {
  const f = splitFields(paramsOf(line));
  const index = intField(f[0]);
  const dir = intField(f[1]);
  const state = intField(f[2]);
  if (index === null || (dir !== 0 && dir !== 1) || state === null) return null;
  return {
    index,
    direction: dir,
    state,
    mode: intField(f[3]) ?? 0,
    multiparty: f[4] === '1',
    number: f[5] ? f[5] : null,
    numberType: intField(f[6]),
  };
}

/** `000125` (HHMMSS) -> 85 s; plain digits of another length are taken as seconds. */
export function parseCallDuration(s: string): number | null {
  const t = s.trim();
  if (/^\d{6}$/.test(t)) return Number(t.slice(0, 2)) * 3600 + Number(t.slice(2, 4)) * 60 + Number(t.slice(4, 6));
  const hms = /^(\d+):(\d{2}):(\d{2})$/.exec(t);
  if (hms) return Number(hms[1]) * 3600 + Number(hms[2]) * 60 + Number(hms[3]);
  const ms = /^(\d+):(\d{2})$/.exec(t);
  if (ms) return Number(ms[1]) * 60 + Number(ms[2]);
  return /^\d+$/.test(t) ? Number(t) : null;
}

export function parseUrc(line: string): Urc | null {
  switch (line) {
    case 'RING':
      return { type: 'ring' };
    case 'VOICE CALL: BEGIN':
      return { type: 'voice_call_begin' };
    case 'NO CARRIER':
      return { type: 'no_carrier' };
    case 'BUSY':
      return { type: 'busy' };
    case 'NO ANSWER':
      return { type: 'no_answer' };
    case 'RDY':
      return { type: 'rdy' };
    case 'SMS DONE':
      return { type: 'sms_done' };
    case 'PB DONE':
      return { type: 'pb_done' };
  }
  if (line.startsWith('VOICE CALL: END')) {
    const rest = line.slice('VOICE CALL: END'.length).replace(/^:\s*/, '');
    return { type: 'voice_call_end', durationS: rest ? parseCallDuration(rest) : null };
  }
  if (line.startsWith('MISSED_CALL:')) {
    const m = /^MISSED_CALL:\s*(\S+)\s*(.*)$/.exec(line);
    return { type: 'missed_call', time: m?.[1] ?? '', number: (m?.[2] ?? '').trim() };
  }
  const colon = line.indexOf(':');
  if (colon < 0 || line[0] !== '+') return null;
  const name = line.slice(0, colon);
  const f = splitFields(paramsOf(line));
  switch (name) {
    case '+CRING':
      return { type: 'cring', kind: f[0] ?? '' };
    case '+CLIP':
      return { type: 'clip', number: f[0] ?? '', numberType: intField(f[1]), validity: intField(f[5]) };
    case '+CLCC': {
      const call = parseClcc(line);
      return call ? { type: 'clcc', call } : null;
    }
    case '+RXDTMF':
      return f[0] ? { type: 'rxdtmf', digit: f[0] } : null;
    case '+CMTI': {
      const index = intField(f[1]);
      return index === null ? null : { type: 'cmti', storage: f[0] ?? '', index };
    }
    case '+CUSD': {
      const status = intField(f[0]);
      if (status === null) return null;
      return { type: 'cusd', status, text: f.length > 1 ? f[1] : null, dcs: intField(f[2]) };
    }
    case '+CPIN':
      return { type: 'cpin', state: f[0] ?? '' };
    case '+CREG':
      // URC form is `+CREG: <stat>` (n=1) or `+CREG: <stat>,<lac>,<ci>` (n=2).
      return { type: 'creg', stat: intField(f[0]) };
    case '+CEREG':
      return { type: 'cereg', stat: intField(f[0]) };
  }
  return null;
}
