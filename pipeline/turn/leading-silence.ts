/**
 * A reply's first audible sample should be the first sample the caller gets: TTS engines pad the
 * start of their output (espeak-ng about 12 ms of zeros, flite over 100 ms of near-silence), and
 * every millisecond of it is added to what the caller waits (`v2v_ms` counts from the first sample
 * handed to the transport, audible or not). Only a reply's start is trimmed: the pause an engine
 * puts before a later sentence is part of natural speech.
 */

/** About -54 dBFS: below anything a voice produces, above dither and DC wobble. */
export const AUDIBLE_LEVEL = 64;
/** Kept before the onset (1 ms at 16 kHz) so the waveform starts where it was heading, not mid-edge. */
export const LEAD_IN_SAMPLES = 16;

const EMPTY = new Int16Array(0);

/** Index of the first sample at or above AUDIBLE_LEVEL, or -1. */
export function firstAudibleSample(pcm: Int16Array): number {
  for (let i = 0; i < pcm.length; i++) {
    const x = pcm[i];
    if (x >= AUDIBLE_LEVEL || x <= -AUDIBLE_LEVEL) return i;
  }
  return -1;
}

/** Feeds a reply's audio chunk by chunk: everything before the first audible sample is dropped, then all passes. */
export class LeadingSilenceTrimmer {
  #audible = false;

  /** Whether the onset has been seen (every later chunk passes whole). */
  get audible(): boolean {
    return this.#audible;
  }

  trim(pcm: Int16Array): Int16Array {
    if (this.#audible) return pcm;
    const onset = firstAudibleSample(pcm);
    if (onset < 0) return EMPTY;
    this.#audible = true;
    return pcm.subarray(Math.max(0, onset - LEAD_IN_SAMPLES));
  }
}
