/**
 * The resampler's hot loop in TypeScript: the twin of `native-addons/src/resampler.cc`.
 *
 * Both kernels implement the same streaming state machine over the same coefficient table and do
 * the same arithmetic in the same order, so their outputs are bit-identical:
 *   - history and coefficients are used as doubles; a float32 coefficient times an int16 sample
 *     is exact in double (24 + 16 significant bits), so a fused multiply-add in the native build
 *     rounds exactly like a separate multiply and add here;
 *   - each output is a dot product accumulated in 8 lanes (lane = tap index mod 8), reduced as
 *     ((l0+l4)+(l1+l5)) + ((l2+l6)+(l3+l7)), which is what two 4-wide SIMD accumulators give;
 *   - rounding is floor(y + 0.5), then saturation to int16.
 * Keep the two files in step: the tests compare them sample for sample.
 */

/** What a kernel needs from a design (see resampler-design.ts for the meaning of each field). */
export interface KernelSpec {
  readonly table: Float32Array;
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

/**
 * Each float32 table widened to doubles once (exactly) and shared by every stream of that rate
 * pair: V8 then loads doubles directly in the hot loop, and 22050 Hz tables (~200 KiB as doubles)
 * are not copied per call.
 */
const widened = new WeakMap<Float32Array, Float64Array>();

function widen(table: Float32Array): Float64Array {
  let t = widened.get(table);
  if (!t) {
    t = Float64Array.from(table);
    widened.set(table, t);
  }
  return t;
}

export class TsResampleKernel implements ResampleKernel {
  private readonly table: Float64Array;
  private readonly taps: number;
  private readonly up: number;
  private readonly down: number;
  private readonly advance: Int32Array;
  private readonly nextPhase: Int32Array;
  /** Input history as doubles: [taps - 1 samples of history | room for a chunk]. */
  private readonly hist: Float64Array;
  /** Valid samples in `hist`. */
  private avail = 0;
  /** Index in `hist` of the newest input sample the next output needs (may run past `avail`). */
  private pos = 0;
  private phase = 0;

  constructor(spec: KernelSpec) {
    if (spec.taps <= 0 || spec.taps % 8 !== 0) throw new RangeError(`taps must be a positive multiple of 8, got ${spec.taps}`);
    if (spec.table.length !== spec.up * spec.taps) throw new RangeError('coefficient table does not hold up * taps values');
    this.table = widen(spec.table);
    this.taps = spec.taps;
    this.up = spec.up;
    this.down = spec.down;
    this.advance = spec.advance;
    this.nextPhase = spec.nextPhase;
    this.hist = new Float64Array(spec.taps + KERNEL_CHUNK);
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
      for (let i = 0; i < chunk; i++) hist[avail + i] = input[offset + i];
      avail += chunk;
      offset += chunk;

      while (pos < avail) {
        let c = phase * taps;
        let b = pos - taps + 1;
        const end = c + taps;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (; c < end; c += 8, b += 8) {
          a0 += table[c] * hist[b];
          a1 += table[c + 1] * hist[b + 1];
          a2 += table[c + 2] * hist[b + 2];
          a3 += table[c + 3] * hist[b + 3];
          a4 += table[c + 4] * hist[b + 4];
          a5 += table[c + 5] * hist[b + 5];
          a6 += table[c + 6] * hist[b + 6];
          a7 += table[c + 7] * hist[b + 7];
        }
        // Same reduction tree as the native kernel's two 4-lane accumulators.
        const y = Math.floor(((a0 + a4) + (a1 + a5)) + ((a2 + a6) + (a3 + a7)) + 0.5);
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
