/**
 * A SIM7600E-H on two virtual serial cables (socat pty pairs): one for AT commands, one for the
 * USB audio port. The gateway opens `atPath` / `audioPath` exactly as it would open
 * /dev/serial/by-id/...-if02-port0 and -if04-port0.
 *
 * The dialect and its traps are documented in docs/modem.md; the command handlers are in
 * at-dialect.ts, the audio timeline in audio-channel.ts. This class owns the ports, the call state
 * machine, SMS storage, the scenario API used by tests (ring, hang up, deliver an SMS, press a DTMF
 * key) and fault injection (unplug/replug, garbage, swallowed replies, fragmented output).
 */
import { EventEmitter } from 'node:events';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { ownedTempDir } from '../../../runtime/owned-temp.ts';
import { createPtyPair, type PtyPair } from './pty-pair.ts';
import { openSerialLink, type SerialLink } from '../serial-link.ts';
import { openTtyLink, type TtyLink } from './tty-link.ts';
import { EmulatorAudioChannel } from './audio-channel.ts';
import { CLCC_STATE, powerOnSettings, type EmulatedCall, type ModemSettings, type SentSms, type StoredSms } from './modem-state.ts';
import { handleCommand, type DialectHost } from './at-dialect.ts';
import { encodeDeliver, splitForSms, chooseEncoding, type SmsEncoding } from '../sms/pdu.ts';

export interface EmulatorOptions {
  /** Directory for the stable pty links (default: a fresh temp dir, removed on stop). */
  dir?: string;
  /** Time between RING bursts of an incoming call (real network: about 5 s). */
  ringIntervalMs?: number;
  /** Rings before an unanswered caller gives up (MISSED_CALL). */
  maxRings?: number;
  /** AT+CRESET to RDY (real module: 15-25 s). */
  rebootDelayMs?: number;
  /** Power-on AT+CVHU. Default 1: ATH is ignored, the gateway must hang up with AT+CHUP. */
  cvhuDefault?: 0 | 1;
  /** AT+CPCMREG=1/0 cycles after which the audio channel goes silent until AT+CRESET (0 = never). */
  degradeAfterCycles?: number;
  /** AT+CRESET drops the USB ports (as on real hardware) rather than just going quiet. */
  resetDropsPort?: boolean;
  /** Outgoing calls: what the far end does, and after how long. */
  dialOutcome?: 'answer' | 'busy' | 'no_answer';
  dialAnswerDelayMs?: number;
  ussdDelayMs?: number;
  /** USSD code -> reply text (default: a Russian balance message, sent as UCS2). */
  ussdReplies?: Record<string, string>;
  imei?: string;
  ownNumber?: string;
  operatorName?: string;
  /** +CSQ rssi (0-31, 99 unknown). */
  rssi?: number;
  /** Write every response in small random pieces. */
  fragmentOutput?: boolean;
  /** Split uplink audio frames at odd byte offsets (default true). */
  splitAudioFrames?: boolean;
  socatBin?: string;
}

export type EmulatorEvents = {
  command: [string];
  call: [EmulatedCall | null];
  audio: ['start' | 'stop'];
  hangup: [{ by: 'chup' | 'ath' | 'remote' | 'missed' | 'reset' | 'unplug'; durationS: number }];
  ath_ignored: [];
  sms_sent: [SentSms];
};

const DEFAULTS = {
  ringIntervalMs: 3000,
  maxRings: 6,
  rebootDelayMs: 8000,
  cvhuDefault: 1 as 0 | 1,
  degradeAfterCycles: 5,
  resetDropsPort: true,
  dialOutcome: 'answer' as const,
  dialAnswerDelayMs: 1500,
  ussdDelayMs: 300,
  imei: '861234567890123',
  ownNumber: '+79001234567',
  operatorName: 'MegaFon',
  rssi: 23,
};

export class Sim7600Emulator extends EventEmitter<EmulatorEvents> implements DialectHost {
  readonly opts: Required<Omit<EmulatorOptions, 'dir' | 'ussdReplies' | 'fragmentOutput' | 'splitAudioFrames' | 'socatBin'>> &
    Pick<EmulatorOptions, 'ussdReplies'>;
  settings: ModemSettings;
  call: EmulatedCall | null = null;
  readonly sms = new Map<number, StoredSms>();
  readonly sentSms: SentSms[] = [];
  readonly dtmfSent: string[] = [];
  readonly commandLog: { t: number; command: string }[] = [];
  readonly audio: EmulatorAudioChannel;
  /** Completed AT+CPCMREG=1 -> 0 cycles since the last reset. */
  pcmCycles = 0;
  fragmentOutput: boolean;
  booting = false;
  /** Total resets (AT+CRESET) performed. */
  resets = 0;

