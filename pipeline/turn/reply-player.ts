/**
 * The assistant's reply audio for one call, ready for the transport's 20 ms pulls. It remembers
 * which text each stretch of audio belongs to, so after a barge-in we know what the caller
 * actually heard, and it can pause (caller may be interrupting) and resume (it was only "mhm").
 */
import { FrameQueue } from '../../media/frame-queue.ts';

interface Segment {
  text: string;
  /** Frames of this segment not yet played. */
  remainingFrames: number;
  totalFrames: number;
}

export class ReplyPlayer {
  private readonly queue: FrameQueue;
  private readonly segments: Segment[] = [];
  private spoken: string[] = [];
  private paused = false;

  constructor(
    private readonly frameSamples = 320,
    /** Called when a segment has played to its end, with all text played since the last reset. */
    private readonly onSegmentPlayed?: (spoken: string) => void,
  ) {
    this.queue = new FrameQueue(frameSamples);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Frames waiting to play (whole frames; a trailing part frame counts once flushed). */
  get queuedFrames(): number {
    return this.queue.length;
  }

  get hasAudio(): boolean {
    return this.queue.length > 0;
  }

  /** Start a new sentence's audio. */
  beginSegment(text: string): void {
    this.segments.push({ text, remainingFrames: 0, totalFrames: 0 });
  }

  /** Audio (16 kHz) for the most recent segment. */
  push(pcm: Int16Array): void {
    const before = this.queue.length;
    this.queue.push(pcm);
    this.account(this.queue.length - before);
  }

  /** The segment is complete: pad its last partial frame so it plays too. */
  endSegment(): void {
    const before = this.queue.length;
    this.queue.flushPartial();
    this.account(this.queue.length - before);
    // A sentence the TTS gave no audio for was never heard, and must not take the next one's frames.
    const last = this.segments[this.segments.length - 1];
    if (last && last.totalFrames === 0) this.segments.pop();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** One frame for the transport, or null when paused or empty. */
  next(): Int16Array | null {
    if (this.paused) return null;
    const frame = this.queue.pop();
    if (!frame) return null;
    const seg = this.segments[0];
    if (seg) {
      seg.remainingFrames--;
      if (seg.remainingFrames <= 0) {
        this.spoken.push(seg.text);
        this.segments.shift();
        this.onSegmentPlayed?.(this.spoken.join(' '));
      }
    }
    return frame;
  }

  /**
   * Finish the sentence playing now and nothing after it (the call's time limit): the sentences
   * queued behind it, and one not yet begun, are dropped. Returns whether anything was.
   */
  stopAfterCurrent(): boolean {
    const seg = this.segments[0];
    const playing = seg && seg.remainingFrames < seg.totalFrames ? seg : null;
    const dropped = this.queue.truncate(playing ? playing.remainingFrames : 0) > 0 || this.segments.length > (playing ? 1 : 0);
    this.segments.length = playing ? 1 : 0;
    return dropped;
  }

  /**
   * Drop everything queued (barge-in) and say what the caller heard: every finished segment and
   * the played share of the current one, cut at a word boundary.
   */
  clear(): string {
    const seg = this.segments[0];
    const heard = [...this.spoken];
    if (seg && seg.totalFrames > 0) {
      const share = (seg.totalFrames - seg.remainingFrames) / seg.totalFrames;
      const words = seg.text.split(/\s+/);
      const partial = words.slice(0, Math.floor(words.length * share)).join(' ');
      if (partial) heard.push(partial + '…');
    }
    this.queue.clear();
    this.segments.length = 0;
    this.spoken = [];
    this.paused = false;
    return heard.join(' ');
  }

  /** Text fully played since the last reset, and a reset: a reply that ended is not heard again at the next barge-in. */
  takeSpoken(): string {
    const s = this.spoken.join(' ');
    this.spoken = [];
    return s;
  }

  private account(frames: number): void {
    const seg = this.segments[this.segments.length - 1];
    if (!seg || frames <= 0) return;
    seg.remainingFrames += frames;
    seg.totalFrames += frames;
  }
}
