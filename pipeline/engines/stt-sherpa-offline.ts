/**
 * Batch STT with sherpa-onnx's OfflineRecognizer (Whisper, SenseVoice, NeMo CTC/GigaAM, offline
 * transducer/paraformer/zipformer CTC) from a model directory: the VAD delimits an utterance and
 * the whole of it is decoded at once.
 *
 * Off the event loop in StreamWorkerPool threads (pipeline/workers/stt-offline-session.ts): the
 * audio is copied to a worker while the caller speaks, and finish() runs the decode there.
 * Not sherpa's own decodeAsync on the gateway thread: its acceptWaveform computes the features
 * synchronously on the calling thread (measured: ~25 ms of blocked loop per 30 s of audio), and
 * that is inference work too. The engine has its own pool by default, because one decode keeps
 * its worker busy for its whole length (a Whisper decode can take a second): sharing the VAD's
 * pool would stall the VAD of the calls on that worker. Parallel decodes = poolSize; each worker
 * loads the model once.
 */
import { StreamWorkerPool } from '../workers/stream-worker-pool.ts';
import type { OfflineSttSessionConfig } from '../workers/stt-offline-session.ts';
import { PoolSttEngine } from './pool-stt-engine.ts';
import { offlineRecognizerConfig, resolveModel, type OfflineRecognizerOptions, type ResolvedModel, type SherpaModelSpec } from './sherpa-model-dir.ts';
import type { SttOptions, SttResult } from './types.ts';

export interface SherpaOfflineSttOptions extends SherpaModelSpec, OfflineRecognizerOptions {
  /** Utterances shorter than this many samples are not decoded (a click, a breath; default 1600 = 0.1 s). */
  minSamples?: number;
  /** Worker threads, i.e. decodes in parallel (default 1). */
  poolSize?: number;
  /** A pool of its own is strongly advised (see above); for tests and special setups. */
  pool?: StreamWorkerPool;
}

const SESSION_MODULE = new URL('../workers/stt-offline-session.ts', import.meta.url);

export class SherpaOfflineStt extends PoolSttEngine {
  readonly name: string;
  readonly streaming = false;
  readonly model: ResolvedModel;

  /** Checks the model directory now (throws ModelDirError); the model loads in the workers on first use or warm(). */
  constructor(opts: SherpaOfflineSttOptions) {
    const model = resolveModel('stt-offline', opts);
    const config: OfflineSttSessionConfig = { recognizer: offlineRecognizerConfig(model, opts), minSamples: opts.minSamples ?? 1600 };
    super(opts.pool ?? new StreamWorkerPool({ size: opts.poolSize ?? 1, name: 'stt-offline' }), !opts.pool, SESSION_MODULE, config, 'utterances');
    this.model = model;
    this.name = `sherpa-offline-${model.type}`;
  }

  async transcribe(pcm: Int16Array, opts: SttOptions = {}): Promise<SttResult> {
    const s = this.createStream(opts);
    s.accept(pcm);
    return s.finish();
  }
}
