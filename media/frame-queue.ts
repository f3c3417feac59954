/**
 * Outbound FIFO of fixed-size frames (20 ms = 320 samples at 16 kHz by default).
 *
 * TTS engines hand back audio in whatever sizes they like; the transport's clock wants exactly one
 * frame per tick. push() re-frames arbitrary-length PCM into whole frames, keeping the remainder
 * until more arrives; flushPartial() pads that remainder with silence at the end of an utterance;
 * clear() drops everything at once (barge-in) and says how much audio was thrown away.
 */

export class FrameQueue {
  private readonly frames: Int16Array[] = [];
  private head = 0;
  private partial: Int16Array;
  private partialFill = 0;

  constructor(readonly frameSamples = 320) {
    if (!Number.isInteger(frameSamples) || frameSamples <= 0) throw new RangeError(`frameSamples must be a positive integer, got ${frameSamples}`);
    this.partial = new Int16Array(frameSamples);
  }

  /** Complete frames ready to pop. */
  get length(): number {
    return this.frames.length - this.head;
  }

  /** Samples queued, including the incomplete tail. */
  get bufferedSamples(): number {
    return this.length * this.frameSamples + this.partialFill;
  }

  /** Samples waiting for more audio to complete a frame. */
  get partialSamples(): number {
    return this.partialFill;
  }

  /** Append PCM of any length (copied: the caller may reuse its buffer). */
  push(pcm: Int16Array): void {
    const n = this.frameSamples;
    let off = 0;
    while (off < pcm.length) {
      const take = Math.min(n - this.partialFill, pcm.length - off);
      this.partial.set(pcm.subarray(off, off + take), this.partialFill);
      this.partialFill += take;
      off += take;
      if (this.partialFill === n) {
        this.frames.push(this.partial);
        this.partial = new Int16Array(n);
        this.partialFill = 0;
      }
    }
  }

  /** The next complete frame, or null. The frame is the caller's to keep. */
  pop(): Int16Array | null {
    if (this.head === this.frames.length) return null;
    const frame = this.frames[this.head];
    this.head++;
    // Compact now and then instead of shifting on every pop (O(1) amortised).
    if (this.head >= 64 && this.head * 2 >= this.frames.length) {
      this.frames.splice(0, this.head);
      this.head = 0;
    }
    return frame;
  }

  /** Pad the incomplete tail with silence into a whole frame; returns the samples of padding added. */
  flushPartial(): number {
    if (this.partialFill === 0) return 0;
    const padding = this.frameSamples - this.partialFill;
    // `partial` is zero-filled past partialFill already (fresh array), so it is silence.
    this.frames.push(this.partial);
    this.partial = new Int16Array(this.frameSamples);
    this.partialFill = 0;
    return padding;
  }

  /** Keep only the first `frames` complete frames: drop those after them and the tail; returns how many samples were dropped. */
  truncate(frames: number): number {
    const keep = Math.max(0, Math.min(frames, this.length));
    const dropped = (this.length - keep) * this.frameSamples + this.partialFill;
    this.frames.length = this.head + keep;
    this.partial.fill(0);
    this.partialFill = 0;
    return dropped;
  }

  /** Drop everything, complete frames and tail; returns how many samples were dropped. */
  clear(): number {
    const dropped = this.bufferedSamples;
    this.frames.length = 0;
    this.head = 0;
    this.partial.fill(0);
    this.partialFill = 0;
    return dropped;
  }
}