  private dir = '';
  private ownsDir = false;
  private atPair: PtyPair | null = null;
  private audioPair: PtyPair | null = null;
  private atLink: SerialLink | null = null;
  private audioLink: TtyLink | null = null;
  private inputBuffer = '';
  private textEntry: ((body: string | null) => void) | null = null;
  private swallowRules: { match: (cmd: string) => boolean }[] = [];
  private delayRules: { match: (cmd: string) => boolean; ms: number }[] = [];
  private interleave: string[] = [];
  private outQueue: Buffer[] = [];
  private outFlushing = false;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private ringTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private readonly socatBin: string;

  constructor(private readonly options: EmulatorOptions = {}) {
    super();
    this.opts = { ...DEFAULTS, ...stripUndefined(options) } as Sim7600Emulator['opts'];
    this.settings = powerOnSettings(this.opts.cvhuDefault);
    this.fragmentOutput = options.fragmentOutput ?? false;
    this.audio = new EmulatorAudioChannel({ splitFrames: options.splitAudioFrames ?? true });
    this.socatBin = options.socatBin ?? 'socat';
  }

  /** Host-side device paths (what the gateway opens). */
  get atPath(): string {
    return path.join(this.dir, 'sim7600-at');
  }

  get audioPath(): string {
    return path.join(this.dir, 'sim7600-audio');
  }

  get plugged(): boolean {
    return this.atPair !== null;
  }

  get audioDegraded(): boolean {
    return this.opts.degradeAfterCycles > 0 && this.pcmCycles >= this.opts.degradeAfterCycles;
  }

  async start(): Promise<{ atPath: string; audioPath: string }> {
    if (this.options.dir) this.dir = this.options.dir;
    else {
      this.dir = ownedTempDir('sim7600'); // a later gateway start sweeps it if we are killed
      this.ownsDir = true;
    }
    await this.plug();
    this.bootUrcs(0);
    return { atPath: this.atPath, audioPath: this.audioPath };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.stopRinging();
    await this.unplugPorts();
    if (this.ownsDir) await rm(this.dir, { recursive: true, force: true });
  }

  // ---------------------------------------------------------------- ports and faults

  /** USB unplug: both ports vanish; an open gateway port gets an error. The call (if any) drops. */
  async unplug(): Promise<void> {
    this.dropCall('unplug');
    await this.unplugPorts();
  }

  /** USB replug: the same paths come back; the module boots (RDY, +CPIN: READY, SMS DONE, PB DONE). */
  async replug(bootDelayMs = 0): Promise<void> {
    this.settings = powerOnSettings(this.opts.cvhuDefault);
    await this.plug();
    this.bootUrcs(bootDelayMs);
  }

  /** Bytes of noise on the AT port (default: a burst of binary junk with a stray line end). */
  injectGarbage(bytes: Uint8Array = Uint8Array.from([0x00, 0xff, 0xfe, 0x13, 0x88, 0x0d, 0x0a, 0x7f, 0x80, 0x01])): void {
    this.writeRaw(Buffer.from(bytes));
  }

  /** The next command matching is answered only after `ms` (its late OK lands after the gateway gave up). */
  delayNextReply(match: string | RegExp, ms: number): void {
    this.delayRules.push({ match: matcher(match), ms });
  }

  /** The next multi-line response carries this URC between its information lines and its final result. */
  interleaveUrc(line: string): void {
    this.interleave.push(line);
  }

  /** The next command matching (default: any) is echoed but never answered. */
  swallowNextCommand(match: string | RegExp = /.*/): void {
    this.swallowRules.push({ match: matcher(match) });
  }

  // ---------------------------------------------------------------- scenario API

  /** An incoming call from `number`: RING (+CLIP) every ringIntervalMs until answered or given up. */
  ring(number: string): void {
    if (this.call) throw new Error('a call is already in progress');
    this.call = { direction: 'in', number, phase: 'ringing', rings: 0, createdAt: Date.now(), answeredAt: null };
    this.emit('call', this.call);
    this.reportClcc();
    this.ringOnce();
  }

  /** The far end hangs up. */
  remoteHangup(): void {
    const call = this.call;
    if (!call) return;
    if (call.phase === 'ringing') {
      this.missedCall();
      return;
    }
    this.endCall('remote');
    this.urc('NO CARRIER');
  }

