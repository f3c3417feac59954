/**
 * The emulator's side of the SIM7600 USB audio port, on its own audio timeline (t = 0 when the PCM
 * channel opened with AT+CPCMREG=1 during a call):
 *
 *   uplink (caller -> gateway): every 20 ms one frame of the caller's audio (or silence) is written,
 *   deliberately in two odd-sized pieces so the gateway sees reads that end mid-sample;
 *   downlink (gateway -> caller): bytes are logged with their arrival time, queued like the modem's
 *   own playout buffer and consumed one frame per tick into the "heard" track: what the caller's
 *   ear gets, including the delay of whatever the gateway queued ahead (audio in the modem cannot
 *   be recalled, so that queue is the floor of barge-in delay; `maxQueuedFrames` reports it).
 *
 * Audio is 8 kHz s16le mono (320-byte frames) or 16 kHz (640-byte frames) after AT+CPCMFRM=1.
 */
import { MediaClock } from '../../../media/media-clock.ts';
import { createResampler } from '../../../media/resampler.ts';
import type { SerialLink } from '../serial-link.ts';
import type { TtyLink } from './tty-link.ts';

export interface DownlinkChunk {
  /** Arrival time on the audio timeline, ms. */
  tMs: number;
  bytes: number;
}

export interface AudioSession {
  sampleRate: number;
  /** performance.now() of t = 0. */
  startedAt: number;
  /** The caller audio that was sent, frame by frame from t = 0 (silence included). */
  uplink: Int16Array[];
  /** What the caller heard, one frame per tick from t = 0. */
  heard: Int16Array[];
  downlinkChunks: DownlinkChunk[];
  downlinkBytes: number;
  /** Deepest playout queue seen on a tick that ran on time (see `stalledTicks`). */
  maxQueuedFrames: number;
  /**
   * Ticks that came late or back to back after this process stalled. A real modem's clock never
   * stalls, but the emulator shares a process (and 2 cores) with the gateway, so after a stall the
   * gateway rightly refills what the modem "played" by wall clock before the emulator has caught
   * up; the queue seen on those ticks measures the stall, not the gateway, so it is kept apart.
   */
  stalledTicks: number;
  maxQueuedFramesAfterStall: number;
  underrunTicks: number;
}

export interface AudioChannelOptions {
  /** Split each uplink frame into two writes at an odd offset (default true). */
  splitFrames?: boolean;
  /** Stop logging after this much audio per session (bounded memory for long calls). */
  maxSessionMs?: number;
}

export class EmulatorAudioChannel {
  private link: (SerialLink & Partial<Pick<TtyLink, 'drainNow'>>) | null = null;
  /** Hardware time never skips: after a stall every missed tick is played (up to 2 s). */
  private readonly clock = new MediaClock({ maxCatchUpTicks: 100, onError: (e) => console.error('emulator audio tick failed', e) });
  private lastTickAt = 0;
  /** On-time ticks still to see after a stall before the queue depth counts again. */
  private settleTicks = 0;
  private unsubscribe: (() => void) | null = null;
  private session: AudioSession | null = null;
  private readonly sessions: AudioSession[] = [];
  /** Caller audio waiting to be played, at 8 kHz. */
  private callerQueue: Int16Array[] = [];
  private callerOffset = 0;
  private playout: Buffer[] = [];
  private playoutBytes = 0;
  private upsampler: ReturnType<typeof createResampler> | null = null;
  droppedBytesWhileClosed = 0;

  constructor(private readonly opts: AudioChannelOptions = {}) {}

  attach(link: SerialLink & Partial<Pick<TtyLink, 'drainNow'>>): void {
    this.link = link;
    link.onData((chunk) => this.onDownlink(chunk));
  }

  detach(): void {
    this.stop();
    this.link = null;
  }

  get active(): boolean {
    return this.session !== null;
  }

  get current(): AudioSession | null {
    return this.session;
  }

  get lastSession(): AudioSession | null {
    return this.session ?? this.sessions[this.sessions.length - 1] ?? null;
  }

  get allSessions(): readonly AudioSession[] {
    return this.session ? [...this.sessions, this.session] : this.sessions;
  }

  /** Queue caller audio (8 kHz mono); it plays from the next tick of an open channel. */
  queueCallerAudio(samples8k: Int16Array): void {
    this.callerQueue.push(samples8k);
  }

  clearCallerAudio(): void {
    this.callerQueue = [];
    this.callerOffset = 0;
  }

  /** Caller audio not yet played, in ms. */
  get pendingCallerMs(): number {
    let n = -this.callerOffset;
    for (const c of this.callerQueue) n += c.length;
    return n / 8;
  }

  start(sampleRate: 8000 | 16000): void {
    if (this.session) return;
    this.session = {
      sampleRate,
      startedAt: performance.now(),
      uplink: [],
      heard: [],
      downlinkChunks: [],
      downlinkBytes: 0,
      maxQueuedFrames: 0,
      stalledTicks: 0,
      maxQueuedFramesAfterStall: 0,
      underrunTicks: 0,
    };
    this.playout = [];
    this.playoutBytes = 0;
    this.upsampler = sampleRate === 16000 ? createResampler(8000, 16000) : null;
    this.lastTickAt = performance.now();
    this.settleTicks = 0;
    this.unsubscribe = this.clock.subscribe(() => this.tick());
  }

