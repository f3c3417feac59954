/**
 * The AT command engine: one command in flight, a queue behind it, a timeout per command, final
 * results mapped to typed errors, the SMS `> ` prompt, and unsolicited result codes demultiplexed
 * into typed events even when they arrive in the middle of another command's response.
 *
 * How a line is routed while a command runs (order matters):
 *   1. the echo of the command itself (ATE1) is dropped;
 *   2. a line right after a `+CMGR:`/`+CMGL:` header is message text, whatever it looks like;
 *   3. a final result (OK, ERROR, +CME/+CMS ERROR, and for ATD/ATA the call-setup codes) ends it;
 *   4. a line with the command's own prefix (`+CLCC:` for AT+CLCC) is its response, even though
 *      the same prefix is a URC at other times;
 *   5. a known URC is emitted as an event;
 *   6. anything else is part of the response (ATI's free text, AT+CGSN's IMEI, ...).
 * With no command in flight, known URCs are events and anything else is reported as `noise`.
 *
 * A command whose reply never comes times out and the queue moves on. A final result that arrives
 * with nothing in flight (the late OK of a timed-out command) is counted as stray and dropped.
 */
import { EventEmitter } from 'node:events';
import { AtLineParser } from './line-parser.ts';
import { isCallSetupCommand, parseFinalResult, responsePrefix, type FinalResult } from './final-result.ts';
import { parseUrc, type Urc } from './urc.ts';
import { AtCommandError, AtPortClosedError, AtTimeoutError, CallSetupError, CmeError, CmsError, type AtError } from './errors.ts';
import type { SerialLink } from '../serial-link.ts';

export interface AtResponse {
  command: string;
  /** Information lines (no echo, no final result). */
  lines: string[];
  /** Milliseconds from writing the command to its final result. */
  elapsedMs: number;
}

export interface SendOptions {
  timeoutMs?: number;
  /** Text to send after the `> ` prompt (AT+CMGS, AT+CMGW); Ctrl-Z is appended. */
  body?: string;
  /**
   * Override the response prefix (default: derived from the command). `null` makes every known URC
   * an event even if it shares the command's name (AT+CUSD: its +CUSD comes as a URC).
   */
  prefix?: string | null;
}

export type AtEngineEvents = {
  urc: [Urc];
  /** A line outside any command that is no URC we know. */
  noise: [string];
  /** Every command's outcome, for metrics and the bench. */
  command: [{ command: string; ok: boolean; elapsedMs: number; error?: string }];
  closed: [string];
};

interface Pending {
  command: string;
  opts: SendOptions;
  resolve: (r: AtResponse) => void;
  reject: (e: AtError) => void;
}

interface InFlight extends Pending {
  lines: string[];
  prefix: string | null;
  callSetup: boolean;
  echoPending: boolean;
  forceNextLine: boolean;
  awaitingPrompt: boolean;
  startedAt: number;
  timer: ReturnType<typeof setTimeout>;
}

export interface AtEngineOptions {
  defaultTimeoutMs?: number;
}

const CTRL_Z = '\x1a';
const ESC = '\x1b';

/** Commands that legitimately take long on a SIM7600. */
export function defaultTimeoutFor(command: string, fallback: number): number {
  const c = command.toUpperCase();
  if (c.startsWith('AT+CMGS') || c.startsWith('AT+CMSS')) return 60_000;
  if (c.startsWith('AT+COPS=?')) return 180_000;
  if (c.startsWith('ATD') || c === 'ATA') return 20_000;
  if (c.startsWith('AT+CUSD')) return 10_000;
  return fallback;
}

export class AtEngine extends EventEmitter<AtEngineEvents> {
  private readonly parser = new AtLineParser();
  private readonly queue: Pending[] = [];
  private inFlight: InFlight | null = null;
  private closedReason: string | null = null;
  private readonly defaultTimeoutMs: number;
  readonly stats = { commands: 0, timeouts: 0, errors: 0, urcs: 0, strayFinals: 0, noiseLines: 0 };

  constructor(
    private readonly link: SerialLink,
    opts: AtEngineOptions = {},
  ) {
    super();
    this.defaultTimeoutMs = opts.defaultTimeoutMs ?? 5000;
    link.onData((chunk) => this.onData(chunk));
    link.onClose((reason) => this.onClosed(reason));
    if (!link.isOpen) this.onClosed('port not open');
  }

  get isOpen(): boolean {
    return this.closedReason === null;
  }

  get queueLength(): number {
    return this.queue.length + (this.inFlight ? 1 : 0);
  }

  get droppedNoiseBytes(): number {
    return this.parser.droppedBytes;
  }

  /** Queue a command (without the trailing CR). Resolves with its lines on OK, rejects with a typed AtError. */
  send(command: string, opts: SendOptions = {}): Promise<AtResponse> {
    return new Promise((resolve, reject) => {
      if (this.closedReason !== null) {
        reject(new AtPortClosedError(command, this.closedReason));
        return;
      }
      this.queue.push({ command, opts, resolve, reject });
      this.pump();
    });
  }

