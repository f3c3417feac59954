/**
 * Parsing of the status queries (AT+CPIN?, AT+CSQ, AT+CREG?, AT+CEREG?, AT+COPS?, AT+CNUM,
 * AT+CGSN) into one status object. Pure.
 */
import { intField, paramsOf, splitFields } from './at/fields.ts';

export interface ModemStatus {
  sim: string | null;
  /** +CSQ rssi index (0-31, null when 99/unknown). */
  rssi: number | null;
  signalDbm: number | null;
  /** 3GPP registration: 1 home, 5 roaming, 2 searching, 3 denied, 0 not registered. */
  creg: number | null;
  cereg: number | null;
  registered: boolean;
  operator: string | null;
  ownNumber: string | null;
  imei: string | null;
  updatedAt: number | null;
}

export const emptyStatus = (): ModemStatus => ({
  sim: null,
  rssi: null,
  signalDbm: null,
  creg: null,
  cereg: null,
  registered: false,
  operator: null,
  ownNumber: null,
  imei: null,
  updatedAt: null,
});

/** 27.007 +CSQ: 0 -> -113 dBm, 1 -> -111, 2..30 -> -109..-53 (2 dB steps), 31 -> -51 or better, 99 unknown. */
export function csqToDbm(rssi: number): number | null {
  if (rssi === 99 || rssi < 0 || rssi > 31) return null;
  return -113 + 2 * rssi;
}

const find = (lines: readonly string[], prefix: string) => lines.find((l) => l.startsWith(prefix));

export function parseCsq(lines: readonly string[]): { rssi: number | null; signalDbm: number | null } {
  const l = find(lines, '+CSQ:');
  const rssi = l ? intField(splitFields(paramsOf(l))[0]) : null;
  const dbm = rssi === null ? null : csqToDbm(rssi);
  return { rssi: dbm === null ? null : rssi, signalDbm: dbm };
}

/** `+CREG: <n>,<stat>[,...]` (read form): the stat is the second field. */
export function parseRegistration(lines: readonly string[], prefix: '+CREG:' | '+CEREG:'): number | null {
  const l = find(lines, prefix);
  return l ? intField(splitFields(paramsOf(l))[1]) : null;
}

export function parseCops(lines: readonly string[]): string | null {
  const l = find(lines, '+COPS:');
  const f = l ? splitFields(paramsOf(l)) : [];
  return f[2] ? f[2] : null;
}

export function parseCnum(lines: readonly string[]): string | null {
  const l = find(lines, '+CNUM:');
  const f = l ? splitFields(paramsOf(l)) : [];
  return f[1] ? f[1] : null;
}

export function parseCpin(lines: readonly string[]): string | null {
  const l = find(lines, '+CPIN:');
  return l ? paramsOf(l) : null;
}

/** AT+CGSN answers with the bare IMEI (15 digits), some firmwares prefix `+CGSN:`. */
export function parseImei(lines: readonly string[]): string | null {
  for (const l of lines) {
    const m = /(\d{14,16})/.exec(l);
    if (m) return m[1];
  }
  return null;
}

export const isRegistered = (stat: number | null) => stat === 1 || stat === 5;
