/**
 * Plays raw PCM16 mono (little-endian) while it is still arriving: each piece read from a stream
 * becomes an AudioBuffer scheduled right after the one before, so sound starts with the first
 * piece and a reply synthesised faster than real time queues up without gaps or drops.
 *
 * Not the softphone's playout worklet: that one expects audio paced at real time and keeps at most
 * 2 s (a call must not play late), while a TTS stream arrives in bursts, a sentence at a time.
 */

/** Head start for the first piece, so its first samples are not cut by the render quantum already under way. */
const LEAD_S = 0.03;

export class PcmStreamPlayer {
  readonly #ctx: AudioContext;
  readonly #rate: number;
  readonly #sources = new Set<AudioBufferSourceNode>();
  /** A byte left over when a piece ended mid-sample. */
  #carry: number | null = null;
  /** Context time at which the next piece starts. */
  #next = 0;
  #firstStart: number | null = null;
  #samples = 0;
  #last: AudioBufferSourceNode | null = null;

  constructor(ctx: AudioContext, sampleRate: number) {
    this.#ctx = ctx;
    this.#rate = sampleRate;
  }

  /** Schedule a piece of the stream; the number of samples it added (0 for a lone byte). */
  push(bytes: Uint8Array): number {
    const joined = this.#carry === null ? bytes : prepend(this.#carry, bytes);
    const count = joined.length >> 1;
    this.#carry = joined.length & 1 ? joined[joined.length - 1] : null;
    if (count === 0) return 0;
    const buffer = this.#ctx.createBuffer(1, count, this.#rate);
    const out = buffer.getChannelData(0);
    const view = new DataView(joined.buffer, joined.byteOffset, count * 2);
    for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true) / 32768;

    const source = this.#ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.#ctx.destination);
    // After a stall (the stream slower than playback) resume from now rather than in the past.
    const at = Math.max(this.#next, this.#ctx.currentTime + LEAD_S);
    source.start(at);
    source.onended = () => this.#sources.delete(source);
    this.#sources.add(source);
    this.#firstStart ??= at;
    this.#next = at + buffer.duration;
    this.#samples += count;
    this.#last = source;
    return count;
  }

  /** Seconds of audio received so far. */
  get receivedSeconds(): number {
    return this.#samples / this.#rate;
  }

  /** Seconds heard so far (context time since the first piece began, up to what was received). */
  get playedSeconds(): number {
    if (this.#firstStart === null) return 0;
    return Math.min(this.receivedSeconds, Math.max(0, this.#ctx.currentTime - this.#firstStart));
  }

  /** Resolves once everything scheduled has been played (at once when nothing was). */
  drained(): Promise<void> {
    const last = this.#last;
    if (!last || !this.#sources.has(last)) return Promise.resolve();
    return new Promise((resolve) => last.addEventListener('ended', () => resolve(), { once: true }));
  }

  /** Silence now: every scheduled piece is stopped (drained() then resolves). */
  stop(): void {
    for (const s of this.#sources) {
      try {
        s.stop();
      } catch {
        /* not started yet in some browsers' eyes: nothing to stop */
      }
    }
    this.#next = this.#ctx.currentTime;
  }
}

function prepend(byte: number, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 1);
  out[0] = byte;
  out.set(bytes, 1);
  return out;
}
