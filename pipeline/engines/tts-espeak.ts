/**
 * espeak-ng: the always-available TTS fallback (Debian package; Russian and English). One process
 * per sentence: it starts in a few milliseconds and synthesises far faster than real time, so a
 * long-lived process would save little and make barge-in harder. Abort kills the process, which
 * is the only way to stop it mid-sentence.
 */
import { spawn } from 'node:child_process';
import { PcmByteStream } from './pcm-byte-stream.ts';
import type { EngineHealth, TtsChunk, TtsEngine, TtsOptions } from './types.ts';

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
}

const LANGUAGE_VOICES: Record<string, string> = { en: 'en-us', ru: 'ru' };

/** espeak-ng's output rate for its built-in voices. */
export const ESPEAK_SAMPLE_RATE = 22050;

export class EspeakTts implements TtsEngine {
  readonly name = 'espeak-ng';
  readonly sampleRate = ESPEAK_SAMPLE_RATE;
  private lastError: string | null = null;
  private active = new Set<ReturnType<typeof spawn>>();

  constructor(private readonly opts: EspeakTtsOptions = {}) {}

  health(): EngineHealth {
    return { name: this.name, ok: this.lastError === null, detail: this.lastError ?? undefined };
  }

  private voiceFor(text: string, o: TtsOptions): string {
    if (o.voice) return o.voice;
    if (o.language && LANGUAGE_VOICES[o.language]) return LANGUAGE_VOICES[o.language];
    if ((this.opts.autoVoice ?? true) && /[а-яё]/i.test(text)) return this.opts.russianVoice ?? 'ru';
    return this.opts.voice ?? 'en-us';
  }

  async *synthesize(text: string, o: TtsOptions = {}): AsyncIterable<TtsChunk> {
    if (o.signal?.aborted || !text.trim()) return;
    const wpm = Math.round((this.opts.wordsPerMinute ?? 175) * (o.speed ?? 1));
    // Text goes through stdin: an argument starting with '-' would be read as an option.
    const proc = spawn(this.opts.command ?? 'espeak-ng', ['--stdout', '-v', this.voiceFor(text, o), '-s', String(wpm)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.active.add(proc);
    let spawnError: Error | null = null;
    let stderr = '';
    proc.on('error', (err) => {
      spawnError = err;
    });
    proc.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 2000) stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
    const onAbort = () => proc.kill('SIGKILL');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    proc.stdin.on('error', () => {}); // EPIPE when the process died early; the exit code tells why
    proc.stdin.end(text);
    const pcm = new PcmByteStream({ wav: true, sampleRate: this.sampleRate });
    try {
      for await (const bytes of proc.stdout as AsyncIterable<Buffer>) {
        if (o.signal?.aborted) break;
        const samples = pcm.push(bytes);
        if (samples.length) yield { pcm: samples, sampleRate: pcm.sampleRate };
      }
      const code = await exited;
      if (o.signal?.aborted) return;
      if (spawnError) throw spawnError;
      if (code !== 0) throw new Error(`espeak-ng exited with ${code}: ${stderr.trim()}`);
      this.lastError = null;
    } catch (err) {
      if (!o.signal?.aborted) this.lastError = (err as Error).message;
      throw err;
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      this.active.delete(proc);
    }
  }

  async close(): Promise<void> {
    for (const p of this.active) p.kill('SIGKILL');
    this.active.clear();
  }
}
