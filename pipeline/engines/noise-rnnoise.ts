/**
 * Noise suppression with RNNoise (Xiph's recurrent denoiser; npm `@echogarden/rnnoise-wasm`, the
 * model compiled into a 125 KB WebAssembly module, so nothing to download), for a caller's audio
 * before the VAD and the recogniser.
 *
 * RNNoise works on 10 ms frames at 48 kHz. A call's 16 kHz audio is resampled up, denoised frame by
 * frame and resampled back; what comes out has exactly as many samples as went in (the pipeline's
 * sample clocks count them), delayed by one 10 ms frame plus the two resamplers' filters (see
 * `delayMs`). One WebAssembly instance serves the process; each call has its own RNNoise state.
 */
import { createRequire } from 'node:module';
import { FrameQueue } from '../../media/frame-queue.ts';
import { createResampler, type Resampler } from '../../media/resampler.ts';

/** The parts of the Emscripten module used here. */
export interface RnnoiseModule {
  HEAPF32: Float32Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  _rnnoise_create(model: number): number;
  _rnnoise_destroy(state: number): void;
  _rnnoise_get_frame_size(): number;
  _rnnoise_process_frame(state: number, out: number, input: number): number;
}

const RNNOISE_RATE = 48000;

let loading: Promise<RnnoiseModule> | null = null;

/** The process's one instance, loaded on first use (about 10 ms; the module is compiled once). */
export function loadRnnoise(): Promise<RnnoiseModule> {
  loading ??= (async () => {
    // Resolved through require so the package's own path finds its .wasm beside it.
    const entry = createRequire(import.meta.url).resolve('@echogarden/rnnoise-wasm');
    const factory = (await import(entry)).default as () => Promise<RnnoiseModule>;
    return factory();
  })();
  loading.catch(() => (loading = null));
  return loading;
}

export interface NoiseSuppressor {
  /** Denoised audio, as many samples as `pcm` (at the rate the suppressor was made for). */
  process(pcm: Int16Array): Int16Array;
  /** What the output lags the input by. */
  readonly delayMs: number;
  /** RNNoise's speech probability for the newest frame (0..1). */
  readonly voiceProbability: number;
  close(): void;
}

/** A call's suppressor at `rate` (16000 in the pipeline; any rate the resampler takes). */
export async function createNoiseSuppressor(rate: number): Promise<NoiseSuppressor> {
  return new RnnoiseSuppressor(await loadRnnoise(), rate);
}

/** Made synchronously, once the module is loaded (a call's pipeline is built synchronously). */
export class RnnoiseSuppressor implements NoiseSuppressor {
  private readonly frame: number;
  private readonly state: number;
  /** One frame in, one frame out, in the module's memory. */
  private readonly inPtr: number;
  private readonly outPtr: number;
  private readonly up: Resampler;
  private readonly down: Resampler;
  /** 48 kHz audio cut into RNNoise's frames (the remainder waits for more). */
  private readonly wide: FrameQueue;
  /** One denoised 48 kHz frame, reused: the down resampler copies it out at once. */
  private readonly denoised: Int16Array;
  /** Denoised audio at the call's rate, not yet handed out; starts with the one frame of delay. */
  private ready: Int16Array;
  private readyLength: number;
  private closed = false;
  voiceProbability = 0;
  readonly delayMs: number;

  constructor(
    private readonly m: RnnoiseModule,
    rate: number,
  ) {
    this.frame = m._rnnoise_get_frame_size();
    this.state = m._rnnoise_create(0);
    this.inPtr = m._malloc(this.frame * 4);
    this.outPtr = m._malloc(this.frame * 4);
    this.up = createResampler(rate, RNNOISE_RATE);
    this.down = createResampler(RNNOISE_RATE, rate);
    this.wide = new FrameQueue(this.frame);
    this.denoised = new Int16Array(this.frame);
    // Whole 48 kHz frames come out only once one is full: holding back one frame's worth of output
    // means every call to process() has enough to return, whatever its length.
    const lead = Math.ceil((this.frame * rate) / RNNOISE_RATE);
    this.ready = new Int16Array(Math.max(lead * 4, 4096));
    this.readyLength = lead;
    this.delayMs = (lead * 1000) / rate + (this.up.delaySamples * 1000) / RNNOISE_RATE + (this.down.delaySamples * 1000) / rate;
  }

  process(pcm: Int16Array): Int16Array {
    if (this.closed) throw new Error('noise suppressor used after close');
    this.wide.push(this.up.process(pcm));
    for (let f = this.wide.pop(); f; f = this.wide.pop()) this.append(this.down.process(this.denoise(f)));
    const out = new Int16Array(pcm.length);
    const n = Math.min(pcm.length, this.readyLength);
    out.set(this.ready.subarray(0, n));
    this.ready.copyWithin(0, n, this.readyLength);
    this.readyLength -= n;
    return out;
  }

  private denoise(frame: Int16Array): Int16Array {
    const m = this.m;
    // HEAPF32 is read each time: the module's memory may have grown (and been replaced) since.
    // set() from an Int16Array converts each sample to float: RNNoise works at 16-bit scale.
    m.HEAPF32.set(frame, this.inPtr >>> 2);
    this.voiceProbability = m._rnnoise_process_frame(this.state, this.outPtr, this.inPtr);
    const out = m.HEAPF32.subarray(this.outPtr >>> 2, (this.outPtr >>> 2) + this.frame);
    for (let i = 0; i < this.frame; i++) this.denoised[i] = Math.max(-32768, Math.min(32767, Math.round(out[i])));
    return this.denoised;
  }

  private append(pcm: Int16Array): void {
    if (this.readyLength + pcm.length > this.ready.length) {
      const bigger = new Int16Array((this.readyLength + pcm.length) * 2);
      bigger.set(this.ready.subarray(0, this.readyLength));
      this.ready = bigger;
    }
    this.ready.set(pcm, this.readyLength);
    this.readyLength += pcm.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.m._rnnoise_destroy(this.state);
    this.m._free(this.inPtr);
    this.m._free(this.outPtr);
  }
}
