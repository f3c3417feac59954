/**
 * The caller's most recent audio, so an utterance gets the speech before the VAD's start: the
 * pre-roll that carries the first phoneme, and whatever arrived while the VAD's worker was lagging
 * behind the audio (its start event can come more than a second after the speech began).
 */
export class PreRollBuffer {
  private readonly chunks: Int16Array[] = [];
  private samples = 0;

  /** Keeps at least `keepSamples` of the newest audio. */
  constructor(private readonly keepSamples: number) {}

  push(pcm: Int16Array): void {
    this.chunks.push(pcm);
    this.samples += pcm.length;
    while (this.chunks.length > 1 && this.samples - this.chunks[0].length >= this.keepSamples) {
      this.samples -= this.chunks.shift()!.length;
    }
  }

  /** Audio from sample `from` (or the oldest kept) up to `end`, the timeline position of the newest sample pushed. */
  since(from: number, end: number): Int16Array {
    const startOfBuffer = end - this.samples;
    const first = Math.max(from, startOfBuffer);
    const out = new Int16Array(Math.max(0, end - first));
    let pos = startOfBuffer;
    let o = 0;
    for (const chunk of this.chunks) {
      const a = Math.max(0, first - pos);
      if (a < chunk.length) {
        out.set(chunk.subarray(a), o);
        o += chunk.length - a;
      }
      pos += chunk.length;
    }
    return out;
  }
}
