/**
 * Greeting audio synthesised once, ahead of calls, at the pipeline rate. A caller hears the first
 * frame of the greeting on the next clock tick after the call opens instead of waiting for TTS,
 * which is the one moment every caller notices latency. The persona's other fixed words (asking a
 * silent caller whether they are still there, the goodbyes before the turn manager hangs up) are
 * kept here too.
 *
 * Keyed by the text, the voice speaking it and the engine (the instance: an owner may switch the
 * engine, or the voice an engine of the same name speaks by default, while calls go on). When the
 * configuration or the engine changes the gateway warms the new greetings and `retain`s only those,
 * so an edited greeting is synthesised once (not per call) and the old one does not linger.
 */
import { PIPELINE_SAMPLE_RATE } from './call-pipeline.ts';
import type { TtsEngine, TtsOptions } from './engines/types.ts';
import { concatInt16 } from '../media/pcm.ts';
import { createResampler } from '../media/resampler.ts';

export type GreetingVoice = Omit<TtsOptions, 'signal'>;

export class GreetingCache {
  private readonly audio = new Map<string, Int16Array>();
  /** Bounded: four phrases per persona (fixedPhrases), for a few dozen personas (~100 KB each). */
  constructor(private readonly maxEntries = 128) {}

  get(text: string, voice: GreetingVoice, tts: TtsEngine): Int16Array | undefined {
    return this.audio.get(keyOf(text, voice, tts));
  }

  get size(): number {
    return this.audio.size;
  }

  /** The greetings ready now, as text (for logs and tests). */
  texts(): string[] {
    return [...this.audio.keys()].map((key) => key.split('\u0000')[0]);
  }

  /** Synthesises `text` unless cached; failures are returned, not thrown (the greeting then streams). */
  async warm(text: string, tts: TtsEngine, voice: GreetingVoice = {}): Promise<Error | null> {
    const key = keyOf(text, voice, tts);
    if (!normalise(text) || this.audio.has(key)) return null;
    try {
      const parts: Int16Array[] = [];
      const resampler = tts.sampleRate === PIPELINE_SAMPLE_RATE ? null : createResampler(tts.sampleRate, PIPELINE_SAMPLE_RATE);
      for await (const chunk of tts.synthesize(text, voice)) {
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

  /** Drops every greeting but these, spoken by `tts` (the ones new calls may still open with). */
  retain(keep: ReadonlyArray<{ text: string; voice?: GreetingVoice }>, tts: TtsEngine): void {
    const wanted = new Set(keep.map((g) => keyOf(g.text, g.voice ?? {}, tts)));
    for (const key of [...this.audio.keys()]) if (!wanted.has(key)) this.audio.delete(key);
  }
}

const normalise = (text: string) => text.trim().replace(/\s+/g, ' ');
/** A number per engine instance, for keys: two espeak-ng engines with other default voices are two voices. */
const engineIds = new WeakMap<TtsEngine, number>();
let nextEngineId = 1;
const engineId = (tts: TtsEngine): number => {
  let id = engineIds.get(tts);
  if (id === undefined) engineIds.set(tts, (id = nextEngineId++));
  return id;
};
const keyOf = (text: string, voice: GreetingVoice, tts: TtsEngine) => [normalise(text), voice.voice ?? '', voice.language ?? '', voice.speed ?? '', engineId(tts)].join('\u0000');
