/**
 * One SIM7600 modem's lifecycle: find its ports, open the AT port, bring it to a known state (the
 * init sequence), keep a status snapshot, check its health periodically, and when the USB device
 * vanishes (replug, AT+CRESET, a flaky hub) go back to looking for it with a short backoff so it is
 * healthy again within about a second of returning.
 *
 *   stopped -> connecting -> initializing -> ready -> (port lost | health fails) -> connecting ...
 *                                               \-> resetting (AT+CRESET) -> connecting ...
 *
 * `state` has one setter, the only place that emits `state` events. Everything else the control
 * plane needs is an event: `ready`, `lost`, `urc` (every URC from the AT engine), `status`.
 */
import { existsSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { AtEngine, type AtResponse, type SendOptions } from './at/at-engine.ts';
import { AtError, AtPortClosedError } from './at/errors.ts';
import type { Urc } from './at/urc.ts';
import { discoverModemPorts, type DiscoveryOptions, type ModemPorts } from './discovery.ts';
import { openSerialLink, type SerialLink } from './serial-link.ts';
import {
  emptyStatus,
  isRegistered,
  parseCnum,
  parseCops,
  parseCpin,
  parseCsq,
  parseImei,
  parseRegistration,
  type ModemStatus,
} from './modem-status.ts';

export type ModemState = 'stopped' | 'connecting' | 'initializing' | 'ready' | 'resetting';

export interface ModemOptions extends DiscoveryOptions {
  /** TE character set for text-mode strings. UCS2 lets Cyrillic through text mode. */
  charset?: 'GSM' | 'UCS2';
  /** SMS mode: PDU (default; concatenated and UCS2 messages done right) or text. */
  smsMode?: 'pdu' | 'text';
  /** Extra AT commands appended to the init sequence (each must answer OK). */
  extraInit?: string[];
  commandTimeoutMs?: number;
  /** Health check period (AT+CSQ / AT+CREG?); 0 disables. */
  healthIntervalMs?: number;
  /** Consecutive failed health checks that count as a lost modem. */
  healthFailures?: number;
  /** Reconnect backoff: first retry delay, cap. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** How long AT probes wait for a freshly opened (maybe still booting) module to answer. */
  probeTimeoutMs?: number;
  /** After AT+CRESET, how long to wait for the module to come back before trying anyway. */
  resetTimeoutMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export type ModemEvents = {
  state: [ModemState, ModemState];
  ready: [ModemPorts];
  lost: [string];
  urc: [Urc];
  status: [ModemStatus];
  error: [Error];
};

export class Modem extends EventEmitter<ModemEvents> {
  private _state: ModemState = 'stopped';
  private currentState(): ModemState {
    return this._state;
  }
  private engine: AtEngine | null = null;
  private link: SerialLink | null = null;
  private _ports: ModemPorts | null = null;
  private _status: ModemStatus = emptyStatus();
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private healthTimer: ReturnType<typeof setInterval> | null = null;
  private presenceTimer: ReturnType<typeof setInterval> | null = null;
  private healthMisses = 0;
  private attempt = 0;
  private lostAt: number | null = null;
  /** performance.now() at the last loss and at the next ready: recovery time for metrics/bench. */
  lastRecoveryMs: number | null = null;
  readonly counters = { connects: 0, losses: 0, resets: 0, initFailures: 0 };
  private readonly o: Required<Omit<ModemOptions, keyof DiscoveryOptions | 'log' | 'extraInit'>> & { extraInit: string[] };

  constructor(private readonly opts: ModemOptions = {}) {
    super();
    this.o = {
      charset: opts.charset ?? 'GSM',
      smsMode: opts.smsMode ?? 'pdu',
      extraInit: opts.extraInit ?? [],
      commandTimeoutMs: opts.commandTimeoutMs ?? 5000,
      healthIntervalMs: opts.healthIntervalMs ?? 30_000,
      healthFailures: opts.healthFailures ?? 2,
      retryInitialMs: opts.retryInitialMs ?? 100,
      retryMaxMs: opts.retryMaxMs ?? 1000,
      probeTimeoutMs: opts.probeTimeoutMs ?? 500,
      resetTimeoutMs: opts.resetTimeoutMs ?? 30_000,
    };
  }

  get state(): ModemState {
    return this._state;
  }

  private set state(next: ModemState) {
    const prev = this._state;
    if (prev === next) return;
    this._state = next;
    this.emit('state', next, prev);
  }

  get ready(): boolean {
    return this._state === 'ready';
  }

  get ports(): ModemPorts | null {
    return this._ports;
  }

  get status(): ModemStatus {
    return this._status;
  }

  get smsMode(): 'pdu' | 'text' {
    return this.o.smsMode;
  }

  get charset(): 'GSM' | 'UCS2' {
    return this.o.charset;
  }

  /** The AT engine of the current connection (null while not connected). */
  get at(): AtEngine | null {
    return this.engine;
  }

  start(): void {
    if (this._state !== 'stopped') return;
    this.state = 'connecting';
    this.attempt = 0;
    this.scheduleConnect(0);
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    this.clearTimers();
    await this.dropLink();
  }

  /** Send a command on the ready modem. Rejects with AtPortClosedError when it is not connected. */
  send(command: string, opts?: SendOptions): Promise<AtResponse> {
    if (!this.engine || this._state !== 'ready') return Promise.reject(new AtPortClosedError(command, `modem is ${this._state}`));
    return this.engine.send(command, opts);
  }

  /** Resolves when the modem is ready (at once if it is), rejects after timeoutMs. */
  whenReady(timeoutMs = 10_000): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('ready', onReady);
        reject(new Error(`modem not ready within ${timeoutMs} ms (state ${this._state})`));
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.once('ready', onReady);
    });
  }

  /**
   * AT+CRESET: the cure for an audio channel that will not open. The module reboots (its USB ports
   * usually vanish and return); we wait for that and reconnect.
   */
  async reset(reason: string): Promise<void> {
    if (this._state === 'stopped' || this._state === 'resetting') return;
    this.counters.resets++;
    this.log('modem reset', { reason });
    const engine = this.engine;
    this.state = 'resetting';
    this.stopHealth();
    if (!engine) {
      this.state = 'connecting';
      this.scheduleConnect(0);
      return;
    }
    const rdy = new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.o.resetTimeoutMs);
      function done() {
        clearTimeout(timer);
        engine!.off('urc', onUrc);
        engine!.off('closed', done);
        resolve();
      }
      const onUrc = (u: Urc) => {
        if (u.type === 'rdy') done();
      };
      engine.on('urc', onUrc);
      engine.on('closed', done);
    });
    await engine.send('AT+CRESET', { timeoutMs: 3000 }).catch(() => {});
    await rdy;
    // Read through a method: TypeScript would otherwise keep the narrowing from before the awaits.
    if (this.currentState() !== 'resetting') return; // stopped meanwhile
    if (engine.isOpen) {
      // The port stayed (module rebooted in place): initialise again on the same link.
      await this.initialise(engine);
    } else {
      this.state = 'connecting';
      this.attempt = 0;
      this.scheduleConnect(this.o.retryInitialMs);
    }
  }

  /** Re-read the status queries now. */
  async refreshStatus(): Promise<ModemStatus> {
    const s: ModemStatus = { ...this._status };
    const q = async (cmd: string) => (await this.send(cmd).catch(() => null))?.lines ?? null;
    const cpin = await q('AT+CPIN?');
    if (cpin) s.sim = parseCpin(cpin);
    const csq = await q('AT+CSQ');
    if (csq) Object.assign(s, parseCsq(csq));
    const creg = await q('AT+CREG?');
    if (creg) s.creg = parseRegistration(creg, '+CREG:');
    const cereg = await q('AT+CEREG?');
    if (cereg) s.cereg = parseRegistration(cereg, '+CEREG:');
    s.registered = isRegistered(s.creg) || isRegistered(s.cereg);
    const cops = await q('AT+COPS?');
    if (cops) s.operator = parseCops(cops);
    if (!s.ownNumber) {
      const cnum = await q('AT+CNUM');
      if (cnum) s.ownNumber = parseCnum(cnum);
    }
    if (!s.imei) {
      const imei = await q('AT+CGSN');
      if (imei) s.imei = parseImei(imei);
    }
    s.updatedAt = Date.now();
    this._status = s;
    this.emit('status', s);
    return s;
  }

  // ------------------------------------------------------------------ connection

  private scheduleConnect(delayMs: number): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connectOnce();
    }, delayMs);
  }

  private nextDelay(): number {
    const d = Math.min(this.o.retryMaxMs, this.o.retryInitialMs * 2 ** this.attempt);
    this.attempt++;
    return d;
  }

  private async connectOnce(): Promise<void> {
    if (this._state !== 'connecting') return;
    const ports = await discoverModemPorts(this.opts).catch(() => null);
    let link: SerialLink | null = null;
    if (ports) link = await openSerialLink(ports.at).catch(() => null);
    if (this._state !== 'connecting') {
      await link?.close();
      return;
    }
    if (!ports || !link) {
      this.scheduleConnect(this.nextDelay());
      return;
    }
    this._ports = ports;
    this.link = link;
    const engine = new AtEngine(link, { defaultTimeoutMs: this.o.commandTimeoutMs });
    this.engine = engine;
    engine.on('urc', (u) => this.emit('urc', u));
    engine.on('closed', (reason) => this.onLinkClosed(engine, reason));
    this.counters.connects++;
    await this.initialise(engine);
  }

  /** Probe until the module answers, then run the init sequence. */
  private async initialise(engine: AtEngine): Promise<void> {
    this.state = 'initializing';
    const deadline = performance.now() + this.o.resetTimeoutMs;
    let alive = false;
    while (engine.isOpen && performance.now() < deadline && (this._state === 'initializing')) {
      try {
        await engine.send('AT', { timeoutMs: this.o.probeTimeoutMs });
        alive = true;
        break;
      } catch (e) {
        if (e instanceof AtPortClosedError) break;
      }
    }
    if (!alive || this._state !== 'initializing') {
      if (engine.isOpen && this._state === 'initializing') await this.abandon(engine, 'module does not answer AT');
      return;
    }
    const init = [
      'ATE0',
      'AT+CMEE=2',
      'AT+CLIP=1',
      'AT+CRC=0',
      // The gateway hangs up with AT+CHUP (never ATH); CVHU=0 keeps ATH working for humans on a console.
      'AT+CVHU=0',
      'AT+CNMI=2,1,0,0,0',
      `AT+CMGF=${this.o.smsMode === 'text' ? 1 : 0}`,
      `AT+CSCS="${this.o.charset}"`,
      ...this.o.extraInit,
    ];
    try {
      for (const cmd of init) {
        // ATE0 and CVHU may be refused by odd firmwares; the rest must work.
        const optional = cmd === 'AT+CVHU=0' || cmd === 'AT+CRC=0';
        await engine.send(cmd).catch((e: unknown) => {
          if (!optional) throw e;
        });
      }
    } catch (e) {
      this.counters.initFailures++;
      if (engine.isOpen && this._state === 'initializing') await this.abandon(engine, `init failed: ${(e as Error).message}`);
      return;
    }
    if (this._state !== 'initializing' || !engine.isOpen) return;
    this.attempt = 0;
    this.healthMisses = 0;
    this.state = 'ready';
    if (this.lostAt !== null) {
      this.lastRecoveryMs = performance.now() - this.lostAt;
      this.lostAt = null;
    }
    this.startHealth();
    this.emit('ready', this._ports!);
    void this.refreshStatus();
  }

  private async abandon(engine: AtEngine, why: string): Promise<void> {
    this.log('modem connection abandoned', { why });
    this.state = 'connecting';
    if (this.engine === engine) {
      this.engine = null;
      this.link = null;
    }
    engine.removeAllListeners('closed');
    await engine.close().catch(() => {});
    this.scheduleConnect(this.nextDelay());
  }

  private onLinkClosed(engine: AtEngine, reason: string): void {
    if (this.engine !== engine) return;
    this.engine = null;
    this.link = null;
    this.stopHealth();
    if (this._state === 'stopped') return;
    if (this._state === 'resetting') return; // reset() waits for this and reconnects
    this.counters.losses++;
    this.lostAt ??= performance.now();
    this.log('modem lost', { reason });
    this.state = 'connecting';
    this.emit('lost', reason);
    this.attempt = 0;
    this.scheduleConnect(this.o.retryInitialMs);
  }

  private startHealth(): void {
    this.stopHealth();
    this.watchPresence();
    if (this.o.healthIntervalMs <= 0) return;
    this.healthTimer = setInterval(() => void this.healthCheck(), this.o.healthIntervalMs);
  }

  private stopHealth(): void {
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.healthTimer = null;
    if (this.presenceTimer) clearInterval(this.presenceTimer);
    this.presenceTimer = null;
  }

  /**
   * A pty or tty whose device vanished does not always report it (serialport's poller may only
   * notice at the next failing write), so watch the device node itself: a USB unplug removes it.
   */
  private watchPresence(): void {
    const path = this._ports?.at;
    const engine = this.engine;
    if (!path || !engine) return;
    this.presenceTimer = setInterval(() => {
      if (existsSync(path)) return;
      void engine.close().finally(() => this.onLinkClosed(engine, `device ${path} disappeared`));
    }, 200);
    this.presenceTimer.unref();
  }

  private async healthCheck(): Promise<void> {
    const engine = this.engine;
    if (!engine || this._state !== 'ready') return;
    try {
      const r = await engine.send('AT+CSQ', { timeoutMs: Math.min(3000, this.o.commandTimeoutMs) });
      this.healthMisses = 0;
      this._status = { ...this._status, ...parseCsq(r.lines), updatedAt: Date.now() };
      this.emit('status', this._status);
    } catch (e) {
      if (!(e instanceof AtError)) return;
      this.healthMisses++;
      if (this.healthMisses >= this.o.healthFailures && this.engine === engine) {
        this.lostAt = performance.now();
        this.counters.losses++;
        this.emit('lost', 'health check failed');
        await this.abandon(engine, 'health check failed');
      }
    }
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.stopHealth();
  }

  private async dropLink(): Promise<void> {
    const engine = this.engine;
    this.engine = null;
    this.link = null;
    if (engine) await engine.close().catch(() => {});
  }

  private log(msg: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(msg, fields);
  }
}