  stop(): void {
    this.flushDeferred();
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.session) this.sessions.push(this.session);
    this.session = null;
    this.playout = [];
    this.playoutBytes = 0;
  }

  /** Forget finished sessions (tests that run many calls). */
  clearHistory(): void {
    this.sessions.length = 0;
  }

  private frameSamples(): number {
    return (this.session?.sampleRate ?? 8000) / 50;
  }

  private nextCallerFrame8k(): Int16Array {
    const out = new Int16Array(160);
    let filled = 0;
    while (filled < 160 && this.callerQueue.length) {
      const head = this.callerQueue[0];
      const take = Math.min(160 - filled, head.length - this.callerOffset);
      out.set(head.subarray(this.callerOffset, this.callerOffset + take), filled);
      filled += take;
      this.callerOffset += take;
      if (this.callerOffset >= head.length) {
        this.callerQueue.shift();
        this.callerOffset = 0;
      }
    }
    return out;
  }

  private tick(): void {
    const s = this.session;
    if (!s) return;
    const maxMs = this.opts.maxSessionMs ?? 10 * 60_000;
    const logging = s.uplink.length * 20 < maxMs;
    // Uplink.
    const frame8k = this.nextCallerFrame8k();
    const frame = this.upsampler ? this.upsampler.process(frame8k) : frame8k;
    if (logging) s.uplink.push(frame);
    this.writeUplink(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
    // Downlink playout: one frame per tick. Like the modem's DMA, take everything the gateway has
    // written so far first: a read still waiting for this busy loop must not count as an underrun.
    this.link?.drainNow?.();
    const frameBytes = this.frameSamples() * 2;
    const heard = new Int16Array(this.frameSamples());
    const queuedFrames = this.playoutBytes / frameBytes;
    const now = performance.now();
    const gap = now - this.lastTickAt;
    this.lastTickAt = now;
    // Late (> 1.5 intervals) or a catch-up tick run back to back (< 0.5): the process stalled.
    if (gap > 30 || gap < 10) this.settleTicks = 3;
    if (this.settleTicks > 0) {
      this.settleTicks--;
      s.stalledTicks++;
      if (queuedFrames > s.maxQueuedFramesAfterStall) s.maxQueuedFramesAfterStall = queuedFrames;
    } else if (queuedFrames > s.maxQueuedFrames) s.maxQueuedFrames = queuedFrames;
    if (this.playoutBytes < frameBytes) s.underrunTicks++;
    const take = this.takePlayout(Math.min(frameBytes, this.playoutBytes - (this.playoutBytes % 2)));
    for (let i = 0; i + 1 < take.length; i += 2) heard[i >> 1] = take.readInt16LE(i);
    if (logging) s.heard.push(heard);
  }

  /** Second halves of split frames, written shortly after their first half, always in order. */
  private deferred: Buffer[] = [];
  private deferTimer: ReturnType<typeof setTimeout> | null = null;

  private writeUplink(bytes: Buffer): void {
    const link = this.link;
    if (!link || !link.isOpen) return;
    this.flushDeferred();
    if (this.opts.splitFrames === false) {
      link.write(bytes);
      return;
    }
    // Odd split point: the reader gets a chunk that ends in the middle of a sample.
    const cut = 2 * Math.floor(Math.random() * (bytes.length / 2 - 1)) + 1;
    link.write(bytes.subarray(0, cut));
    this.deferred.push(Buffer.from(bytes.subarray(cut)));
    this.deferTimer ??= setTimeout(() => this.flushDeferred(), 2);
  }

  private flushDeferred(): void {
    if (this.deferTimer) clearTimeout(this.deferTimer);
    this.deferTimer = null;
    const link = this.link;
    for (const b of this.deferred.splice(0)) if (link?.isOpen) link.write(b);
  }

  private takePlayout(n: number): Buffer {
    const out = Buffer.alloc(n);
    let filled = 0;
    while (filled < n && this.playout.length) {
      const head = this.playout[0];
      const take = Math.min(n - filled, head.length);
      head.copy(out, filled, 0, take);
      filled += take;
      if (take === head.length) this.playout.shift();
      else this.playout[0] = head.subarray(take);
    }
    this.playoutBytes -= filled;
    return out;
  }

  private onDownlink(chunk: Buffer): void {
    const s = this.session;
    if (!s) {
      this.droppedBytesWhileClosed += chunk.length;
      return;
    }
    s.downlinkBytes += chunk.length;
    const tMs = performance.now() - s.startedAt;
    if (s.downlinkChunks.length < 100_000) s.downlinkChunks.push({ tMs, bytes: chunk.length });
    // The modem's buffer is finite too (about a second); beyond it audio is lost.
    const limit = s.sampleRate * 2;
    if (this.playoutBytes + chunk.length > limit) return;
    this.playout.push(Buffer.from(chunk));
    this.playoutBytes += chunk.length;
  }
}
