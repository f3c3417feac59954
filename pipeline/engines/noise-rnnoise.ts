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
  /** 48 kHz samples waiting for a whole frame. */
  private pending: Float32Array;
  private pendingLength = 0;
  /** Denoised audio at the call's rate, not yet handed out; starts with the one frame of delay. */
  private ready: Int16Array;
  private readyLength: number;
  private closed = false;
  voiceProbability = 0;
  readonly delayMs: number;

  constructor(
    private readonly m: RnnoiseModule,
    private readonly rate: number,
  ) {
    this.frame = m._rnnoise_get_frame_size();
    this.state = m._rnnoise_create(0);
    this.inPtr = m._malloc(this.frame * 4);
    this.outPtr = m._malloc(this.frame * 4);
    this.up = createResampler(rate, RNNOISE_RATE);
    this.down = createResampler(RNNOISE_RATE, rate);
    this.pending = new Float32Array(this.frame * 4);
    // Whole 48 kHz frames come out only once one is full: holding back one frame's worth of output
    // means every call to process() has enough to return, whatever its length.
    const lead = Math.ceil((this.frame * rate) / RNNOISE_RATE);
    this.ready = new Int16Array(Math.max(lead * 4, 4096));
    this.readyLength = lead;
    this.delayMs = (lead * 1000) / rate + (this.up.delaySamples * 1000) / RNNOISE_RATE + (this.down.delaySamples * 1000) / rate;
  }

  process(pcm: Int16Array): Int16Array {
    if (this.closed) throw new Error('noise suppressor used after close');
    const wide = this.up.process(pcm);
    this.queue(wide);
    while (this.pendingLength >= this.frame) this.denoiseFrame();
    const out = new Int16Array(pcm.length);
    const n = Math.min(pcm.length, this.readyLength);
    out.set(this.ready.subarray(0, n));
    this.ready.copyWithin(0, n, this.readyLength);
    this.readyLength -= n;
    return out;
  }

  private queue(samples: Int16Array): void {
    if (this.pendingLength + samples.length > this.pending.length) {
      const bigger = new Float32Array((this.pendingLength + samples.length) * 2);
      bigger.set(this.pending.subarray(0, this.pendingLength));
      this.pending = bigger;
    }
    for (let i = 0; i < samples.length; i++) this.pending[this.pendingLength + i] = samples[i];
    this.pendingLength += samples.length;
  }

  private denoiseFrame(): void {
    const m = this.m;
    // HEAPF32 is read each time: the module's memory may have grown (and been replaced) since.
    m.HEAPF32.set(this.pending.subarray(0, this.frame), this.inPtr >>> 2);
    this.voiceProbability = m._rnnoise_process_frame(this.state, this.outPtr, this.inPtr);
    const denoised = m.HEAPF32.subarray(this.outPtr >>> 2, (this.outPtr >>> 2) + this.frame);
    const pcm48 = new Int16Array(this.frame);
    for (let i = 0; i < this.frame; i++) pcm48[i] = Math.max(-32768, Math.min(32767, Math.round(denoised[i])));
    this.pending.copyWithin(0, this.frame, this.pendingLength);
    this.pendingLength -= this.frame;
    const back = this.down.process(pcm48);
    if (this.readyLength + back.length > this.ready.length) {
      const bigger = new Int16Array((this.readyLength + back.length) * 2);
      bigger.set(this.ready.subarray(0, this.readyLength));
      this.ready = bigger;
    }
    this.ready.set(back, this.readyLength);
    this.readyLength += back.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.m._rnnoise_destroy(this.state);
    this.m._free(this.inPtr);
    this.m._free(this.outPtr);
  }
}
