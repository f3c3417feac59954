/**
 * TTS through any OpenAI-compatible /v1/audio/speech server (OpenAI, Kokoro-FastAPI, openedai-speech,
 * XTTS servers): the response body is streamed and turned into PCM chunks as bytes arrive, so the
 * first audio plays before the sentence is fully synthesised. 'pcm' (raw s16le, OpenAI's 24 kHz)
 * is preferred; 'wav' works with servers that only stream WAV (the header gives the rate).
 * Abort cancels the HTTP request.
 */
import OpenAI from 'openai';
import type { EgressPolicy } from '../net/egress-policy.ts';
import { proxyClientOptions } from '../net/outbound-http.ts';
import { engineFailure, upstreamSummary, type EngineLog } from './engine-error.ts';
import { PcmByteStream } from './pcm-byte-stream.ts';
import { isAbortError, type EngineHealth, type TtsChunk, type TtsEngine, type TtsOptions } from './types.ts';

export interface OpenAiTtsOptions {
  baseURL: string;
  apiKey?: string;
  /** e.g. 'tts-1', 'kokoro' */
  model: string;
  voice: string;
  format?: 'pcm' | 'wav';
  /** Rate of 'pcm' responses (OpenAI: 24000); a WAV header overrides it. */
  sampleRate?: number;
  timeoutMs?: number;
  maxRetries?: number;
  /** For a server an admin configured: where its requests may go. Env-configured ones have none. */
  egress?: EgressPolicy;
  /** Where the server's error answers go (errors and health only say what failed and an error id). */
  log?: EngineLog;
}

export class OpenAiCompatibleTts implements TtsEngine {
  readonly name = 'openai-tts';
  readonly sampleRate: number;
  private readonly client: OpenAI;
  private lastError: string | null = null;

  constructor(private readonly opts: OpenAiTtsOptions) {
    this.sampleRate = opts.sampleRate ?? 24000;
    this.client = new OpenAI({
      baseURL: opts.baseURL,
      apiKey: opts.apiKey ?? 'not-needed',
      timeout: opts.timeoutMs ?? 30000,
      maxRetries: opts.maxRetries ?? 1,
      ...proxyClientOptions(null, opts.egress),
    });
  }

  health(): EngineHealth {
    return { name: this.name, ok: this.lastError === null, detail: this.lastError ?? undefined };
  }

  async *synthesize(text: string, o: TtsOptions = {}): AsyncIterable<TtsChunk> {
    if (o.signal?.aborted || !text.trim()) return;
    const format = this.opts.format ?? 'pcm';
    const pcm = new PcmByteStream({ wav: format === 'wav', sampleRate: this.sampleRate });
    try {
      const res = await this.client.audio.speech.create(
        { model: this.opts.model, voice: (o.voice ?? this.opts.voice) as never, input: text, response_format: format, ...(o.speed ? { speed: o.speed } : {}) },
        { signal: o.signal },
      );
      if (!res.body) throw new Error('the speech response has no body');
      for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (o.signal?.aborted) return;
        const samples = pcm.push(bytes);
        if (samples.length) yield { pcm: samples, sampleRate: pcm.sampleRate };
      }
      this.lastError = null;
    } catch (err) {
      if (o.signal?.aborted || isAbortError(err)) return;
      const failure = engineFailure(this.opts.log, this.name, upstreamSummary(err), { err });
      this.lastError = failure.message;
      throw failure;
    }
  }

  async close(): Promise<void> {}
}