  /** The caller presses a key. */
  sendDtmf(digit: string): void {
    if (this.call?.phase === 'active') this.urc(`+RXDTMF: ${digit}`);
  }

  /** Caller audio (8 kHz mono) to play once the PCM channel is open. */
  playCallerAudio(samples8k: Int16Array): void {
    this.audio.queueCallerAudio(samples8k);
  }

  /** An SMS arrives: stored on the SIM (one slot per part) and announced with +CMTI. Returns the indexes. */
  deliverSms(from: string, text: string, opts: { encoding?: SmsEncoding; date?: Date } = {}): number[] {
    const encoding = opts.encoding ?? chooseEncoding(text);
    const parts = splitForSms(text, encoding);
    const ref = Math.floor(Math.random() * 256);
    const indexes: number[] = [];
    parts.forEach((part, i) => {
      const index = this.freeSmsIndex();
      const date = opts.date ?? new Date();
      const concat = parts.length > 1 ? { ref, total: parts.length, seq: i + 1 } : undefined;
      const pdu = encodeDeliver(from, part, { date, encoding, concat, smsc: '+79168999100' });
      this.sms.set(index, { index, from, text: part, encoding, date, read: false, pdu: pdu.hex, tpduLength: pdu.tpduLength });
      indexes.push(index);
      if (this.settings.cnmi.split(',')[1] !== '0') this.urc(`+CMTI: "SM",${index}`);
    });
    return indexes;
  }

  // ---------------------------------------------------------------- DialectHost: used by at-dialect.ts

  /** Queue the framed lines of a response (`\r\n<line>\r\n` each). */
  respond(...lines: string[]): void {
    if (this.interleave.length && lines.length > 1) lines.splice(lines.length - 1, 0, this.interleave.shift()!);
    this.writeRaw(Buffer.from(lines.map((l) => `\r\n${l}\r\n`).join(''), 'latin1'));
  }

  urc(line: string): void {
    this.respond(line);
  }

  cmeError(text: string, code: number): string {
    if (this.settings.cmee === 2) return `+CME ERROR: ${text}`;
    if (this.settings.cmee === 1) return `+CME ERROR: ${code}`;
    return 'ERROR';
  }

  /** Show `> ` and collect text until Ctrl-Z (null when cancelled with ESC). */
  promptForText(onBody: (body: string | null) => void): void {
    this.textEntry = onBody;
    this.writeRaw(Buffer.from('\r\n> ', 'latin1'));
  }

  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  answer(): boolean {
    const call = this.call;
    if (!call || call.direction !== 'in' || call.phase !== 'ringing') return false;
    this.stopRinging();
    this.connect(call);
    return true;
  }

  /** Both ends are up: the modem reports it and opens the PCM channel if CPCMREG asks for it. */
  private connect(call: EmulatedCall): void {
    call.phase = 'active';
    call.answeredAt = Date.now();
    this.urc('VOICE CALL: BEGIN');
    this.reportClcc();
    this.emit('call', call);
    this.syncAudio();
  }

  dial(number: string): boolean {
    if (this.call) return false;
    const call: EmulatedCall = { direction: 'out', number, phase: 'dialing', rings: 0, createdAt: Date.now(), answeredAt: null };
    this.call = call;
    this.emit('call', call);
    this.later(1, () => this.reportClcc());
    this.later(Math.min(200, this.opts.dialAnswerDelayMs / 2), () => {
      if (this.call !== call) return;
      call.phase = 'alerting';
      this.reportClcc();
    });
    this.later(this.opts.dialAnswerDelayMs, () => {
      if (this.call !== call) return;
      if (this.opts.dialOutcome === 'answer') {
        this.connect(call);
      } else {
        this.call = null;
        this.emit('call', null);
        this.urc(this.opts.dialOutcome === 'busy' ? 'BUSY' : 'NO ANSWER');
      }
    });
    return true;
  }

  /** Local hang-up (AT+CHUP, or ATH with CVHU=0). Returns false when there was no call. */
  hangupLocal(by: 'chup' | 'ath'): boolean {
    if (!this.call) return false;
    if (this.call.phase === 'ringing') {
      // Rejecting an incoming call.
      this.stopRinging();
      this.call = null;
      this.emit('call', null);
      this.emit('hangup', { by, durationS: 0 });
      return true;
    }
    this.endCall(by);
    return true;
  }

