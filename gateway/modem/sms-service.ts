/**
 * SMS and USSD on the modem. PDU mode (AT+CMGF=0, the init default) so Cyrillic goes as UCS2 and
 * long texts as concatenated parts; text mode (AT+CMGF=1) too, for short messages (sms/text-mode.ts). Incoming: +CMTI -> AT+CMGR -> decode -> AT+CMGD,
 * parts of a long message reassembled before it is delivered. USSD: AT+CUSD=1,"code",15 and the
 * +CUSD reply decoded (UCS2 when the network says so, as Russian operators do for balances).
 * An auto-reply hook (off unless given) can answer each incoming SMS.
 */
import { EventEmitter } from 'node:events';
import { decodeDeliver, encodeSubmit } from './sms/pdu.ts';
import { decodeUcs2Hex, isUcs2Hex } from './sms/ucs2.ts';
import { parseTextModeCmgr, textModeSubmit, type TextModeSubmit } from './sms/text-mode.ts';
import type { Urc } from './at/urc.ts';
import type { Modem } from './modem.ts';

export interface ReceivedSms {
  from: string;
  text: string;
  timestamp: string;
  /** SIM slots it occupied (deleted once read). */
  indexes: number[];
}

export type SmsEvents = { sms: [ReceivedSms]; error: [Error] };

export interface SmsServiceOptions {
  /** Answer an incoming SMS (FAQ/LLM); return null for no reply. Off when absent. */
  autoReply?: (sms: ReceivedSms) => Promise<string | null>;
  ussdTimeoutMs?: number;
}

interface PartialMessage {
  parts: Map<number, { text: string; index: number }>;
  total: number;
  from: string;
  timestamp: string;
}

export class SmsService extends EventEmitter<SmsEvents> {
  private readonly partials = new Map<string, PartialMessage>();
  private ussdWaiter: ((u: Extract<Urc, { type: 'cusd' }>) => void) | null = null;
  private lock: Promise<void> = Promise.resolve();

  constructor(
    private readonly modem: Modem,
    private readonly opts: SmsServiceOptions = {},
  ) {
    super();
    modem.on('urc', (u) => {
      if (u.type === 'cmti') void this.receive(u.index).catch((err: Error) => this.reportError(err));
      if (u.type === 'cusd') this.ussdWaiter?.(u);
    });
  }

  /**
   * Send `text`. Resolves with the message references (one per part). In PDU mode (the default)
   * GSM-7 or UCS2 is chosen per message and long texts go as concatenated parts. In text mode a
   * message that fits one part is sent as text (UCS2 charset for Cyrillic); a longer one switches
   * to PDU mode for the send, since text mode cannot concatenate.
   */
  send(to: string, text: string): Promise<number[]> {
    if (!/^\+?\d{3,20}$/.test(to)) return Promise.reject(new Error(`not a phone number: ${to}`));
    if (!text) return Promise.reject(new Error('empty SMS'));
    return this.exclusive(async () => {
      if (this.modem.smsMode === 'text') {
        const sub = textModeSubmit(to, text);
        if (sub) return [await this.sendTextMode(sub)];
        await this.modem.send('AT+CMGF=0');
        try {
          return await this.sendPdus(to, text);
        } finally {
          await this.modem.send('AT+CMGF=1').catch(() => {});
        }
      }
      return this.sendPdus(to, text);
    });
  }

  private async sendPdus(to: string, text: string): Promise<number[]> {
    const refs: number[] = [];
    for (const pdu of encodeSubmit(to, text)) {
      const r = await this.modem.send(`AT+CMGS=${pdu.tpduLength}`, { body: pdu.hex, timeoutMs: 60_000 });
      refs.push(messageRef(r.lines));
    }
    return refs;
  }

  private async sendTextMode(sub: TextModeSubmit): Promise<number> {
    await this.modem.send(`AT+CSCS="${sub.charset}"`);
    try {
      await this.modem.send(sub.csmp);
      const r = await this.modem.send(sub.command, { body: sub.body, timeoutMs: 60_000 });
      return messageRef(r.lines);
    } finally {
      await this.modem.send(`AT+CSCS="${this.modem.charset}"`).catch(() => {});
    }
  }

