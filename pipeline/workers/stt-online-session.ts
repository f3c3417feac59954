/**
 * Streaming STT session, run inside a stream worker: one sherpa-onnx OnlineStream per call, fed
 * 16 kHz audio and decoded as soon as a chunk is ready, so the recognizer's state (encoder caches)
 * lives in this thread and the call sticks to it.
 *
 * The recognizer (the loaded model) is shared by every session of this worker with the same
 * config: loading a model per call would cost seconds and hundreds of MB, a stream costs little.
 *
 * Events: 'partial' when the running text changes, 'endpoint' when sherpa's endpoint rules fire
 * (the segment's text is kept and the stream reset, so a long turn is decoded in segments), and
 * one 'final' on flush with every segment's text.
 */
import { int16ToFloat32, sherpa, type SherpaOnlineRecognizer, type SherpaOnlineStream } from '../engines/sherpa-onnx.ts';
import type { SttSessionEvent } from '../engines/pool-stt-stream.ts';
import type { WorkerSession } from './protocol.ts';

export interface OnlineSttSessionConfig {
  /** The OnlineRecognizer config (sherpa-model-dir.ts onlineRecognizerConfig). */
  recognizer: Record<string, unknown>;
}

type OnlineSttEvent = SttSessionEvent;

const RATE = 16000;
/** Silence appended on flush so the last chunk reaches the model (sherpa's own examples pad 0.4-0.66 s). */
const TAIL_PADDING = new Float32Array(Math.round(RATE * 0.66));

const recognizers = new Map<string, SherpaOnlineRecognizer>();

function recognizerFor(config: Record<string, unknown>): SherpaOnlineRecognizer {
  const key = JSON.stringify(config);
  let r = recognizers.get(key);
  if (!r) {
    r = new (sherpa().OnlineRecognizer)(config);
    recognizers.set(key, r);
  }
  return r;
}

class OnlineSttSession implements WorkerSession {
  private readonly recognizer: SherpaOnlineRecognizer;
  private stream: SherpaOnlineStream;
  private readonly segments: string[] = [];
  private lastPartial = '';
  private flushed = false;

  constructor(config: OnlineSttSessionConfig) {
    this.recognizer = recognizerFor(config.recognizer);
    this.stream = this.recognizer.createStream();
  }

  private decode(events: OnlineSttEvent[]): void {
    const r = this.recognizer;
    while (r.isReady(this.stream)) r.decode(this.stream);
    const text = r.getResult(this.stream).text.trim();
    if (r.isEndpoint(this.stream)) {
      if (text) {
        this.segments.push(text);
        events.push({ type: 'endpoint', text });
      }
      r.reset(this.stream);
      this.lastPartial = '';
      return;
    }
    if (text !== this.lastPartial) {
      this.lastPartial = text;
      events.push({ type: 'partial', text: [...this.segments, text].join(' ') });
    }
  }

  data(pcm: Int16Array): OnlineSttEvent[] {
    if (this.flushed) return [];
    const events: OnlineSttEvent[] = [];
    this.stream.acceptWaveform({ samples: int16ToFloat32(pcm), sampleRate: RATE });
    this.decode(events);
    return events;
  }

  flush(): OnlineSttEvent[] {
    if (this.flushed) return [];
    this.flushed = true;
    const started = performance.now();
    this.stream.acceptWaveform({ samples: TAIL_PADDING, sampleRate: RATE });
    this.stream.inputFinished();
    const r = this.recognizer;
    while (r.isReady(this.stream)) r.decode(this.stream);
    const last = r.getResult(this.stream).text.trim();
    const text = [...this.segments, last].filter(Boolean).join(' ');
    return [{ type: 'final', text, decodeMs: performance.now() - started }];
  }

  reset(): void {
    this.stream = this.recognizer.createStream();
    this.segments.length = 0;
    this.lastPartial = '';
    this.flushed = false;
  }
}

export function createSession(config: unknown): WorkerSession {
  return new OnlineSttSession(config as OnlineSttSessionConfig);
}
