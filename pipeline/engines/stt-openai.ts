/**
 * STT through any OpenAI-compatible /v1/audio/transcriptions server (OpenAI, faster-whisper-server,
 * whisper.cpp server, vLLM): the utterance is uploaded as a 16 kHz WAV (multipart, via the openai
 * SDK pointed at `baseURL`). Not streaming: one request per utterance, after the VAD ends it.
 */
import OpenAI, { toFile } from 'openai';
import { encodeWav } from '../../media/wav.ts';
import { PIPELINE_SAMPLE_RATE } from '../call-pipeline.ts';
import type { EgressPolicy } from '../net/egress-policy.ts';
import { proxyClientOptions } from '../net/outbound-http.ts';
import { engineFailure, upstreamSummary, type EngineLog } from './engine-error.ts';
import type { EngineHealth, SttEngine, SttOptions, SttResult, SttStream } from './types.ts';

export interface OpenAiSttOptions {
  baseURL: string;
  apiKey?: string;
  /** e.g. 'whisper-1', 'Systran/faster-whisper-small' */
  model: string;
  /** Default language hint ('en', 'ru'); per-call options win. */
  language?: string;
  timeoutMs?: number;
  maxRetries?: number;
  /** For a server an admin configured: where its requests may go. Env-configured ones have none. */
  egress?: EgressPolicy;
  /** Where the server's error answers go (errors and health only say what failed and an error id). */
  log?: EngineLog;
}

export class OpenAiCompatibleStt implements SttEngine {
  readonly name = 'openai-stt';
  readonly streaming = false;
  private readonly client: OpenAI;
  private lastError: string | null = null;

  constructor(private readonly opts: OpenAiSttOptions) {
    this.client = new OpenAI({
      baseURL: opts.baseURL,
      apiKey: opts.apiKey ?? 'not-needed',
      timeout: opts.timeoutMs ?? 15000,
      maxRetries: opts.maxRetries ?? 1,
      ...proxyClientOptions(null, opts.egress),
    });
  }

  health(): EngineHealth {
    return { name: this.name, ok: this.lastError === null, detail: this.lastError ?? undefined };
  }

  createStream(opts: SttOptions = {}): SttStream {
    const parts: Int16Array[] = [];
    let cancelled = false;
    const ac = new AbortController();
    return {
      accept: (pcm) => {
        if (!cancelled) parts.push(pcm.slice());
      },
      onPartial: () => () => {},
      finish: () => {
        const n = parts.reduce((s, p) => s + p.length, 0);
        const all = new Int16Array(n);
        let at = 0;
        for (const p of parts) {
          all.set(p, at);
          at += p.length;
        }
        return this.transcribe(all, { ...opts, signal: opts.signal ?? ac.signal });
      },
      cancel: () => {
        cancelled = true;
        parts.length = 0;
        ac.abort();
      },
    };
  }

  async transcribe(pcm: Int16Array, opts: SttOptions = {}): Promise<SttResult> {
    const started = performance.now();
    const wav = encodeWav(pcm, PIPELINE_SAMPLE_RATE);
    const language = opts.language ?? this.opts.language;
    try {
      const r = await this.client.audio.transcriptions.create(
        {
          file: await toFile(wav, 'utterance.wav', { type: 'audio/wav' }),
          model: this.opts.model,
          ...(language ? { language } : {}),
          // Whisper-style servers take a prompt; expected phrases bias them like a grammar would.
          ...(opts.hints?.length ? { prompt: opts.hints.slice(0, 30).join('. ') } : {}),
          response_format: 'json',
        },
        { signal: opts.signal },
      );
      this.lastError = null;
      return { text: (r as { text: string }).text.trim(), latencyMs: performance.now() - started };
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const failure = engineFailure(this.opts.log, this.name, upstreamSummary(err), { err });
      this.lastError = failure.message;
      throw failure;
    }
  }

  async close(): Promise<void> {}
}
