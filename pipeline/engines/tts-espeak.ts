/**
 * espeak-ng: the always-available TTS fallback (Debian package; Russian and English). One process
 * per sentence (abort kills it, the only way to stop espeak mid-sentence), but started ahead: most
 * of espeak's time to first audio on a short sentence is its own start-up (exec, loading the voice
 * and dictionaries: ~8 ms here against ~1 ms of synthesis), which it does before reading stdin. So
 * the engine keeps one spare process per recently used voice and speed, idle on stdin, and
 * a sentence goes to the spare while the next spare starts.
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
  /** Voice/speed combinations kept with a started spare process (default 2; 0 = start on demand). */
  spareVoices?: number;
}

type EspeakProcess = ReturnType<typeof spawn>;

const LANGUAGE_VOICES: Record<string, string> = { en: 'en-us', ru: 'ru' };

/** espeak-ng's output rate for its built-in voices. */
export const ESPEAK_SAMPLE_RATE = 22050;

export class EspeakTts implements TtsEngine {
  readonly name = 'espeak-ng';
  readonly sampleRate = ESPEAK_SAMPLE_RATE;
  private lastError: string | null = null;
  private active = new Set<EspeakProcess>();
  /** Started processes waiting on stdin, by their argument list; most recently used last. */
  private spares = new Map<string, EspeakProcess>();
  private closed = false;

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
    const args = ['--stdout', '-v', this.voiceFor(text, o), '-s', String(wpm)];
    const proc = this.takeProcess(args);
    this.active.add(proc);
    const { exited } = watch(proc);
    const onAbort = () => proc.kill('SIGKILL');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    proc.stdin!.end(text);
    const pcm = new PcmByteStream({ wav: true, sampleRate: this.sampleRate });
    try {
      for await (const bytes of proc.stdout! as AsyncIterable<Buffer>) {
        if (o.signal?.aborted) break;
        const samples = pcm.push(bytes);
        if (samples.length) yield { pcm: samples, sampleRate: pcm.sampleRate };
      }
      const { code, spawnError, stderr } = await exited;
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

  /** The spare for these arguments if it is still alive, else a fresh process; a new spare starts either way. */
  private takeProcess(args: string[]): EspeakProcess {
    const key = args.join(' ');
    let proc = this.spares.get(key);
    this.spares.delete(key);
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) proc = this.start(args);
    else setRef(proc, true);
    this.startSpare(key, args);
    return proc;
  }

  private start(args: string[]): EspeakProcess {
    const proc = spawn(this.opts.command ?? 'espeak-ng', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    proc.stdin!.on('error', () => {}); // EPIPE when the process died early; the exit code tells why
    return proc;
  }

  private startSpare(key: string, args: string[]): void {
    const keep = this.opts.spareVoices ?? 2;
    if (this.closed || keep <= 0) return;
    const spare = this.start(args);
    // An idle spare must not keep the process alive; when we exit, its stdin closes and it exits too.
    setRef(spare, false);
    // A spare that could not start (espeak missing) or died is simply dropped: the next sentence starts its own and reports why.
    spare.on('error', () => this.dropSpare(key, spare));
    spare.on('exit', () => this.dropSpare(key, spare));
    this.spares.set(key, spare);
    for (const [k, p] of this.spares) {
      if (this.spares.size <= keep) break;
      this.dropSpare(k, p); // least recently used first
    }
  }

  private dropSpare(key: string, proc: EspeakProcess): void {
    if (this.spares.get(key) === proc) this.spares.delete(key);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.active) p.kill('SIGKILL');
    this.active.clear();
    for (const [k, p] of this.spares) this.dropSpare(k, p);
  }
}

function setRef(proc: EspeakProcess, ref: boolean): void {
  for (const handle of [proc, proc.stdin, proc.stdout, proc.stderr] as Array<{ ref?(): void; unref?(): void } | null>) {
    if (ref) handle?.ref?.();
    else handle?.unref?.();
  }
}

/** Collect what a process says on stderr and how it ended (spawn failures included). */
function watch(proc: EspeakProcess): { exited: Promise<{ code: number | null; spawnError: Error | null; stderr: string }> } {
  let spawnError: Error | null = null;
  let stderr = '';
  proc.on('error', (err) => {
    spawnError = err;
  });
  proc.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 2000) stderr += d.toString();
  });
  return { exited: new Promise((resolve) => proc.on('close', (code) => resolve({ code, spawnError, stderr }))) };
}
