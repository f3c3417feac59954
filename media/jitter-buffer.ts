/**
 * Inbound jitter buffer: network audio arrives in order (TCP/WebSocket) but in bursts; the
 * pipeline wants one frame per 20 ms tick. The buffer holds audio back before it starts handing
 * frames out (prebuffering), so a burst gap shorter than the target is absorbed. Prebuffering ends
 * when `targetFrames` frames are queued OR the oldest queued frame has waited `targetFrames` pops,
 * whichever comes first: the added delay is at most the target, and a short last burst (the end of
 * an utterance, a single test frame) is never stranded waiting for frames that will not come.
 *   - underrun (nothing to give while playing): pop() returns null, the buffer counts it and
 *     prebuffers again; the caller keeps its clock going (silence, or nothing to the pipeline);
 *   - overrun (more than maxFrames queued): the oldest frames are dropped and counted, so a client
 *     that sends faster than real time cannot grow memory or latency without bound;
 *   - adaptive (optional): each underrun raises the target by one frame (up to maxTargetFrames);
 *     a long run without underruns lowers it again, trading latency back.
 * Frames are whatever the caller pushes (normally 20 ms of PCM); the buffer does not inspect them.
 */

export interface JitterBufferOptions {
  /** Frames to accumulate before playing (and after each underrun). Default 3 (60 ms). */
  targetFrames?: number;
  /** Most frames held; pushing beyond drops the oldest. Default 50 (1 s). */
  maxFrames?: number;
  adaptive?: boolean;
  /** Ceiling for the adaptive target. Default 10. */
  maxTargetFrames?: number;
  /** Pops without an underrun after which the adaptive target shrinks by one. Default 500 (10 s). */
  shrinkAfterFrames?: number;
}

export interface JitterBufferStats {
  depth: number;
  targetFrames: number;
  playing: boolean;
  pushed: number;
  popped: number;
  underruns: number;
  /** Frames dropped because the buffer was full. */
  overrunDrops: number;
  /** Frames discarded by clear(). */
  cleared: number;
  maxDepth: number;
}

export class JitterBuffer<F = Int16Array> {
  private readonly ring: (F | undefined)[];
  private head = 0;
  private count = 0;
  private playing = false;
  private target: number;
  private readonly minTarget: number;
  private readonly maxTarget: number;
  private readonly adaptive: boolean;
  private readonly shrinkAfter: number;
  private cleanRun = 0;
  /** Pops made while prebuffering with audio queued. */
  private waited = 0;
  private counters = { pushed: 0, popped: 0, underruns: 0, overrunDrops: 0, cleared: 0, maxDepth: 0 };

  constructor(opts: JitterBufferOptions = {}) {
    const max = opts.maxFrames ?? 50;
    const target = opts.targetFrames ?? 3;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxFrames must be a positive integer, got ${max}`);
    if (!Number.isInteger(target) || target < 0 || target > max) throw new RangeError(`targetFrames must be 0..maxFrames, got ${target}`);
    this.ring = new Array<F | undefined>(max);
    this.target = target;
    this.minTarget = target;
    this.maxTarget = Math.min(max, Math.max(target, opts.maxTargetFrames ?? 10));
    this.adaptive = opts.adaptive ?? false;
    this.shrinkAfter = opts.shrinkAfterFrames ?? 500;
  }

  /** Frames queued. */
  get depth(): number {
    return this.count;
  }

  get targetFrames(): number {
    return this.target;
  }

  push(frame: F): void {
    const cap = this.ring.length;
    if (this.count === cap) {
      // Full: drop the oldest so latency stays bounded by maxFrames.
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % cap;
      this.count--;
      this.counters.overrunDrops++;
    }
    this.ring[(this.head + this.count) % cap] = frame;
    this.count++;
    this.counters.pushed++;
    if (this.count > this.counters.maxDepth) this.counters.maxDepth = this.count;
    if (!this.playing && this.count >= Math.max(1, this.target)) this.startPlaying();
  }

  private startPlaying(): void {
    this.playing = true;
    this.waited = 0;
  }

  /** The next frame for this tick, or null while prebuffering or on an underrun. */
  pop(): F | null {
    if (!this.playing) {
      if (this.count === 0 || ++this.waited < this.target) return null;
      this.startPlaying(); // waited long enough: play what there is
    }
    if (this.count === 0) {
      this.counters.underruns++;
      this.playing = false; // prebuffer again before resuming
      if (this.adaptive && this.target < this.maxTarget) this.target++;
      this.cleanRun = 0;
      return null;
    }
    const frame = this.ring[this.head] as F;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
    this.counters.popped++;
    if (this.adaptive && ++this.cleanRun >= this.shrinkAfter) {
      this.cleanRun = 0;
      if (this.target > this.minTarget) this.target--;
    }
    return frame;
  }

  /** Drop everything queued (e.g. the caller asked to clear); returns how many frames were dropped. */
  clear(): number {
    const dropped = this.count;
    this.ring.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.playing = false;
    this.waited = 0;
    this.counters.cleared += dropped;
    return dropped;
  }

  get stats(): JitterBufferStats {
    return { depth: this.count, targetFrames: this.target, playing: this.playing, ...this.counters };
  }
}
