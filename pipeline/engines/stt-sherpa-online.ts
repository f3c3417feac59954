/**
 * Streaming STT with sherpa-onnx's OnlineRecognizer (streaming transducer/zipformer, paraformer,
 * zipformer2-CTC, T-one CTC) from a model directory. Decoding runs in StreamWorkerPool threads,
 * never on the gateway's event loop; each call's stream is a session pinned to one worker, where
 * its model state lives (pipeline/workers/stt-online-session.ts). A crashing worker ends only its
 * own calls: their finish() rejects and onError listeners hear it; the pool replaces the thread.
 *
 * Partials arrive while the caller speaks (onPartial); sherpa's endpoint rules are reported too
 * (onEndpoint), so the turn manager can combine them with VAD silence.
 */
import { StreamWorkerPool } from '../workers/stream-worker-pool.ts';
import type { OnlineSttSessionConfig } from '../workers/stt-online-session.ts';
import { PoolSttEngine } from './pool-stt-engine.ts';
import { onlineRecognizerConfig, resolveModel, type OnlineEndpointOptions, type ResolvedModel, type SherpaModelSpec, type SherpaRuntimeOptions } from './sherpa-model-dir.ts';
import type { SttOptions, SttResult } from './types.ts';

export interface SherpaOnlineSttOptions extends SherpaModelSpec, SherpaRuntimeOptions, OnlineEndpointOptions {
  /** Shared pool (e.g. the VAD's: a streaming decode step is short); by default the engine makes its own. */
  pool?: StreamWorkerPool;
  /** Threads of the engine's own pool (default 1); each loads the model once. */
  poolSize?: number;
}

const SESSION_MODULE = new URL('../workers/stt-online-session.ts', import.meta.url);

export class SherpaOnlineStt extends PoolSttEngine {
  readonly name: string;
  readonly streaming = true;
  readonly model: ResolvedModel;

  /** Checks the model directory now (throws ModelDirError); the model loads in a worker on first use or warm(). */
  constructor(opts: SherpaOnlineSttOptions) {
    const model = resolveModel('stt-online', opts);
    const config: OnlineSttSessionConfig = { recognizer: onlineRecognizerConfig(model, opts) };
    super(opts.pool ?? new StreamWorkerPool({ size: opts.poolSize ?? 1, name: 'stt-online' }), !opts.pool, SESSION_MODULE, config, 'streams');
    this.model = model;
    this.name = `sherpa-online-${model.type}`;
  }

  async transcribe(pcm: Int16Array, opts: SttOptions = {}): Promise<SttResult> {
    const s = this.createStream(opts);
    for (let i = 0; i < pcm.length; i += 3200) s.accept(pcm.subarray(i, i + 3200));
    return s.finish();
  }
}
