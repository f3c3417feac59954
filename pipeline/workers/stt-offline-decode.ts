/**
 * One offline (batch) STT decode, run inside a piscina thread (stt-offline-task.mjs): a whole
 * utterance of PCM16 in, its text out. Feature extraction and the sherpa-onnx OfflineRecognizer
 * decode both run on this thread, never on the gateway's.
 *
 * The recognizer is loaded once per thread and config and kept for the thread's life: sherpa's
 * native objects cannot cross threads, so every thread loads its own copy, and the pool keeps its
 * threads (idleTimeout Infinity) so models are not reloaded.
 */
import { int16ToFloat32, sherpa, type SherpaOfflineRecognizer } from '../engines/sherpa-onnx.ts';

/** What a task carries: the recognizer config (sherpa-model-dir.ts offlineRecognizerConfig), and the utterance or nothing (warm). */
export interface OfflineDecodeTask {
  recognizer: Record<string, unknown>;
  /** 16 kHz PCM16; absent: only load the model (warm-up). */
  pcm?: Int16Array;
}

export interface OfflineDecodeResult {
  text: string;
  /** Time on the worker thread: model load (first task only), features and decode. */
  decodeMs: number;
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

export function decodeOffline(task: OfflineDecodeTask): OfflineDecodeResult {
  const started = performance.now();
  const recognizer = recognizerFor(task.recognizer);
  if (!task.pcm?.length) return { text: '', decodeMs: performance.now() - started };
  const stream = recognizer.createStream();
  stream.acceptWaveform({ samples: int16ToFloat32(task.pcm), sampleRate: RATE });
  recognizer.decode(stream);
  const text = recognizer.getResult(stream).text.trim();
  return { text, decodeMs: performance.now() - started };
}
