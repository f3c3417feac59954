/**
 * What the emulated SIM7600 remembers: volatile settings (lost on AT+CRESET, like the real one),
 * the current call, and the SIM's message storage (kept across resets).
 */
import type { SmsEncoding } from '../sms/pdu.ts';

export interface ModemSettings {
  echo: boolean;
  cmee: 0 | 1 | 2;
  clip: boolean;
  crc: boolean;
  clccAuto: boolean;
  cnmi: string;
  cmgf: 0 | 1;
  cscs: string;
  /** 0: ATH hangs up a voice call; 1: ATH is ignored (but says OK). */
  cvhu: 0 | 1;
  /** AT+CPCMFRM: 0 = 8 kHz, 1 = 16 kHz USB audio. */
  pcmfrm: 0 | 1;
  pcmreg: boolean;
  /** Settings we accept and echo back without modelling (AT+CECM, AT+CLVL, ...). */
  other: Map<string, string>;
}

export function powerOnSettings(cvhu: 0 | 1): ModemSettings {
  return {
    echo: true,
    cmee: 0,
    clip: false,
    crc: false,
    clccAuto: false,
    cnmi: '2,1,0,0,0',
    cmgf: 0,
    cscs: 'IRA',
    cvhu,
    pcmfrm: 0,
    pcmreg: false,
    other: new Map(),
  };
}

export type CallPhase = 'ringing' | 'dialing' | 'alerting' | 'active';

export interface EmulatedCall {
  direction: 'in' | 'out';
  number: string;
  phase: CallPhase;
  rings: number;
  createdAt: number;
  answeredAt: number | null;
}

export interface StoredSms {
  index: number;
  from: string;
  text: string;
  encoding: SmsEncoding;
  date: Date;
  read: boolean;
  /** The PDU as stored (SMS-DELIVER hex) and its TPDU length. */
  pdu: string;
  tpduLength: number;
}

export interface SentSms {
  mode: 'text' | 'pdu';
  to: string;
  text: string;
  encoding: string;
  concat?: { ref: number; total: number; seq: number };
  raw: string;
}

/** CLCC state codes. */
export const CLCC_STATE: Record<CallPhase | 'disconnected', number> = {
  active: 0,
  dialing: 2,
  alerting: 3,
  ringing: 4,
  disconnected: 6,
};
