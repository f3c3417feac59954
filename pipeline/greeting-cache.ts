/**
 * Greeting audio synthesised once, ahead of calls, at the pipeline rate. A caller hears the first
 * frame of the greeting on the next clock tick after the call opens instead of waiting for TTS,
 * which is the one moment every caller notices latency. The persona's other fixed words (asking a
 * silent caller whether they are still there, the goodbyes before the turn manager hangs up) are
 * kept here too.
 */
import { PIPELINE_SAMPLE_RATE } from './call-pipeline.ts';
import type { TtsEngine } from './engines/types.ts';
import { concatInt16 } from '../media/pcm.ts';
import { createResampler } from '../media/resampler.ts';

export class GreetingCache {
  private readonly audio = new Map<string, Int16Array>();
  /** Bounded: a handful of texts per persona, and a handful of personas. */
  constructor(private readonly maxEntries = 32) {}

  get(text: string): Int16Array | undefined {
    return this.audio.get(normalise(text));
  }

  get size(): number {
    return this.audio.size;
  }

  /** Synthesises `text` unless cached; failures are returned, not thrown (the greeting then streams). */
  async warm(text: string, tts: TtsEngine, opts: { voice?: string; language?: string } = {}): Promise<Error | null> {
    const key = normalise(text);
    if (!key || this.audio.has(key)) return null;
    try {
      const parts: Int16Array[] = [];
      const resampler = tts.sampleRate === PIPELINE_SAMPLE_RATE ? null : createResampler(tts.sampleRate, PIPELINE_SAMPLE_RATE);
      for await (const chunk of tts.synthesize(text, opts)) {
        if (chunk.sampleRate !== tts.sampleRate) throw new Error(`TTS chunk at ${chunk.sampleRate} Hz, engine says ${tts.sampleRate} Hz`);
        parts.push(resampler ? resampler.process(chunk.pcm) : chunk.pcm);
      }
      if (resampler) parts.push(resampler.flush());
      const pcm = concatInt16(parts);
      if (pcm.length === 0) return new Error('TTS produced no audio for the greeting');
      if (this.audio.size >= this.maxEntries) this.audio.delete(this.audio.keys().next().value!);
      this.audio.set(key, pcm);
      return null;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }
}

const normalise = (text: string) => text.trim().replace(/\s+/g, ' ');