  /** Close the port; pending commands reject with AtPortClosedError. */
  async close(): Promise<void> {
    await this.link.close();
    this.onClosed('closed');
  }

  private pump(): void {
    if (this.inFlight || this.closedReason !== null) return;
    const next = this.queue.shift();
    if (!next) return;
    const timeoutMs = next.opts.timeoutMs ?? defaultTimeoutFor(next.command, this.defaultTimeoutMs);
    const flight: InFlight = {
      ...next,
      lines: [],
      prefix: next.opts.prefix === undefined ? responsePrefix(next.command) : next.opts.prefix,
      callSetup: isCallSetupCommand(next.command),
      echoPending: true,
      forceNextLine: false,
      awaitingPrompt: next.opts.body !== undefined,
      startedAt: performance.now(),
      timer: setTimeout(() => this.onTimeout(flight, timeoutMs), timeoutMs),
    };
    this.inFlight = flight;
    this.stats.commands++;
    this.parser.expectPrompt = flight.awaitingPrompt;
    this.link.write(next.command + '\r');
  }

  private onTimeout(flight: InFlight, timeoutMs: number): void {
    if (this.inFlight !== flight) return;
    this.stats.timeouts++;
    // A modem left in SMS text entry would swallow every later command: ESC cancels the entry.
    if (flight.awaitingPrompt || flight.opts.body !== undefined) this.link.write(ESC);
    this.finish(flight, new AtTimeoutError(flight.command, timeoutMs, flight.lines));
  }

  private onData(chunk: Buffer): void {
    for (const token of this.parser.feed(chunk)) {
      if (token.kind === 'prompt') this.onPrompt();
      else this.onLine(token.text);
    }
  }

  private onPrompt(): void {
    const flight = this.inFlight;
    if (!flight || !flight.awaitingPrompt) return;
    flight.awaitingPrompt = false;
    this.link.write((flight.opts.body ?? '') + CTRL_Z);
  }

  private onLine(line: string): void {
    const flight = this.inFlight;
    if (!flight) {
      const final = parseFinalResult(line, false);
      if (final) {
        this.stats.strayFinals++;
        return;
      }
      this.routeUnsolicited(line);
      return;
    }
    // The echo may come after a URC that was already on its way, so look for it until it shows.
    if (flight.echoPending && line.toUpperCase() === flight.command.toUpperCase()) {
      flight.echoPending = false;
      return;
    }
    if (flight.forceNextLine) {
      flight.forceNextLine = false;
      flight.lines.push(line);
      return;
    }
    const final = parseFinalResult(line, flight.callSetup);
    if (final) {
      this.finish(flight, this.errorFor(final, flight));
      return;
    }
    if (flight.prefix && line.startsWith(flight.prefix)) {
      flight.lines.push(line);
      if (line.startsWith('+CMGR:') || line.startsWith('+CMGL:')) flight.forceNextLine = true;
      return;
    }
    // The echo of an SMS body (ATE1) comes back after the prompt: it is not a URC.
    if (flight.opts.body !== undefined && line.startsWith('> ')) {
      flight.lines.push(line);
      return;
    }
    const urc = parseUrc(line);
    if (urc) {
      this.emitUrc(urc);
      return;
    }
    flight.lines.push(line);
  }

  private routeUnsolicited(line: string): void {
    const urc = parseUrc(line);
    if (urc) this.emitUrc(urc);
    else {
      this.stats.noiseLines++;
      this.emit('noise', line);
    }
  }

  private emitUrc(urc: Urc): void {
    this.stats.urcs++;
    this.emit('urc', urc);
  }

  private errorFor(final: FinalResult, f: InFlight): AtError | null {
    switch (final.kind) {
      case 'ok':
        return null;
      case 'error':
        return new AtCommandError('ERROR', f.command, f.lines);
      case 'cme':
        return new CmeError(final.detail, f.command, f.lines);
      case 'cms':
        return new CmsError(final.detail, f.command, f.lines);
      case 'call_setup':
        return new CallSetupError(final.result, f.command, f.lines);
    }
  }

  private finish(flight: InFlight, error: AtError | null): void {
    clearTimeout(flight.timer);
    this.inFlight = null;
    this.parser.expectPrompt = false;
    const elapsedMs = performance.now() - flight.startedAt;
    if (error) this.stats.errors++;
    this.emit('command', { command: flight.command, ok: !error, elapsedMs, error: error?.message });
    if (error) flight.reject(error);
    else flight.resolve({ command: flight.command, lines: flight.lines, elapsedMs });
    this.pump();
  }

  private onClosed(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    const flight = this.inFlight;
    if (flight) {
      clearTimeout(flight.timer);
      this.inFlight = null;
      flight.reject(new AtPortClosedError(flight.command, reason));
    }
    for (const p of this.queue.splice(0)) p.reject(new AtPortClosedError(p.command, reason));
    this.emit('closed', reason);
  }
}
