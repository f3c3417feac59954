/**
 * One Silero VAD model (an onnxruntime-node session) shared by every stream on a worker thread,
 * run on a batch of windows at once: each stream brings its own window and its own recurrent
 * state, the model sees them as rows of one batch.
 *
 * Why not sherpa-onnx's VoiceActivityDetector per stream: each of those loads its own ONNX
 * Runtime session, about 10 MB per call (measured), for a model of 2 MB whose only per-stream
 * part is 1 KB of LSTM state. Batching also pays the per-run overhead once per tick for all calls.
 *
 * Both Silero generations are read from their input names: v5 (`input`, `state` [2, B, 128],
 * `sr`; windows of 512 new samples after 64 of context) and v4/legacy (`input`, `sr`, `h`, `c`
 * [2, B, 64]; windows of 512).
 */
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';

const require = createRequire(import.meta.url);

export const SILERO_RATE = 16000;
export const SILERO_SHIFT = 512;

interface StateSpec {
  input: string;
  output: string;
  /** Per stream: layers * hidden floats. */
  layers: number;
  hidden: number;
}

/** One row of a batch: the stream's window and its state (updated in place after the run). */
export interface BatchRow {
  window: Float32Array;
  /** One Float32Array per state input, layers * hidden long. */
  state: Float32Array[];
}

let ortModule: typeof Ort | null = null;
function ort(): typeof Ort {
  // Loaded on first use, inside the worker thread that runs the model.
  ortModule ??= require('onnxruntime-node') as typeof Ort;
  return ortModule;
}

export class SileroBatchModel {
  /** Samples one window holds (context included). */
  readonly windowSamples: number;
  readonly version: 'v5' | 'legacy';
  private readonly states: StateSpec[];
  private readonly sr: Ort.Tensor;

  private constructor(private readonly session: Ort.InferenceSession) {
    const inputs = session.inputNames;
    if (inputs.includes('state')) {
      this.version = 'v5';
      this.windowSamples = SILERO_SHIFT + 64;
      this.states = [{ input: 'state', output: 'stateN', layers: 2, hidden: 128 }];
    } else if (inputs.includes('h') && inputs.includes('c')) {
      this.version = 'legacy';
      this.windowSamples = SILERO_SHIFT;
      this.states = [
        { input: 'h', output: 'hn', layers: 2, hidden: 64 },
        { input: 'c', output: 'cn', layers: 2, hidden: 64 },
      ];
    } else {
      throw new Error(`not a Silero VAD model: inputs ${inputs.join(', ')} (want input/state/sr or input/sr/h/c)`);
    }
    this.sr = new (ort().Tensor)('int64', BigInt64Array.from([BigInt(SILERO_RATE)]), []);
  }

  static async load(path: string): Promise<SileroBatchModel> {
    // One thread per session: the worker is one of several, and batches are small.
    const session = await ort().InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    return new SileroBatchModel(session);
  }

  /** A zeroed recurrent state for a new stream. */
  newState(): Float32Array[] {
    return this.states.map((s) => new Float32Array(s.layers * s.hidden));
  }

  /** Speech probability per row, in row order; each row's state is replaced by the next one. */
  async run(rows: BatchRow[]): Promise<Float32Array> {
    const B = rows.length;
    const T = ort().Tensor;
    const W = this.windowSamples;
    const input = new Float32Array(B * W);
    for (let b = 0; b < B; b++) input.set(rows[b].window, b * W);
    const feeds: Record<string, Ort.Tensor> = { input: new T('float32', input, [B, W]), sr: this.sr };
    this.states.forEach((spec, k) => {
      // The model's layout is [layers, batch, hidden]: row b's layer l sits at (l * B + b) * hidden.
      const data = new Float32Array(spec.layers * B * spec.hidden);
      for (let b = 0; b < B; b++) {
        const own = rows[b].state[k];
        for (let l = 0; l < spec.layers; l++) data.set(own.subarray(l * spec.hidden, (l + 1) * spec.hidden), (l * B + b) * spec.hidden);
      }
      feeds[spec.input] = new T('float32', data, [spec.layers, B, spec.hidden]);
    });
    const out = await this.session.run(feeds);
    this.states.forEach((spec, k) => {
      const next = out[spec.output].data as Float32Array;
      for (let b = 0; b < B; b++) {
        const own = rows[b].state[k];
        for (let l = 0; l < spec.layers; l++) own.set(next.subarray((l * B + b) * spec.hidden, (l * B + b + 1) * spec.hidden), l * spec.hidden);
      }
    });
    return out.output.data as Float32Array;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
