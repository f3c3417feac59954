/**
 * espeak-ng: the always-available TTS fallback (Debian package; Russian and English). One process
 * per sentence (abort kills it, the only way to stop espeak mid-sentence), but started ahead: most
 * of espeak's time to first audio on a short sentence is its own start-up (exec, loading the voice
 * and dictionaries: ~8 ms here against ~1 ms of synthesis), which it does before reading stdin. So
 * one spare process per recently used voice and speed waits idle on stdin, and a sentence goes to
 * the spare while the next spare starts. The processes are started by a small helper process
 * (espeak-spawner.ts), never by the gateway itself: a fork from a big process blocks its event loop.
 */
import { engineFailure, type EngineLog } from './engine-error.ts';
import { acquireEspeakSpawner, type EspeakSpawner } from './espeak-spawner.ts';
import { PcmByteStream } from './pcm-byte-stream.ts';
import type { EngineHealth, TtsChunk, TtsEngine, TtsOptions } from './types.ts';
import { UnknownVoiceError } from './voice-name.ts';

export interface EspeakTtsOptions {
  /** Binary (default 'espeak-ng'). */
  command?: string;
  /** Voice for English text, or for any text when `autoVoice` is off (default 'en-us'). */
  voice?: string;
  /** Voice used for text in Cyrillic when no voice is given per call (default 'ru'). */
  russianVoice?: string;
  /** Pick the voice from the script of each sentence (default true): personas mix languages. */
  autoVoice?: boolean;
  /** Words per minute at speed 1 (default 175, espeak's own default). */
  wordsPerMinute?: number;
  /** Start espeak-ng ahead for the next sentence (default true; false = one process per sentence, started on demand). */
  spares?: boolean;
  /** Where espeak-ng's stderr goes when it fails (never into errors or health). */
  log?: EngineLog;
}

/**
 * A voice as espeak-ng names them ("en-us", "ru", "en-gb-x-rp", "mb-en1", with a "+variant"):
 * never a path. espeak-ng opens `-v` relative to its data directory and prints every line of a file
 * it cannot parse as a voice ("Bad voice attribute: ..."), so `-v ../../../data/secret.key` reads a
 * file; this engine refuses any such name, whoever asks.
 */
export const ESPEAK_VOICE_NAME = /^[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*(?:\+[A-Za-z0-9_-]+)?$/;


/** espeak-ng's output rate for its built-in voices. */
export const ESPEAK_SAMPLE_RATE = 22050;

export class EspeakTts implements TtsEngine {
  readonly name = 'espeak-ng';
  readonly sampleRate = ESPEAK_SAMPLE_RATE;
  private lastError: string | null = null;
  private readonly spawner: EspeakSpawner;
  private readonly release: () => Promise<void>;

  constructor(private readonly opts: EspeakTtsOptions = {}) {
    for (const v of [opts.voice, opts.russianVoice]) if (v !== undefined) checkVoice(v);
    ({ spawner: this.spawner, release: this.release } = acquireEspeakSpawner());
    // The helper (~50 ms to start) and a spare for the default voice get ready before the first sentence.
    if (opts.spares !== false) this.spawner.prepare(this.opts.command ?? 'espeak-ng', this.argsFor(this.opts.voice ?? 'en-us', 1));
  }

  private argsFor(voice: string, speed: number): string[] {
    return ['--stdout', '-v', voice, '-s', String(Math.round((this.opts.wordsPerMinute ?? 175) * speed))];
  }

  /** Resolves when espeak-ng's helper process is up (sentences before that start espeak-ng directly). */
  ready(): Promise<void> {
    return this.spawner.whenReady();
  }

  health(): EngineHealth {
    return { name: this.name, ok: this.lastError === null, detail: this.lastError ?? undefined };
  }

  private voiceFor(text: string, o: TtsOptions): string {
    if (o.voice) return checkVoice(o.voice);
    // A language asked for gets this engine's voice for it (an owner may have chosen one: en-us+f3, ru+m2).
    if (o.language === 'en') return this.opts.voice ?? 'en-us';
    if (o.language === 'ru') return this.opts.russianVoice ?? 'ru';
    if ((this.opts.autoVoice ?? true) && /[а-яё]/i.test(text)) return this.opts.russianVoice ?? 'ru';
    return this.opts.voice ?? 'en-us';
  }

  async *synthesize(text: string, o: TtsOptions = {}): AsyncIterable<TtsChunk> {
    const voice = this.voiceFor(text, o); // a bad voice is refused even for empty text
    if (o.signal?.aborted || !text.trim()) return;
    // Text goes through stdin: an argument starting with '-' would be read as an option.
    const args = this.argsFor(voice, o.speed ?? 1);
    const run = this.spawner.run(this.opts.command ?? 'espeak-ng', args, text, this.opts.spares !== false);
    let finished = false;
    const onAbort = () => run.kill();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const pcm = new PcmByteStream({ wav: true, sampleRate: this.sampleRate });
    try {
      for await (const bytes of run.output) {
        if (o.signal?.aborted) break;
        const samples = pcm.push(bytes);
        if (samples.length) yield { pcm: samples, sampleRate: pcm.sampleRate };
      }
      if (o.signal?.aborted) return;
      const { code, signal, error, stderr } = await run.exit;
      finished = true;
      // `error` is Node's spawn error ("spawn espeak-ng ENOENT") or the helper's own words: safe to show.
      if (error) throw engineFailure(this.opts.log, this.name, `espeak-ng could not run: ${error}`, { stderr });
      if (code !== 0) throw engineFailure(this.opts.log, this.name, `espeak-ng exited with ${code ?? signal}`, { stderr });
      this.lastError = null;
    } catch (err) {
      if (!o.signal?.aborted) this.lastError = (err as Error).message;
      throw err;
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      if (!finished) run.kill(); // aborted, or the consumer stopped early
    }
  }

  /** Gives up this engine's hold on the shared helper (the last one ends it, and its spares). */
  async close(): Promise<void> {
    await this.release();
  }
}

function checkVoice(voice: string): string {
  if (!ESPEAK_VOICE_NAME.test(voice)) throw new UnknownVoiceError('espeak-ng', voice);
  return voice;
}
