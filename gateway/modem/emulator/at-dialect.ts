/**
 * The SIM7600 AT dialect as the emulator speaks it: one function per command family, replying
 * through the host (the emulator). Each handler writes its information lines and its final result
 * in the order the real module does (e.g. ATA: `VOICE CALL: BEGIN` before `OK`).
 */
import { splitFields } from '../at/fields.ts';
import { decodeSubmit } from '../sms/pdu.ts';
import { decodeUcs2Hex, encodeUcs2Hex, isUcs2Hex } from '../sms/ucs2.ts';
import { isGsm7Encodable } from '../sms/gsm7.ts';
import type { EmulatedCall, ModemSettings, SentSms, StoredSms } from './modem-state.ts';

/** What a handler may do to the emulated module. */
export interface DialectHost {
  settings: ModemSettings;
  call: EmulatedCall | null;
  readonly sms: Map<number, StoredSms>;
  readonly dtmfSent: string[];
  readonly opts: { imei: string; ownNumber: string; operatorName: string; rssi: number; ussdDelayMs: number };
  respond(...lines: string[]): void;
  urc(line: string): void;
  cmeError(text: string, code: number): string;
  promptForText(onBody: (body: string | null) => void): void;
  later(ms: number, fn: () => void): void;
  answer(): boolean;
  dial(number: string): boolean;
  hangupLocal(by: 'chup' | 'ath'): boolean;
  athIgnored(): void;
  setPcmReg(on: boolean): void;
  recordSentSms(sms: SentSms): void;
  ussdReply(code: string): string;
  reset(): void;
  clccLines(): string[];
}

type Kind = 'exec' | 'read' | 'test' | 'set';

const OK = 'OK';
const NOT_ALLOWED = ['operation not allowed', 3] as const;

/** Settings the module accepts and reads back without modelling them. */
const PLAIN_SETTINGS = new Set([
  '+CECM', '+CECWB', '+CECRX', '+CNSN', '+CNSLIM', '+CMICGAIN', '+COUTGAIN', '+CLVL', '+CTXVOL', '+CRXVOL',
  '+CNMP', '+CTZU', '+CSDVC', '+CSMP', '+CPMS', '+CSCA', '+CGDCONT', '+CFUN', '+CPCMBANDWIDTH', '+CSCLK', '+CMUT',
]);

export function handleCommand(host: DialectHost, raw: string): void {
  const cmd = raw.trim();
  const upper = cmd.toUpperCase();
  if (!upper.startsWith('AT')) {
    host.respond('ERROR');
    return;
  }
  if (upper === 'AT') return host.respond(OK);
  const basic = handleBasic(host, cmd, upper);
  if (basic) return;
  const m = /^AT([+$^][A-Z0-9]+)(=\?|\?|=(.*))?$/i.exec(cmd);
  if (!m) return host.respond('ERROR');
  const name = m[1].toUpperCase();
  const kind: Kind = m[2] === '=?' ? 'test' : m[2] === '?' ? 'read' : m[2] ? 'set' : 'exec';
  const args = m[3] ?? '';
  handleExtended(host, name, kind, args);
}