  athIgnored(): void {
    this.emit('ath_ignored');
  }

  setPcmReg(on: boolean): void {
    if (on === this.settings.pcmreg) return;
    if (!on) this.pcmCycles++;
    this.settings.pcmreg = on;
    this.syncAudio();
  }

  recordSentSms(sms: SentSms): void {
    this.sentSms.push(sms);
    this.emit('sms_sent', sms);
  }

  ussdReply(code: string): string {
    return this.opts.ussdReplies?.[code] ?? `Баланс: 123,45 р. Запрос ${code}`;
  }

  /** AT+CRESET: OK, then the module reboots (dropping USB if configured) and says RDY ... PB DONE. */
  reset(): void {
    this.resets++;
    this.dropCall('reset');
    this.booting = true;
    this.later(30, async () => {
      if (this.opts.resetDropsPort) {
        await this.unplugPorts();
        this.later(this.opts.rebootDelayMs, async () => {
          this.pcmCycles = 0;
          await this.replug(0);
        });
      } else {
        this.later(this.opts.rebootDelayMs, () => {
          this.pcmCycles = 0;
          this.settings = powerOnSettings(this.opts.cvhuDefault);
          this.bootUrcs(0);
        });
      }
    });
  }

  clccLines(): string[] {
    const c = this.call;
    if (!c) return [];
    const type = c.number.startsWith('+') ? 145 : 129;
    return [`+CLCC: 1,${c.direction === 'in' ? 1 : 0},${CLCC_STATE[c.phase]},0,0,"${c.number}",${type}`];
  }

  // ---------------------------------------------------------------- internals

  private async plug(): Promise<void> {
    this.atPair = await createPtyPair(this.atPath, path.join(this.dir, '.dev-at'), this.socatBin);
    this.audioPair = await createPtyPair(this.audioPath, path.join(this.dir, '.dev-audio'), this.socatBin);
    this.atLink = await openSerialLink(this.atPair.devicePath);
    this.audioLink = openTtyLink(this.audioPair.devicePath);
    this.atLink.onData((chunk) => this.onAtInput(chunk));
    this.audio.attach(this.audioLink);
    this.inputBuffer = '';
    this.textEntry = null;
    this.outQueue = [];
  }

  private async unplugPorts(): Promise<void> {
    this.audio.detach();
    const links = [this.atLink, this.audioLink];
    const pairs = [this.atPair, this.audioPair];
    this.atLink = this.audioLink = null;
    this.atPair = this.audioPair = null;
    // Kill socat first: the gateway's side must see the device vanish, not a clean close.
    await Promise.all(pairs.map((p) => p?.destroy()));
    await Promise.all(links.map((l) => l?.close()));
  }

  private bootUrcs(delayMs: number): void {
    this.booting = true;
    this.later(delayMs, () => {
      this.booting = false;
      this.urc('RDY');
      this.later(5, () => this.urc('+CPIN: READY'));
      this.later(10, () => this.urc('SMS DONE'));
      this.later(15, () => this.urc('PB DONE'));
    });
  }

  private onAtInput(chunk: Buffer): void {
    const text = chunk.toString('latin1');
    if (this.settings.echo && !this.booting) this.writeRaw(Buffer.from(text.replace(/[\x1a\x1b]/g, ''), 'latin1'));
    for (const ch of text) {
      if (this.textEntry) {
        if (ch === '\x1a' || ch === '\x1b') {
          const done = this.textEntry;
          this.textEntry = null;
          const body = this.inputBuffer;
          this.inputBuffer = '';
          done(ch === '\x1a' ? body : null);
        } else {
          this.inputBuffer += ch;
        }
        continue;
      }
      if (ch === '\r') {
        const cmd = this.inputBuffer.trim();
        this.inputBuffer = '';
        if (cmd) this.onCommand(cmd);
      } else if (ch !== '\n') {
        this.inputBuffer += ch;
        if (this.inputBuffer.length > 4096) this.inputBuffer = '';
      }
    }
  }

  private onCommand(cmd: string): void {
    this.commandLog.push({ t: performance.now(), command: cmd });
    if (this.commandLog.length > 10_000) this.commandLog.splice(0, 5_000);
    this.emit('command', cmd);
    if (this.booting) return; // a rebooting module hears nothing
    const rule = this.swallowRules.findIndex((r) => r.match(cmd));
    if (rule >= 0) {
      this.swallowRules.splice(rule, 1);
      return;
    }
    const delay = this.delayRules.findIndex((r) => r.match(cmd));
    if (delay >= 0) {
      const [{ ms }] = this.delayRules.splice(delay, 1);
      this.later(ms, () => handleCommand(this, cmd));
      return;
    }
    handleCommand(this, cmd);
  }

