/**
 * Batch STT session, run inside a stream worker: the utterance's audio is collected here as it
 * arrives, and on flush one sherpa-onnx OfflineRecognizer decode (feature extraction included)
 * runs on this thread, never on the gateway's. The recognizer is loaded once per worker and
 * config, and shared by the sessions there.
 */
import { int16ToFloat32, sherpa, type SherpaOfflineRecognizer } from '../engines/sherpa-onnx.ts';
import type { SttSessionEvent } from '../engines/pool-stt-stream.ts';
import type { WorkerSession } from './protocol.ts';

export interface OfflineSttSessionConfig {
  /** The OfflineRecognizer config (sherpa-model-dir.ts offlineRecognizerConfig). */
  recognizer: Record<string, unknown>;
  /** Utterances shorter than this are not decoded (a click, a breath). */
  minSamples: number;
}

const RATE = 16000;
const recognizers = new Map<string, SherpaOfflineRecognizer>();

function recognizerFor(config: Record<string, unknown>): SherpaOfflineRecognizer {
  const key = JSON.stringify(config);
  let r = recognizers.get(key);
  if (!r) {
    r = new (sherpa().OfflineRecognizer)(config);
    recognizers.set(key, r);
  }
  return r;
}

class OfflineSttSession implements WorkerSession {
  private readonly recognizer: SherpaOfflineRecognizer;
  private parts: Float32Array[] = [];
  private length = 0;

  constructor(private readonly config: OfflineSttSessionConfig) {
    this.recognizer = recognizerFor(config.recognizer);
  }

  data(pcm: Int16Array): SttSessionEvent[] {
    this.parts.push(int16ToFloat32(pcm));
    this.length += pcm.length;
    return [];
  }

  flush(): SttSessionEvent[] {
    const started = performance.now();
    if (this.length < this.config.minSamples) return [{ type: 'final', text: '', decodeMs: 0 }];
    const all = new Float32Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      all.set(p, at);
      at += p.length;
    }
    this.reset();
    const stream = this.recognizer.createStream();
    stream.acceptWaveform({ samples: all, sampleRate: RATE });
    this.recognizer.decode(stream);
    const text = this.recognizer.getResult(stream).text.trim();
    return [{ type: 'final', text, decodeMs: performance.now() - started }];
  }

  reset(): void {
    this.parts = [];
    this.length = 0;
  }
}

export function createSession(config: unknown): WorkerSession {
  return new OfflineSttSession(config as OfflineSttSessionConfig);
}
