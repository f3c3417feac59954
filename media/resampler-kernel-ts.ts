/**
 * The resampler's hot loop in TypeScript: the twin of `native-addons/src/resampler.cc`.
 *
 * Both kernels implement the same streaming state machine over the same Q14 coefficient table in
 * exact integer arithmetic, so their outputs are bit-identical whatever order the additions run in
 * (the native one runs them 16 lanes wide):
 *   - each output is the int32 dot product of int16 coefficients and int16 history (the design
 *     bounds it below 2^31, so it is exact here in doubles and there in int32);
 *   - rounding is (sum + 2^13) >> 14, i.e. floor(sum / 2^14 + 0.5), then saturation to int16.
 * Keep the two files in step: the tests compare them sample for sample.
 */
import { COEFFICIENT_SHIFT, MAX_ABS_COEFFICIENT_SUM } from './resampler-design.ts';

/** What a kernel needs from a design (see resampler-design.ts for the meaning of each field). */
export interface KernelSpec {
  readonly table: Int16Array;
  readonly taps: number;
  readonly up: number;
  readonly down: number;
  readonly advance: Int32Array;
  readonly nextPhase: Int32Array;
}

/** A stateful convolution engine; `process` writes exactly `outputCount(input.length)` samples. */
export interface ResampleKernel {
  process(input: Int16Array, out: Int16Array): number;
  reset(): void;
}

/** Input samples appended per inner pass; bounds the history buffer whatever the input length. */
export const KERNEL_CHUNK = 4096;

const ROUNDING = 1 << (COEFFICIENT_SHIFT - 1);

export class TsResampleKernel implements ResampleKernel {
  private readonly table: Int16Array;
  private readonly taps: number;
  private readonly up: number;
  private readonly down: number;
  private readonly advance: Int32Array;
  private readonly nextPhase: Int32Array;
  /** Input history: [taps - 1 samples of history | room for a chunk]. */
  private readonly hist: Int16Array;
  /** Valid samples in `hist`. */
  private avail = 0;
  /** Index in `hist` of the newest input sample the next output needs (may run past `avail`). */
  private pos = 0;
  private phase = 0;

  constructor(spec: KernelSpec) {
    if (spec.taps <= 0 || spec.taps % 8 !== 0) throw new RangeError(`taps must be a positive multiple of 8, got ${spec.taps}`);
    if (spec.table.length !== spec.up * spec.taps) throw new RangeError('coefficient table does not hold up * taps values');
    for (let p = 0; p < spec.up; p++) {
      let absSum = 0;
      for (let j = 0; j < spec.taps; j++) absSum += Math.abs(spec.table[p * spec.taps + j]);
      // The native twin must refuse such a table (its int32 sum would overflow); so do we.
      if (absSum > MAX_ABS_COEFFICIENT_SUM) throw new RangeError(`a phase's sum of |coefficients| exceeds ${MAX_ABS_COEFFICIENT_SUM}`);
    }
    this.table = spec.table;
    this.taps = spec.taps;
    this.up = spec.up;
    this.down = spec.down;
    this.advance = spec.advance;
    this.nextPhase = spec.nextPhase;
    this.hist = new Int16Array(spec.taps + KERNEL_CHUNK);
    this.reset();
  }

  reset(): void {
    this.hist.fill(0);
    this.avail = this.taps - 1; // a stream starts from silence
    this.pos = this.taps - 1;
    this.phase = 0;
  }

  /** Outputs that `n` more input samples complete, given where the next output sits. */
  outputCount(n: number): number {
    const tNext = (this.pos - this.avail) * this.up + this.phase; // upsampled position past the buffered input
    const span = n * this.up - tNext;
    return span <= 0 ? 0 : Math.ceil(span / this.down);
  }

  process(input: Int16Array, out: Int16Array): number {
    const need = this.outputCount(input.length);
    if (out.length < need) throw new RangeError(`output holds ${out.length} samples, need ${need}`);
    const { table, taps, advance, nextPhase, hist } = this;
    const capacity = hist.length;
    let avail = this.avail;
    let pos = this.pos;
    let phase = this.phase;
    let written = 0;
    let offset = 0;
    while (offset < input.length) {
      const chunk = Math.min(input.length - offset, capacity - avail);
      hist.set(chunk === input.length ? input : input.subarray(offset, offset + chunk), avail);
      avail += chunk;
      offset += chunk;

      while (pos < avail) {
        let c = phase * taps;
        let b = pos - taps + 1;
        const end = c + taps;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (; c < end; c += 8, b += 8) {
          a0 += table[c] * hist[b] + table[c + 4] * hist[b + 4];
          a1 += table[c + 1] * hist[b + 1] + table[c + 5] * hist[b + 5];
          a2 += table[c + 2] * hist[b + 2] + table[c + 6] * hist[b + 6];
          a3 += table[c + 3] * hist[b + 3] + table[c + 7] * hist[b + 7];
        }
        const y = (a0 + a1 + a2 + a3 + ROUNDING) >> COEFFICIENT_SHIFT;
        out[written++] = y > 32767 ? 32767 : y < -32768 ? -32768 : y;
        pos += advance[phase];
        phase = nextPhase[phase];
      }

      // Keep only the taps - 1 samples the next output can still reach.
      const start = pos - taps + 1;
      if (start > 0) {
        hist.copyWithin(0, start, avail);
        avail -= start;
        pos -= start;
      }
    }
    this.avail = avail;
    this.pos = pos;
    this.phase = phase;
    return written;
  }
}
