/**
 * Streaming sample-rate conversion between the gateway's rates (8000, 16000, 22050, 24000,
 * 48000 Hz; any integer pair with at most 1024 phases works) with a real anti-aliasing filter.
 *
 * Frames in, frames out, no jitter: the output count is fixed by the input count alone
 * (cumulative output after N inputs = ceil(N * up / down)), so 20 ms in always gives exactly
 * 20 ms out (160 -> 320 for 8k -> 16k, 441 -> 320 for 22050 -> 16k) and a telephony pipeline
 * can frame on it. The filter (resampler-design.ts) is shared by the two kernels: the native
 * addon when it is built, else the TS twin; both produce identical samples.
 */
import { nativeDsp, nativeDspUnavailableReason, type NativeFilter } from '../native-addons/index.ts';
import { designResampler, type ResamplerDesign } from './resampler-design.ts';
import { TsResampleKernel, type ResampleKernel } from './resampler-kernel-ts.ts';

export type DspImpl = 'native' | 'ts';

export interface Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  readonly impl: DspImpl;
  /**
   * Streaming: keeps history between calls. Returns a fresh array, or with `out` (which must hold
   * `outputLength(input.length)` samples and not overlap `input`) `out` itself when it fits exactly,
   * else a view of its start.
   */
  process(input: Int16Array, out?: Int16Array): Int16Array;
  /** How many samples the next `process` of `n` inputs returns. */
  outputLength(n: number): number;
  /** End of stream: pushes the filter's tail out (about `delaySamples`), then resets. */
  flush(): Int16Array;
  reset(): void;
  /** Group delay in output samples (fractional); 0 when the rates are equal. */
  readonly delaySamples: number;
}

export interface ResamplerOptions {
  /** 'auto' (default) uses the native addon when it loaded; 'native' throws when it did not. */
  impl?: 'auto' | DspImpl;
}

export class NativeDspUnavailableError extends Error {
  override readonly name = 'NativeDspUnavailableError';
}

/** Which kernel 'auto' picks in this process, for health reports and benches. */
export function dspImplementation(): DspImpl {
  return nativeDsp ? 'native' : 'ts';
}

/** Why the native kernel is not used (null when it is). */
export function dspFallbackReason(): string | null {
  return nativeDspUnavailableReason;
}

/** A whole clip at another rate (process + flush), e.g. a WAV file or a cached greeting. */
export function resampleClip(pcm: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate) return pcm;
  const r = createResampler(fromRate, toRate);
  const head = r.process(pcm);
  const tail = r.flush();
  const out = new Int16Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

export function createResampler(fromRate: number, toRate: number, opts: ResamplerOptions = {}): Resampler {
  const wanted = opts.impl ?? 'auto';
  if (wanted === 'native' && !nativeDsp) throw new NativeDspUnavailableError(`native DSP addon unavailable: ${nativeDspUnavailableReason}`);
  const impl: DspImpl = wanted === 'ts' || !nativeDsp ? 'ts' : 'native';
  if (fromRate === toRate) {
    designResampler(fromRate, toRate); // validates the rate like every other pair
    return new PassThrough(fromRate, impl);
  }
  const design = designResampler(fromRate, toRate);
  const kernel: ResampleKernel = impl === 'native' && nativeDsp ? nativeDsp.createResampler(nativeFilter(design)) : new TsResampleKernel(design);
  return new PolyphaseResampler(design, kernel, impl);
}

/** One native filter bank per design, shared by every stream of that rate pair. */
const nativeFilters = new WeakMap<ResamplerDesign, NativeFilter>();

function nativeFilter(d: ResamplerDesign): NativeFilter {
  let f = nativeFilters.get(d);
  if (!f) {
    f = new nativeDsp!.Filter(d.table, d.taps, d.up, d.down, d.advance, d.nextPhase);
    nativeFilters.set(d, f);
  }
  return f;
}

function checkOut(out: Int16Array, input: Int16Array, need: number): void {
  if (out.length < need) throw new RangeError(`output holds ${out.length} samples, need ${need}`);
  if (out.buffer === input.buffer && out.byteOffset < input.byteOffset + input.byteLength && input.byteOffset < out.byteOffset + need * 2) {
    throw new RangeError('resampler input and output must not overlap');
  }
}

class PolyphaseResampler implements Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  readonly delaySamples: number;
  private readonly up: number;
  private readonly down: number;
  /** Inputs consumed so far, modulo `down`: all the output count depends on. */
  private inputPhase = 0;
  private readonly flushInputs: number;

  constructor(
    design: ResamplerDesign,
    private readonly kernel: ResampleKernel,
    readonly impl: DspImpl,
  ) {
    this.fromRate = design.fromRate;
    this.toRate = design.toRate;
    this.up = design.up;
    this.down = design.down;
    this.delaySamples = design.delayOutputSamples;
    // Enough silence to move the centre of the filter past the last real input.
    this.flushInputs = Math.ceil(design.delayInputSamples) + 1;
  }

  outputLength(n: number): number {
    // Cumulative outputs after N inputs is ceil(N * up / down); with N = q*down + r that is
    // q*up + ceil(r*up/down), so only N mod down needs to be remembered.
    const { up, down } = this;
    const total = this.inputPhase + n;
    const q = Math.floor(total / down);
    const r = total - q * down;
    return q * up + Math.ceil((r * up) / down) - Math.ceil((this.inputPhase * up) / down);
  }

  process(input: Int16Array, out?: Int16Array): Int16Array {
    const need = this.outputLength(input.length);
    if (out) checkOut(out, input, need);
    const dst = out ?? new Int16Array(need);
    const written = this.kernel.process(input, dst);
    if (written !== need) throw new Error(`resampler ${this.impl} kernel wrote ${written} samples, expected ${need}`);
    this.inputPhase = (this.inputPhase + input.length) % this.down;
    return dst.length === need ? dst : dst.subarray(0, need);
  }

  flush(): Int16Array {
    const tail = this.process(new Int16Array(this.flushInputs));
    this.reset();
    return tail;
  }

  reset(): void {
    this.kernel.reset();
    this.inputPhase = 0;
  }
}

/** Equal rates: no filtering at all (a low-pass would only cost CPU and dull the audio). */
class PassThrough implements Resampler {
  readonly delaySamples = 0;
  constructor(
    readonly fromRate: number,
    readonly impl: DspImpl,
  ) {}

  get toRate(): number {
    return this.fromRate;
  }

  outputLength(n: number): number {
    return n;
  }

  process(input: Int16Array, out?: Int16Array): Int16Array {
    if (!out) return input.slice();
    checkOut(out, input, input.length);
    out.set(input);
    return out.length === input.length ? out : out.subarray(0, input.length);
  }

  flush(): Int16Array {
    return new Int16Array(0);
  }

  reset(): void {}
}
