/**
 * Turns Silero's per-window speech probabilities into sample-accurate speech_start / speech_end
 * events. Pure state, no model: the batched VAD (pipeline/workers/vad-session-batched.ts) runs
 * many streams' windows through one ONNX session and hands each stream its probability here.
 *
 * The rules are the ones sherpa-onnx's VoiceActivityDetector applies (so a stream gives the same
 * events whichever runtime computed its probabilities; test/pipeline/vad-batched.test.ts compares
 * the two on real speech):
 *   - a window counts as speech once probabilities have stayed above `threshold` for
 *     `minSpeechSamples` (the first window above it only arms the start);
 *   - once speaking, anything above `threshold - 0.15` keeps speaking (hysteresis), and only
 *     `minSilenceSamples` of audio below that ends the segment;
 *   - a segment longer than `maxSpeechSamples` is ended sooner: threshold 0.9, 100 ms of silence.
 * Beyond sherpa: with `pauseSamples`, a segment's silence that has lasted that long (but not yet
 * `minSilenceSamples`) is reported as `speech_pause`, at the last speech sample, and speech that
 * comes back after it as `speech_resume`: the turn manager may end a complete turn at a pause.
 * With `onsets`, the window that arms a start is reported as `speech_onset` (and the arm falling
 * back as `speech_onset_lost`): a reply can pause for a barge-in one minimum speech sooner.
 * Positions: window i covers samples [i * shift, i * shift + window) (v5 models read 64 samples
 * of the previous window as context); a start is reported where sherpa puts a segment's start
 * (two windows plus the minimum speech before the window that triggered it), an end one shift
 * before sherpa's segment end, which measured closer to the last speech sample.
 */
import type { VadEvent } from './types.ts';

export interface SegmenterConfig {
  threshold: number;
  minSpeechSamples: number;
  minSilenceSamples: number;
  maxSpeechSamples: number;
  /** Samples the model reads per window (512, or 576 with a v5 model's context). */
  windowSamples: number;
  /** Samples each window advances (512). */
  shiftSamples: number;
  sampleRate: number;
  /** Silence inside a segment reported as a pause (0 or unset: never). */
  pauseSamples?: number;
  /** Report onsets (armed starts) and their loss. */
  onsets?: boolean;
}

/** What a long segment is held to, so that a caller who never pauses still gets a turn. */
const LONG_SEGMENT_THRESHOLD = 0.9;
const LONG_SEGMENT_SILENCE_SEC = 0.1;
const HYSTERESIS = 0.15;

export class SileroSegmenter {
  /** Samples the model has advanced over (windows * shift). */
  private tail = 0;
  private speaking = false;
  /** Where probabilities first rose above the threshold (0: not armed). */
  private armedAt = 0;
  /** Where probabilities first fell below the hysteresis floor while speaking (0: not falling). */
  private quietSince = 0;
  /** Start of the segment in progress, or -1. */
  private segmentStart = -1;
  private lastEnd = 0;
  /** A pause was reported in the current silence (a resume is owed if speech comes back). */
  private paused = false;
  private readonly longSilenceSamples: number;

  constructor(private readonly c: SegmenterConfig) {
    this.longSilenceSamples = Math.floor(c.sampleRate * LONG_SEGMENT_SILENCE_SEC);
  }

  /** One window's probability, in stream order; returns the event it causes, if any. */
  push(prob: number): VadEvent | null {
    const long = this.segmentStart >= 0 && this.tail - this.segmentStart > this.c.maxSpeechSamples;
    const threshold = long ? LONG_SEGMENT_THRESHOLD : this.c.threshold;
    const minSilence = long ? this.longSilenceSamples : this.c.minSilenceSamples;
    this.tail += this.c.shiftSamples;
    const wasArmed = this.armed;
    const speech = this.classify(prob, threshold, minSilence);
    if (speech) {
      if (this.segmentStart >= 0) return this.pauseEvent();
      const start = Math.max(this.tail - 2 * this.c.windowSamples - this.c.minSpeechSamples, this.lastEnd, 0);
      this.segmentStart = start;
      return { type: 'speech_start', sample: start, t_ms: this.ms(start) };
    }
    if (this.segmentStart < 0) return this.c.onsets ? this.onsetEvent(wasArmed) : null;
    const startSample = this.segmentStart;
    const end = Math.max(startSample, this.tail - minSilence - this.c.shiftSamples);
    this.segmentStart = -1;
    this.paused = false;
    this.lastEnd = end;
    return { type: 'speech_end', sample: end, t_ms: this.ms(end), startSample };
  }

  reset(): void {
    this.tail = 0;
    this.speaking = false;
    this.armedAt = 0;
    this.quietSince = 0;
    this.segmentStart = -1;
    this.lastEnd = 0;
    this.paused = false;
  }

  /** A start armed but not yet reached (the window that armed it counts). */
  private get armed(): boolean {
    return this.armedAt !== 0 && !this.speaking;
  }

  /** Outside a segment: an onset when this window armed a start, its loss when the arm fell back. */
  private onsetEvent(wasArmed: boolean): VadEvent | null {
    if (this.armed === wasArmed) return null;
    if (wasArmed) return { type: 'speech_onset_lost', sample: this.tail, t_ms: this.ms(this.tail) };
    // Where the start would be put, had it come at this window.
    const at = Math.max(this.tail - 2 * this.c.windowSamples, this.lastEnd, 0);
    return { type: 'speech_onset', sample: at, t_ms: this.ms(at) };
  }

  /** Inside a segment: a pause once its silence is long enough, a resume when speech is back after one. */
  private pauseEvent(): VadEvent | null {
    const pauseSamples = this.c.pauseSamples ?? 0;
    if (pauseSamples <= 0) return null;
    if (this.quietSince === 0) {
      if (!this.paused) return null;
      this.paused = false;
      return { type: 'speech_resume', sample: this.tail, t_ms: this.ms(this.tail) };
    }
    if (this.paused || this.tail - this.quietSince < pauseSamples) return null;
    this.paused = true;
    // Where an end would be put had the segment ended here: one shift before the quiet began.
    const at = Math.max(this.segmentStart, this.quietSince - this.c.shiftSamples);
    return { type: 'speech_pause', sample: at, t_ms: this.ms(at) };
  }

  /** Is this window part of speech (including the silence a segment may still span)? */
  private classify(prob: number, threshold: number, minSilence: number): boolean {
    const now = this.tail;
    if (prob > threshold) {
      this.quietSince = 0;
      if (this.speaking) return true;
      if (this.armedAt === 0) {
        this.armedAt = now;
        return false;
      }
      if (now - this.armedAt < this.c.minSpeechSamples) return false;
      this.speaking = true;
      return true;
    }
    if (!this.speaking) {
      // Exactly at the threshold keeps a pending start armed, as sherpa does.
      if (prob < threshold) this.armedAt = 0;
      return false;
    }
    if (prob > threshold - HYSTERESIS) return true;
    if (this.quietSince === 0) this.quietSince = now;
    if (now - this.quietSince < minSilence) return true;
    this.speaking = false;
    this.armedAt = 0;
    this.quietSince = 0;
    return false;
  }

  private ms(sample: number): number {
    return (sample / this.c.sampleRate) * 1000;
  }
}
