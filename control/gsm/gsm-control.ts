/**
 * What the admin API needs from the GSM modem, as an interface the gateway's modem transport
 * implements (gateway/modem/ knows AT commands; the control plane only asks). Until the gateway
 * attaches one (ControlPlaneOptions.gsm or cp.setGsm), every /admin/gsm route that needs the
 * modem answers 503 `modem_unavailable`.
 */
import type { CallHandling } from '../settings/call-handling.ts';

export interface GsmStatus {
  /** The serial link is up and the modem answers AT. */
  connected: boolean;
  /** Registered on a network (home or roaming). */
  registered?: boolean;
  operator?: string | null;
  /** Received signal strength in dBm (from AT+CSQ), when known. */
  signal_dbm?: number | null;
  sim_ready?: boolean;
  /** Calls in progress. */
  calls?: Array<{ id: string; direction: 'in' | 'out'; number: string | null; state: string }>;
  /** Anything else the modem wants to show (model, IMEI, firmware). */
  details?: Record<string, unknown>;
}

export interface GsmControl {
  status(): Promise<GsmStatus>;
  /** Place a call; resolves once the modem accepted the dial (not when answered). */
  dial(number: string): Promise<{ call_id: string }>;
  /** Hang up one call, or every call when no id is given. Resolves to the number of calls ended. */
  hangUp(callId?: string): Promise<number>;
  /** Send an SMS (long texts split by the modem layer); resolves with the message references. */
  sendSms(to: string, text: string): Promise<{ references: number[] }>;
  /** Run a USSD code (`*100#`); resolves with the network's answer, decoded. */
  ussd(code: string, timeoutMs: number): Promise<{ response: string }>;
  /** Send one raw AT command and collect its answer lines until OK/ERROR (the admin route whitelists commands). */
  at(command: string, timeoutMs: number): Promise<{ ok: boolean; lines: string[] }>;
  /** Who is answered and when as the modem's environment says (what a stored `modem.call_handling` replaces). */
  environmentCallHandling?(): CallHandling;
}

/**
 * Commands the AT console may send: read-only queries that cannot change the modem's
 * configuration, dial, reveal stored messages or disturb a live call's audio channel.
 */
export const AT_WHITELIST: readonly string[] = [
  'AT', 'ATI', 'AT+CSQ', 'AT+CREG?', 'AT+CGREG?', 'AT+CEREG?', 'AT+COPS?', 'AT+CPIN?', 'AT+CICCID', 'AT+CCID',
  'AT+CGSN', 'AT+CGMI', 'AT+CGMM', 'AT+CGMR', 'AT+CPSI?', 'AT+CNMP?', 'AT+CLCC', 'AT+CBC', 'AT+CPMS?',
  'AT+CMGF?', 'AT+CSCS?', 'AT+CPCMREG?', 'AT+CSUB', 'AT+CNUM', 'AT+CFUN?', 'AT+CMEE?',
];

/** The whitelisted form of a console command, or null: one command, no chaining, no line breaks. */
export function whitelistedAt(command: string): string | null {
  const c = command.trim().toUpperCase();
  return AT_WHITELIST.includes(c) ? c : null;
}