  /**
   * SMS commands change modem-wide settings for a moment (AT+CSCS, AT+CMGF), so one SMS operation
   * runs at a time; calls and status queries in between are unaffected by those settings.
   */
  /** An 'error' event only when someone listens: a failure in the background must not crash the process. */
  private reportError(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  /** A USSD request such as "*100#"; resolves with the network's decoded reply. */
  async ussd(code: string, timeoutMs = this.opts.ussdTimeoutMs ?? 20_000): Promise<string> {
    if (!/^[*#0-9]{2,40}$/.test(code)) throw new Error(`not a USSD code: ${code}`);
    if (this.ussdWaiter) throw new Error('a USSD request is already in progress');
    const reply = new Promise<Extract<Urc, { type: 'cusd' }>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.ussdWaiter = null;
        reject(new Error(`no USSD reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.ussdWaiter = (u) => {
        clearTimeout(timer);
        this.ussdWaiter = null;
        resolve(u);
      };
    });
    // The +CUSD reply is a URC even though it shares the command's name: prefix null routes it as one.
    await this.modem.send(`AT+CUSD=1,"${code}",15`, { prefix: null }).catch((err: Error) => {
      this.ussdWaiter = null;
      throw err;
    });
    const u = await reply;
    if (u.status === 4) throw new Error('USSD not supported by the network');
    return decodeUssd(u.text ?? '', u.dcs);
  }

  private receive(index: number): Promise<void> {
    return this.exclusive(() => (this.modem.smsMode === 'text' ? this.receiveTextMode(index) : this.receivePdu(index)));
  }

  /** Text mode: read with AT+CSCS="UCS2" so Cyrillic survives; each part of a long message arrives on its own. */
  private async receiveTextMode(index: number): Promise<void> {
    await this.modem.send('AT+CSCS="UCS2"');
    let r;
    try {
      r = await this.modem.send(`AT+CMGR=${index}`);
    } finally {
      await this.modem.send(`AT+CSCS="${this.modem.charset}"`).catch(() => {});
    }
    const m = parseTextModeCmgr(r.lines);
    if (!m) throw new Error(`AT+CMGR=${index} returned no message`);
    await this.deliver({ from: m.from, text: m.text, timestamp: m.timestamp, indexes: [index] });
  }

  private async receivePdu(index: number): Promise<void> {
    const r = await this.modem.send(`AT+CMGR=${index}`);
    const pdu = r.lines.find((l) => /^[0-9A-F]+$/i.test(l.trim()));
    if (!pdu) throw new Error(`AT+CMGR=${index} returned no PDU`);
    const d = decodeDeliver(pdu.trim());
    if (!d.concat) {
      await this.deliver({ from: d.from, text: d.text, timestamp: d.timestamp, indexes: [index] });
      return;
    }
    const key = `${d.from}/${d.concat.ref}`;
    const p = this.partials.get(key) ?? { parts: new Map(), total: d.concat.total, from: d.from, timestamp: d.timestamp };
    p.parts.set(d.concat.seq, { text: d.text, index });
    this.partials.set(key, p);
    if (p.parts.size < p.total) return;
    this.partials.delete(key);
    const ordered = [...p.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
    await this.deliver({ from: p.from, text: ordered.map((x) => x.text).join(''), timestamp: p.timestamp, indexes: ordered.map((x) => x.index) });
  }

  private async deliver(sms: ReceivedSms): Promise<void> {
    // Delete before handing on: a full SIM stops accepting messages, and the text is ours now.
    for (const i of sms.indexes) await this.modem.send(`AT+CMGD=${i}`).catch((err: Error) => this.reportError(err));
    this.emit('sms', sms);
    // Not awaited: the reply takes the SMS lock this delivery still holds.
    if (this.opts.autoReply) void this.autoReply(sms, this.opts.autoReply);
  }

  private async autoReply(sms: ReceivedSms, hook: NonNullable<SmsServiceOptions['autoReply']>): Promise<void> {
    try {
      const reply = await hook(sms);
      if (reply) await this.send(sms.from, reply);
    } catch (err) {
      this.reportError(err as Error);
    }
  }
}

function messageRef(lines: readonly string[]): number {
  const m = /\+CMGS:\s*(\d+)/.exec(lines.join('\n'));
  return m ? Number(m[1]) : -1;
}

/** DCS 72 (0x48) and friends mean UCS2; some networks send UCS2 hex with DCS 15 anyway. */
export function decodeUssd(text: string, dcs: number | null): string {
  const ucs2 = dcs !== null && (dcs & 0x0c) === 0x08;
  if ((ucs2 || (dcs === 15 && text.length >= 8)) && isUcs2Hex(text)) return decodeUcs2Hex(text);
  return text;
}