  private ringOnce(): void {
    const call = this.call;
    if (!call || call.phase !== 'ringing') return;
    if (call.rings >= this.opts.maxRings) {
      this.missedCall();
      return;
    }
    call.rings++;
    this.urc(this.settings.crc ? '+CRING: VOICE' : 'RING');
    if (this.settings.clip) this.urc(`+CLIP: "${call.number}",${call.number.startsWith('+') ? 145 : 129},,,,0`);
    this.ringTimer = setTimeout(() => this.ringOnce(), this.opts.ringIntervalMs);
  }

  private stopRinging(): void {
    if (this.ringTimer) clearTimeout(this.ringTimer);
    this.ringTimer = null;
  }

  private missedCall(): void {
    const call = this.call;
    if (!call) return;
    this.stopRinging();
    this.call = null;
    const d = new Date();
    const h = d.getHours() % 12 || 12;
    const stamp = `${String(h).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}${d.getHours() < 12 ? 'AM' : 'PM'}`;
    if (this.settings.clccAuto) this.urc(`+CLCC: 1,1,6,0,0,"${call.number}",145`);
    this.urc(`MISSED_CALL: ${stamp} ${call.number}`);
    this.emit('call', null);
    this.emit('hangup', { by: 'missed', durationS: 0 });
  }

  private endCall(by: 'chup' | 'ath' | 'remote'): void {
    const call = this.call;
    if (!call) return;
    const durationS = call.answeredAt ? Math.round((Date.now() - call.answeredAt) / 1000) : 0;
    if (this.settings.clccAuto) this.urc(this.clccLines()[0].replace(/^(\+CLCC: \d+,\d+,)\d+/, '$16'));
    this.call = null;
    this.syncAudio();
    const hh = String(Math.floor(durationS / 3600)).padStart(2, '0');
    const mm = String(Math.floor((durationS % 3600) / 60)).padStart(2, '0');
    const ss = String(durationS % 60).padStart(2, '0');
    this.urc(`VOICE CALL: END: ${hh}${mm}${ss}`);
    this.emit('call', null);
    this.emit('hangup', { by, durationS });
  }

  private dropCall(by: 'reset' | 'unplug'): void {
    this.stopRinging();
    if (!this.call) return;
    this.call = null;
    this.syncAudio();
    this.emit('call', null);
    this.emit('hangup', { by, durationS: 0 });
  }

  private reportClcc(): void {
    if (this.settings.clccAuto) for (const l of this.clccLines()) this.urc(l);
  }

  /** Audio flows while PCM is registered, a call is active, and the channel has not degraded. */
  private syncAudio(): void {
    const want = this.settings.pcmreg && this.call?.phase === 'active' && !this.audioDegraded && this.audioLink !== null;
    if (want && !this.audio.active) {
      this.audio.start(this.settings.pcmfrm === 1 ? 16000 : 8000);
      this.emit('audio', 'start');
    } else if (!want && this.audio.active) {
      this.audio.stop();
      this.emit('audio', 'stop');
    }
  }

  private freeSmsIndex(): number {
    let i = 0;
    while (this.sms.has(i)) i++;
    return i;
  }

  private writeRaw(buf: Buffer): void {
    if (!this.atLink?.isOpen) return;
    if (!this.fragmentOutput) {
      this.atLink.write(buf);
      return;
    }
    // Fragmented output: random 1-7 byte pieces, each on its own timer tick, order preserved.
    for (let i = 0; i < buf.length; ) {
      const n = 1 + Math.floor(Math.random() * 7);
      this.outQueue.push(buf.subarray(i, i + n));
      i += n;
    }
    if (!this.outFlushing) this.flushFragments();
  }

  private flushFragments(): void {
    const next = this.outQueue.shift();
    if (!next) {
      this.outFlushing = false;
      return;
    }
    this.outFlushing = true;
    this.atLink?.write(next);
    setTimeout(() => this.flushFragments(), 1);
  }
}

/** A command matcher: a string matches commands starting with it (case-insensitive). */
function matcher(match: string | RegExp): (cmd: string) => boolean {
  return typeof match === 'string' ? (c) => c.toUpperCase().startsWith(match.toUpperCase()) : (c) => match.test(c);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
