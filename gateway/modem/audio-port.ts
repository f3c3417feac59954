/**
 * The SIM7600 USB audio port from the gateway's side: raw s16le mono PCM both ways once
 * AT+CPCMREG=1 is in effect (8 kHz, 320-byte frames; 16 kHz, 640-byte frames after AT+CPCMFRM=1).
 *
 * Reading: USB serial delivers whatever sizes it likes, including chunks that end in the middle of
 * a sample; the odd byte is carried into the next chunk so samples never shift by a byte.
 *
 * Writing: audio handed to the modem plays out at real time and cannot be recalled, so the port
 * keeps an estimate of how much is queued inside the modem (what was written minus what real time
 * has consumed since) and refuses frames beyond `maxAheadFrames` (default 2). That bound is the
 * floor of barge-in delay: when the pipeline stops talking, at most that much still plays.
 * A frame starts counting as played only once its write has reached the OS: serialport writes go
 * through libuv's thread pool, which a busy process (SQLite, file I/O) can hold up for tens of
 * milliseconds; counting from the call to write() would let the modem underrun meanwhile and then
 * receive a burst, queueing more than the bound. Frames still in flight count as fully queued.
 */
import { int16FromBytes, bytesFromInt16 } from '../../media/pcm.ts';
import type { SerialLink } from './serial-link.ts';

export interface AudioPortOptions {
  sampleRate: 8000 | 16000;
  maxAheadFrames?: number;
  now?: () => number;
}

export class ModemAudioPort {
  readonly sampleRate: 8000 | 16000;
  readonly frameSamples: number;
  readonly maxAheadFrames: number;
  private readonly now: () => number;
  private carry: number | null = null;
  private listeners: ((pcm: Int16Array) => void)[] = [];
  /** performance.now() at which everything written so far will have played out. */
  private playoutEnd = 0;
  /** Frames handed to write() whose bytes have not reached the OS yet. */
  private inFlight = 0;
  bytesIn = 0;
  bytesOut = 0;
  framesOut = 0;
  /** Reads that ended mid-sample (how often the carry was needed). */
  oddReads = 0;
  firstAudioAt: number | null = null;
  refusedFrames = 0;

  constructor(
    private readonly link: SerialLink,
    opts: AudioPortOptions,
  ) {
    this.sampleRate = opts.sampleRate;
    this.frameSamples = opts.sampleRate / 50;
    this.maxAheadFrames = opts.maxAheadFrames ?? 2;
    this.now = opts.now ?? (() => performance.now());
    link.onData((chunk) => this.onData(chunk));
  }

  get isOpen(): boolean {
    return this.link.isOpen;
  }

  /** Caller audio at the port's rate, in whole samples. */
  onAudio(fn: (pcm: Int16Array) => void): void {
    this.listeners.push(fn);
  }

  /** Milliseconds of our audio still queued in the modem or on its way there (estimate). */
  aheadMs(): number {
    return Math.max(0, this.playoutEnd - this.now()) + this.inFlight * 20;
  }

  /** True when one more frame fits under the queue bound. */
  canWrite(): boolean {
    return this.aheadMs() + 20 <= this.maxAheadFrames * 20 + 0.5;
  }

  /** Write one 20 ms frame (frameSamples samples). Returns false, writing nothing, when the modem queue is full. */
  writeFrame(pcm: Int16Array): boolean {
    if (pcm.length !== this.frameSamples) throw new RangeError(`frame must be ${this.frameSamples} samples, got ${pcm.length}`);
    if (!this.link.isOpen) return false;
    if (!this.canWrite()) {
      this.refusedFrames++;
      return false;
    }
    this.inFlight++;
    this.link.write(bytesFromInt16(pcm, true), () => {
      this.inFlight--;
      // The modem plays this frame after whatever it still holds, or from now if it ran dry.
      this.playoutEnd = Math.max(this.playoutEnd, this.now()) + 20;
    });
    this.bytesOut += pcm.length * 2;
    this.framesOut++;
    return true;
  }

  close(): Promise<void> {
    this.listeners = [];
    return this.link.close();
  }

  private onData(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.bytesIn += chunk.length;
    this.firstAudioAt ??= this.now();
    let bytes: Uint8Array = chunk;
    if (this.carry !== null) {
      const joined = new Uint8Array(chunk.length + 1);
      joined[0] = this.carry;
      joined.set(chunk, 1);
      bytes = joined;
      this.carry = null;
    }
    if (bytes.length % 2 === 1) {
      this.oddReads++;
      this.carry = bytes[bytes.length - 1];
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    if (bytes.length === 0) return;
    const pcm = int16FromBytes(bytes);
    for (const fn of this.listeners) fn(pcm);
  }
}