function handleBasic(host: DialectHost, cmd: string, upper: string): boolean {
  const s = host.settings;
  if (upper === 'ATE0' || upper === 'ATE1') {
    s.echo = upper === 'ATE1';
    host.respond(OK);
    return true;
  }
  if (upper === 'ATI') {
    host.respond('Manufacturer: SIMCOM INCORPORATED', 'Model: SIMCOM_SIM7600E-H', 'Revision: SIM7600M22_V2.0', `IMEI: ${host.opts.imei}`, '+GCAP: +CGSM', OK);
    return true;
  }
  if (upper === 'ATA') {
    if (host.answer()) host.respond(OK);
    else host.respond('NO CARRIER');
    return true;
  }
  if (upper === 'ATH' || upper === 'ATH0') {
    if (host.call && host.call.phase === 'active' && s.cvhu === 1) {
      // The trap: OK, and the call carries on.
      host.athIgnored();
      host.respond(OK);
      return true;
    }
    host.hangupLocal('ath');
    host.respond(OK);
    return true;
  }
  if (upper.startsWith('ATD')) {
    const voice = cmd.endsWith(';');
    const number = cmd.slice(3).replace(/;$/, '').trim();
    if (!voice || !/^\+?[0-9*#]+$/.test(number)) {
      host.respond('ERROR');
      return true;
    }
    if (!host.dial(number)) host.respond(host.cmeError(...NOT_ALLOWED));
    else host.respond(OK);
    return true;
  }
  if (upper === 'ATZ' || upper === 'AT&F' || upper === 'AT&W' || /^ATS0=\d+$/.test(upper) || /^ATV1$/.test(upper)) {
    host.respond(OK);
    return true;
  }
  return false;
}

function handleExtended(host: DialectHost, name: string, kind: Kind, args: string): void {
  const s = host.settings;
  const f = splitFields(args);
  const flag = (v: string | undefined) => v === '1';
  switch (name) {
    case '+CMEE':
      if (kind === 'read') return host.respond(`+CMEE: ${s.cmee}`, OK);
      if (kind === 'set' && ['0', '1', '2'].includes(f[0])) {
        s.cmee = Number(f[0]) as 0 | 1 | 2;
        return host.respond(OK);
      }
      return host.respond(kind === 'test' ? '+CMEE: (0-2)' : 'ERROR', ...(kind === 'test' ? [OK] : []));
    case '+CLIP':
      if (kind === 'read') return host.respond(`+CLIP: ${s.clip ? 1 : 0},1`, OK);
      s.clip = flag(f[0]);
      return host.respond(OK);
    case '+CRC':
      if (kind === 'read') return host.respond(`+CRC: ${s.crc ? 1 : 0}`, OK);
      s.crc = flag(f[0]);
      return host.respond(OK);
    case '+CVHU':
      if (kind === 'read') return host.respond(`+CVHU: ${s.cvhu}`, OK);
      if (kind === 'test') return host.respond('+CVHU: (0-1)', OK);
      if (f[0] !== '0' && f[0] !== '1') return host.respond(host.cmeError('invalid input value', 50));
      s.cvhu = Number(f[0]) as 0 | 1;
      return host.respond(OK);
    case '+CNMI':
      if (kind === 'read') return host.respond(`+CNMI: ${s.cnmi}`, OK);
      s.cnmi = f.join(',');
      return host.respond(OK);
    case '+CMGF':
      if (kind === 'read') return host.respond(`+CMGF: ${s.cmgf}`, OK);
      s.cmgf = f[0] === '1' ? 1 : 0;
      return host.respond(OK);
    case '+CSCS':
      if (kind === 'read') return host.respond(`+CSCS: "${s.cscs}"`, OK);
      if (kind === 'test') return host.respond('+CSCS: ("IRA","GSM","UCS2")', OK);
      if (!['IRA', 'GSM', 'UCS2'].includes(f[0]?.toUpperCase())) return host.respond(host.cmeError('invalid characters in text string', 25));
      s.cscs = f[0].toUpperCase();
      return host.respond(OK);
    case '+CPIN':
      if (kind === 'read') return host.respond('+CPIN: READY', OK);
      return host.respond(host.cmeError(...NOT_ALLOWED));
    case '+CSQ':
      return host.respond(`+CSQ: ${host.opts.rssi},99`, OK);
    case '+CREG':
    case '+CEREG':
    case '+CGREG':
      if (kind === 'read') return host.respond(`${name}: ${s.other.get(name) ?? '0'},1`, OK);
      s.other.set(name, f[0] ?? '0');
      return host.respond(OK);
    case '+COPS':
      if (kind === 'read') return host.respond(`+COPS: 0,0,"${host.opts.operatorName}",7`, OK);
      return host.respond(OK);
    case '+CNUM':
      return host.respond(`+CNUM: "","${host.opts.ownNumber}",145`, OK);
    case '+CGSN':
      return host.respond(host.opts.imei, OK);
    case '+CGMI':
      return host.respond('SIMCOM INCORPORATED', OK);
    case '+CGMM':
      return host.respond('SIMCOM_SIM7600E-H', OK);
    case '+CGMR':
      return host.respond('+CGMR: LE20B04SIM7600M22', OK);
    case '+CLCC':
      if (kind === 'set') {
        s.clccAuto = flag(f[0]);
        return host.respond(OK);
      }
      if (kind === 'read') return host.respond(`+CLCC: ${s.clccAuto ? 1 : 0}`, OK);
      return host.respond(...host.clccLines(), OK);
    case '+CHUP':
      host.hangupLocal('chup');
      return host.respond(OK);
    case '+VTS': {
      if (!host.call || host.call.phase !== 'active') return host.respond(host.cmeError(...NOT_ALLOWED));
      const digits = (f[0] ?? '').replace(/[{}]/g, '');
      if (!/^[0-9*#A-D]+$/i.test(digits)) return host.respond(host.cmeError('invalid input value', 50));
      host.dtmfSent.push(...digits.split(''));
      return host.respond(OK);
    }
    case '+CPCMREG':
      if (kind === 'read') return host.respond(`+CPCMREG: ${s.pcmreg ? 1 : 0}`, OK);
      if (kind === 'test') return host.respond('+CPCMREG: (0,1)', OK);
      if (f[0] === '1') {
        if (!host.call || host.call.phase !== 'active') return host.respond(host.cmeError(...NOT_ALLOWED));
        host.setPcmReg(true);
        return host.respond(OK);
      }
      if (f[0] === '0') {
        host.setPcmReg(false);
        return host.respond(OK);
      }
      return host.respond(host.cmeError('invalid input value', 50));
    case '+CPCMFRM':
      if (kind === 'read') return host.respond(`+CPCMFRM: ${s.pcmfrm}`, OK);
      if (kind === 'test') return host.respond('+CPCMFRM: (0,1)', OK);
      if (f[0] !== '0' && f[0] !== '1') return host.respond(host.cmeError('invalid input value', 50));
      if (s.pcmreg) return host.respond(host.cmeError(...NOT_ALLOWED));
      s.pcmfrm = Number(f[0]) as 0 | 1;
      return host.respond(OK);
    case '+CRESET':
      host.respond(OK);
      host.reset();
      return;
    case '+CMGS':
      return sendSms(host, kind, f);
    case '+CMGR':
      return readSms(host, Number(f[0]));
    case '+CMGD': {
      const index = Number(f[0]);
      if (f[1] === '4') host.sms.clear();
      else if (!host.sms.delete(index) && !(f[1] && f[1] !== '0')) return host.respond('+CMS ERROR: 321');
      return host.respond(OK);
    }
    case '+CMGL':
      return listSms(host, f[0] ?? '');
    case '+CUSD':
      return ussd(host, kind, f);
  }
  if (PLAIN_SETTINGS.has(name)) {
    if (kind === 'read') return host.respond(`${name}: ${s.other.get(name) ?? '0'}`, OK);
    if (kind === 'set') s.other.set(name, args);
    return host.respond(OK);
  }
  host.respond('ERROR');
}

/** Text in the TE character set: UCS2 hex when AT+CSCS="UCS2", else the text itself. */
function fromTe(host: DialectHost, s: string): string {
  return host.settings.cscs === 'UCS2' && isUcs2Hex(s) ? decodeUcs2Hex(s) : s;
}

function toTe(host: DialectHost, s: string): string {
  if (host.settings.cscs === 'UCS2') return encodeUcs2Hex(s);
  // What a real module does with characters the GSM set cannot show: they come out mangled.
  return isGsm7Encodable(s) ? s : s.replace(/[^\x20-\x7e]/g, '?');
}

function sendSms(host: DialectHost, kind: Kind, f: string[]): void {
  if (kind !== 'set') return host.respond(kind === 'test' ? OK : 'ERROR');
  if (host.settings.cmgf === 1) {
    const to = fromTe(host, f[0] ?? '');
    host.promptForText((body) => {
      if (body === null) return host.respond(OK); // ESC: cancelled
      const text = fromTe(host, body);
      host.recordSentSms({ mode: 'text', to, text, encoding: host.settings.cscs, raw: body });
      host.respond(`+CMGS: ${nextMr()}`, OK);
    });
    return;
  }
  const length = Number(f[0]);
  host.promptForText((body) => {
    if (body === null) return host.respond(OK);
    try {
      const pdu = body.trim();
      const smscOctets = parseInt(pdu.slice(0, 2), 16) + 1;
      if (pdu.length / 2 - smscOctets !== length) return host.respond('+CMS ERROR: 304');
      const d = decodeSubmit(pdu);
      host.recordSentSms({ mode: 'pdu', to: d.to, text: d.text, encoding: d.encoding, concat: d.concat, raw: pdu });
      host.respond(`+CMGS: ${nextMr()}`, OK);
    } catch {
      host.respond('+CMS ERROR: 304');
    }
  });
}

let mr = 0;
const nextMr = () => (mr = (mr + 1) % 256);

function scts(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  // Moscow time, +12 quarter hours, the way the module prints it.
  const m = new Date(d.getTime() + 3 * 3600_000);
  return `${p(m.getUTCFullYear() % 100)}/${p(m.getUTCMonth() + 1)}/${p(m.getUTCDate())},${p(m.getUTCHours())}:${p(m.getUTCMinutes())}:${p(m.getUTCSeconds())}+12`;
}

function readSms(host: DialectHost, index: number): void {
  const msg = host.sms.get(index);
  if (!msg) return host.respond('+CMS ERROR: 321');
  const wasRead = msg.read;
  msg.read = true;
  if (host.settings.cmgf === 1) {
    const stat = wasRead ? 'REC READ' : 'REC UNREAD';
    return host.respond(`+CMGR: "${stat}","${toTe(host, msg.from)}","","${scts(msg.date)}"`, toTe(host, msg.text), OK);
  }
  host.respond(`+CMGR: ${wasRead ? 1 : 0},,${msg.tpduLength}`, msg.pdu, OK);
}

function listSms(host: DialectHost, which: string): void {
  const lines: string[] = [];
  for (const msg of [...host.sms.values()].sort((a, b) => a.index - b.index)) {
    const unread = !msg.read;
    if (host.settings.cmgf === 1) {
      if (which === 'REC UNREAD' && !unread) continue;
      lines.push(`+CMGL: ${msg.index},"${unread ? 'REC UNREAD' : 'REC READ'}","${toTe(host, msg.from)}","","${scts(msg.date)}"`, toTe(host, msg.text));
    } else {
      if (which === '0' && !unread) continue;
      lines.push(`+CMGL: ${msg.index},${unread ? 0 : 1},,${msg.tpduLength}`, msg.pdu);
    }
    msg.read = true;
  }
  host.respond(...lines, OK);
}

function ussd(host: DialectHost, kind: Kind, f: string[]): void {
  if (kind === 'read') return host.respond('+CUSD: 1', OK);
  if (kind === 'test') return host.respond('+CUSD: (0-2)', OK);
  if (f[0] === '2') return host.respond(OK);
  const code = fromTe(host, f[1] ?? '');
  if (!code) return host.respond(OK);
  host.respond(OK);
  host.later(host.opts.ussdDelayMs, () => host.urc(`+CUSD: 0,"${encodeUcs2Hex(host.ussdReply(code))}",72`));
}
