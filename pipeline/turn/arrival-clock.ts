/**
 * Maps sample indices on the call's timeline to the wall time they arrived, so a VAD event that a
 * worker reports later ("speech ended at sample 48000") can be dated to when that audio reached
 * us. Keeps a bounded history (a few seconds is all any latency needs).
 */
const MAX_ENTRIES = 512;

export class ArrivalClock {
  private readonly endSample = new Float64Array(MAX_ENTRIES);
  private readonly wall = new Float64Array(MAX_ENTRIES);
  private count = 0;
  samples = 0;

  /**
   * `delaySamples`: how far the audio the VAD numbers lags what arrived (a noise suppressor's
   * delay): its sample N arrived with input sample N - delaySamples.
   */
  constructor(readonly delaySamples = 0) {}

  /** Samples of the delayed (heard) timeline so far. */
  get heardSamples(): number {
    return Math.max(0, this.samples - this.delaySamples);
  }

  record(chunkSamples: number, wallTime: number): void {
    this.samples += chunkSamples;
    const i = this.count % MAX_ENTRIES;
    this.endSample[i] = this.samples;
    this.wall[i] = wallTime;
    this.count++;
  }

  /** Wall time at which sample `heard` of the heard timeline had arrived (the oldest known time if it is older than the history). */
  wallTimeOf(heard: number): number {
    if (this.count === 0) return 0;
    const sample = heard - this.delaySamples;
    const oldest = Math.max(0, this.count - MAX_ENTRIES);
    for (let k = this.count - 1; k >= oldest; k--) {
      const i = k % MAX_ENTRIES;
      const prev = k > oldest ? this.endSample[(k - 1) % MAX_ENTRIES] : -Infinity;
      if (sample >= prev && sample < this.endSample[i]) return this.wall[i];
    }
    return sample >= this.samples ? this.wall[(this.count - 1) % MAX_ENTRIES] : this.wall[oldest % MAX_ENTRIES];
  }
}
