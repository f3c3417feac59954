/** Engines whose timing a test controls: a TTS that holds every sentence after the first until released. */
import type { TtsChunk, TtsEngine, TtsOptions } from '../../../pipeline/engines/types.ts';
import type { TtsCatalog, TtsVoice } from '../../../control/tts/tts-catalog.ts';

export class GatedTts implements TtsEngine {
  readonly name = 'gated';
  readonly sampleRate = 16000;
  sentencesStarted = 0;
  sentencesFinished = 0;
  #release!: () => void;
  readonly released = new Promise<void>((r) => (this.#release = r));

  /** Let sentences 2.. proceed. */
  release(): void {
    this.#release();
  }

  health() {
    return { name: this.name, ok: true };
  }

  async *synthesize(text: string, o: TtsOptions = {}): AsyncIterable<TtsChunk> {
    const n = ++this.sentencesStarted;
    if (n > 1) await this.released;
    if (o.signal?.aborted) return;
    // 100 ms of a 440 Hz tone per sentence, in two pieces.
    for (let part = 0; part < 2; part++) {
      const pcm = new Int16Array(800);
      for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (part * 800 + i)) / 16000));
      yield { pcm, sampleRate: 16000 };
    }
    this.sentencesFinished++;
  }

  async close(): Promise<void> {}
}

export function catalogOf(engine: TtsEngine, voices: TtsVoice[] = []): TtsCatalog {
  return {
    defaultEngine: engine.name,
    engineNames: () => [engine.name],
    engine: (name) => (name === engine.name ? engine : undefined),
    voices: async () => voices,
    close: () => engine.close(),
  };
}
